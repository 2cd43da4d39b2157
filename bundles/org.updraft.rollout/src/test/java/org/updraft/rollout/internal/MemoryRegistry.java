package org.updraft.rollout.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.DeviceState;
import org.updraft.api.device.RegistryException;
import org.updraft.core.manifest.SemanticVersion;

/**
 * A device registry in memory for the engine's tests (the JDBC registry is tested on its own). It keeps the
 * contract the engine relies on: ordered keyset paging, the filter fields, {@code exists} and
 * {@code unknown-device}. {@link #down} makes every call fail as an unreachable database would.
 */
final class MemoryRegistry implements DeviceRegistry {

    private final ConcurrentSkipListMap<String, Device> devices = new ConcurrentSkipListMap<>();
    volatile boolean down;

    @Override
    public Device register(Device device) throws RegistryException {
        check();
        if (devices.putIfAbsent(device.id(), device) != null) {
            throw new RegistryException("exists", "device " + device.id() + " is already registered");
        }
        return device;
    }

    @Override
    public void registerAll(List<Device> list) throws RegistryException {
        check();
        for (Device d : list) {
            if (devices.containsKey(d.id())) {
                throw new RegistryException("exists", "device " + d.id() + " is already registered");
            }
        }
        for (Device d : list) {
            devices.put(d.id(), d);
        }
    }

    @Override
    public Optional<Device> find(String id) throws RegistryException {
        check();
        return Optional.ofNullable(devices.get(id));
    }

    @Override
    public List<Device> list(DeviceFilter filter, String afterId, int limit) throws RegistryException {
        check();
        List<Device> page = new ArrayList<>();
        for (Device d : (afterId == null ? devices : devices.tailMap(afterId, false)).values()) {
            if (matches(filter, d)) {
                page.add(d);
                if (page.size() == limit) {
                    break;
                }
            }
        }
        return page;
    }

    @Override
    public long count(DeviceFilter filter) throws RegistryException {
        check();
        return devices.values().stream().filter(d -> matches(filter, d)).count();
    }

    @Override
    public Device recordState(String id, DeviceState state, String version, long sequence, Instant at)
            throws RegistryException {
        check();
        Device d = devices.computeIfPresent(id, (k, old) -> old.withState(state, version, sequence, at));
        if (d == null) {
            throw new RegistryException("unknown-device", "no device " + id);
        }
        return d;
    }

    @Override
    public void recordSeen(String id, Instant at) throws RegistryException {
        check();
        devices.computeIfPresent(id, (k, d) -> new Device(d.id(), d.publicKey(), d.vendor(), d.deviceClass(),
                d.profile(), d.tags(), d.region(), d.installedVersion(), d.installedSequence(), d.state(), at,
                d.registered()));
    }

    @Override
    public boolean remove(String id) throws RegistryException {
        check();
        return devices.remove(id) != null;
    }

    @Override
    public String status() {
        return "memory: " + devices.size() + " devices";
    }

    private void check() throws RegistryException {
        if (down) {
            throw new RegistryException("unavailable", "the test registry is down");
        }
    }

    static boolean matches(DeviceFilter f, Device d) {
        return (f.vendor() == null || f.vendor().equals(d.vendor()))
                && (f.deviceClass() == null || f.deviceClass().equals(d.deviceClass()))
                && (f.profile() == null || f.profile().equals(d.profile()))
                && (f.region() == null || f.region().equals(d.region()))
                && d.tags().containsAll(f.tags())
                && (f.versionRange() == null || inRange(f.versionRange(), d.installedVersion()));
    }

    /** {@code [a,b)}, {@code (a,b]}, either end empty. */
    private static boolean inRange(String range, String version) {
        String r = range.trim();
        boolean lowInclusive = r.charAt(0) == '[';
        boolean highInclusive = r.charAt(r.length() - 1) == ']';
        String[] ends = r.substring(1, r.length() - 1).split(",", -1);
        SemanticVersion v = SemanticVersion.parse(version);
        if (!ends[0].isBlank()) {
            int c = v.compareTo(SemanticVersion.parse(ends[0].trim()));
            if (c < 0 || c == 0 && !lowInclusive) {
                return false;
            }
        }
        if (!ends[1].isBlank()) {
            int c = v.compareTo(SemanticVersion.parse(ends[1].trim()));
            if (c > 0 || c == 0 && !highInclusive) {
                return false;
            }
        }
        return true;
    }
}
