package org.updraft.platform.internal;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.DeviceState;
import org.updraft.api.device.RegistryException;

/** The device registry platform components use ({@link DeviceRegistry#SELECTED}): calls go to the chosen backend. */
final class SelectedRegistry implements DeviceRegistry {

    private final BackendSelection<DeviceRegistry> selection;

    SelectedRegistry(BackendSelection<DeviceRegistry> selection) {
        this.selection = selection;
    }

    private DeviceRegistry backend() throws RegistryException {
        DeviceRegistry r = selection.chosen();
        if (r == null) {
            throw new RegistryException("unavailable", selection.notRunning());
        }
        return r;
    }

    @Override
    public Device register(Device device) throws RegistryException {
        return backend().register(device);
    }

    @Override
    public void registerAll(List<Device> devices) throws RegistryException {
        backend().registerAll(devices);
    }

    @Override
    public Optional<Device> find(String id) throws RegistryException {
        return backend().find(id);
    }

    @Override
    public List<Device> list(DeviceFilter filter, String afterId, int limit) throws RegistryException {
        return backend().list(filter, afterId, limit);
    }

    @Override
    public long count(DeviceFilter filter) throws RegistryException {
        return backend().count(filter);
    }

    @Override
    public Device recordState(String id, DeviceState state, String installedVersion, long installedSequence,
            Instant at) throws RegistryException {
        return backend().recordState(id, state, installedVersion, installedSequence, at);
    }

    @Override
    public void recordSeen(String id, Instant at) throws RegistryException {
        backend().recordSeen(id, at);
    }

    @Override
    public boolean remove(String id) throws RegistryException {
        return backend().remove(id);
    }

    @Override
    public String status() {
        DeviceRegistry r = selection.chosen();
        return r == null ? selection.notRunning() : r.status();
    }

    @Override
    public String toString() {
        return "selected device registry (" + selection.kind() + ")";
    }
}
