package org.updraft.profile.espidf.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * One device class of ESP32 devices: factory PID {@value EspIdfProfile#PID}, one configuration per class
 * ({@code etc/org.updraft.profile.espidf-sensor.cfg}). Sizes take decimal or {@code 0x} hexadecimal, as
 * partition tables write them.
 */
@ObjectClassDefinition(name = "Updraft ESP-IDF device class",
        description = "Which chip the ESP32 devices of one class have, its revisions, and their OTA partition. One "
                + "configuration per device class; images of a class without one are refused at publish.")
public @interface EspIdfClassConfig {

    @AttributeDefinition(name = "Device class",
            description = "The device class id these settings are for, as manifests name it (e.g. sensor-c3).")
    String device_class() default "";

    @AttributeDefinition(name = "Chip id",
            description = "The chip id images must be built for (esp_chip_id_t): ESP32 0, ESP32-S2 2, ESP32-C3 5, "
                    + "ESP32-S3 9, ESP32-C2 12, ESP32-C6 13, ESP32-H2 16, ESP32-P4 18. -1: not configured, every "
                    + "image of the class is refused.")
    int chip_id() default -1;

    @AttributeDefinition(name = "Chip revisions",
            description = "The chip revisions the class's devices have (v3.1 or 3.1, comma-separated): an image "
                    + "whose minimum or maximum chip revision leaves one of them out is refused. Empty: every "
                    + "image of the class is refused.")
    String[] chip_revisions() default {};

    @AttributeDefinition(name = "OTA partition size",
            description = "Bytes of each OTA app partition (ota_0, ota_1) in the devices' partition table; "
                    + "decimal or 0x hexadecimal.")
    String partition_size() default "0x100000";

    @AttributeDefinition(name = "Write alignment",
            description = "The flash write size in bytes the devices write an image in (16 with flash "
                    + "encryption).")
    int write_align() default 4;

    @AttributeDefinition(name = "Block size",
            description = "Bytes per block transports should send these devices (what they buffer before a "
                    + "flash write); 0 for no preference.")
    int block_size() default 1024;

    @AttributeDefinition(name = "Delta codecs",
            description = "Delta codecs the devices can apply (bsdiff, vcdiff), most preferred first; empty for "
                    + "full images only.")
    String[] delta_codecs() default {};

    @AttributeDefinition(name = "Delta memory",
            description = "Working memory in bytes the devices can give a delta codec; 0 with no delta codecs.")
    long delta_memory() default 0;
}
