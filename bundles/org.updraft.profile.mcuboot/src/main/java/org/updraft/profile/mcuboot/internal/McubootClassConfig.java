package org.updraft.profile.mcuboot.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * One device class of MCUboot devices: factory PID {@value McubootProfile#PID}, one configuration per class
 * ({@code etc/org.updraft.profile.mcuboot-thermo.cfg}). Sizes take decimal or {@code 0x} hexadecimal, as imgtool's
 * options do.
 */
@ObjectClassDefinition(name = "Updraft MCUboot device class",
        description = "How MCUboot devices of one class boot: the key their bootloader checks images with and their "
                + "slot. One configuration per device class; images of a class without one are refused at publish.")
public @interface McubootClassConfig {

    @AttributeDefinition(name = "Device class",
            description = "The device class id these settings are for, as manifests name it (e.g. thermo-v2).")
    String device_class() default "";

    @AttributeDefinition(name = "Image key",
            description = "PEM file of the public key the class's bootloader verifies images with (imgtool getpub "
                    + "-e pem; a private key file also works, only its public half is used): Ed25519 or ECDSA "
                    + "P-256. A relative path starts from Karaf's etc directory; ${karaf.data} stands for its data "
                    + "directory. Empty: every image of the class is refused.")
    String image_key() default "";

    @AttributeDefinition(name = "Slot size",
            description = "Bytes of the slot an image is written to (imgtool --slot-size), trailer included; "
                    + "decimal or 0x hexadecimal.")
    String slot_size() default "0x20000";

    @AttributeDefinition(name = "Write alignment",
            description = "The flash write size in bytes (imgtool --align): 1, 2, 4, 8, 16 or 32.")
    int align() default 4;

    @AttributeDefinition(name = "Max sectors",
            description = "Sectors the swap status describes (imgtool --max-sectors); it sizes the trailer.")
    int max_sectors() default 128;

    @AttributeDefinition(name = "Max alignment",
            description = "The largest write size of the two slots (imgtool --max-align): 8, 16 or 32; 0 takes "
                    + "imgtool's default, the larger of 8 and the write alignment.")
    int max_align() default 0;

    @AttributeDefinition(name = "Overwrite only",
            description = "Whether the bootloader overwrites the primary slot instead of swapping "
                    + "(imgtool --overwrite-only): a smaller trailer.")
    boolean overwrite_only() default false;

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
