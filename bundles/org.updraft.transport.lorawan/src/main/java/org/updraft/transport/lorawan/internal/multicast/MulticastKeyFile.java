package org.updraft.transport.lorawan.internal.multicast;

import java.nio.file.Path;
import java.util.Map;

/**
 * The devices' McRootKeys, from {@code multicast.keys.file}: {@link DeviceKeyFile} of
 * {@link DeviceKeyFile.Kind#MC_ROOT_KEY} (one rule for every key file), kept under this name for the demo, which
 * writes such a file and reads it back in its tests.
 */
public final class MulticastKeyFile {

    private MulticastKeyFile() {
    }

    /**
     * @return McRootKey by DevEUI (lower case)
     * @throws IllegalArgumentException when the file cannot be read, may be read by others, or has a bad line
     */
    public static Map<String, byte[]> read(Path file) {
        return DeviceKeyFile.read(file, DeviceKeyFile.Kind.MC_ROOT_KEY);
    }
}
