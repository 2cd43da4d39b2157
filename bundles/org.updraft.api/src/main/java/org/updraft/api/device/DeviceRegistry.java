package org.updraft.api.device;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The fleet: every device the platform serves, with its key, class, labels and where it stands. Several
 * platform nodes may share one registry (one database), so every method reads and writes the database, not a
 * private cache. Implementations register with the service property {@value #KIND}.
 */
@ProviderType
public interface DeviceRegistry {

    /** Service property naming the backend, e.g. {@code registry.kind=jdbc}. */
    String KIND = "registry.kind";

    /** Service property of the platform's registry that forwards to the backend chosen in {@code org.updraft.backends}. */
    String ROLE = "registry.role";

    /**
     * Target filter of the registry every platform component uses (see {@link #ROLE}); while the chosen backend is not
     * running, its methods throw {@link RegistryException} with code {@code unavailable}.
     */
    String SELECTED = "(" + ROLE + "=selected)";

    /**
     * Adds a device.
     *
     * @throws RegistryException {@code exists} when the id is taken, {@code invalid} when a field breaks a rule
     *         (id syntax, did:key, version), {@code unavailable} when the database cannot be reached
     */
    Device register(Device device) throws RegistryException;

    /** Adds many devices in one transaction: all or none. */
    void registerAll(List<Device> devices) throws RegistryException;

    Optional<Device> find(String id) throws RegistryException;

    /**
     * Devices matching {@code filter}, ordered by id, starting after {@code afterId} ({@code null} for the
     * first page): keyset paging, stable while devices are added.
     */
    List<Device> list(DeviceFilter filter, String afterId, int limit) throws RegistryException;

    long count(DeviceFilter filter) throws RegistryException;

    /**
     * Records what a device reported: its update state and the image it runs now.
     *
     * @throws RegistryException {@code unknown-device} when no such device is registered
     */
    Device recordState(String id, DeviceState state, String installedVersion, long installedSequence, Instant at)
            throws RegistryException;

    /** Records that the device talked to the platform; may be written lazily (within seconds). */
    void recordSeen(String id, Instant at) throws RegistryException;

    /** Removes a device; returns whether it was there. */
    boolean remove(String id) throws RegistryException;

    /** One line for operators: the database, its schema version and the number of devices, or what is wrong. */
    String status();
}
