package org.updraft.shell.internal;

import java.time.Instant;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.DeviceState;

@Command(scope = "updraft", name = "device-add", description = "Registers a device with its public key")
@Service
public class DeviceAddCommand extends UpdraftCommand {

    @Option(name = "--key", description = "The device's did:key, or its public key file", required = true)
    String key;

    @Option(name = "--vendor", description = "Vendor of its device class", required = true)
    String vendor;

    @Option(name = "--class", description = "Its device class", required = true)
    String deviceClass;

    @Option(name = "--profile", description = "Its device profile (MCU family)")
    String profile;

    @Option(name = "--region", description = "The region it is deployed in")
    String region;

    @Option(name = "--tags", description = "Comma-separated labels")
    String tags;

    @Option(name = "--version", description = "The version it runs (default 0.0.0)")
    String version = "0.0.0";

    @Option(name = "--sequence", description = "The sequence number of the image it runs (default 0)")
    long sequence;

    @Argument(index = 0, name = "id", description = "The device id", required = true)
    String id;


    @Override
    protected Object run() throws Exception {
        DeviceRegistry devices = selected(DeviceRegistry.class, DeviceRegistry.SELECTED, "device registry", "updraft-registry-jdbc");
        Device added = devices.register(new Device(id, TrustAddCommand.did(key), vendor, deviceClass, profile,
                splitTags(tags), region, version, sequence, DeviceState.IDLE, null, Instant.now()));
        System.out.println("Registered device " + added.id());
        DeviceShowCommand.print(added);
        return null;
    }

    static Set<String> splitTags(String tags) {
        if (tags == null || tags.isBlank()) {
            return Set.of();
        }
        return Arrays.stream(tags.split(",")).map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
    }
}
