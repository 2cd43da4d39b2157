package org.updraft.profile.avr.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * One device class of AVR devices: factory PID {@value AvrProfile#PID}, one configuration per class
 * ({@code etc/org.updraft.profile.avr-meter.cfg}). The defaults are an ATmega328P with a 512-byte bootloader
 * (Optiboot): application flash 0x0000-0x7dff, pages of 128 bytes. Sizes take decimal or {@code 0x} hexadecimal.
 */
@ObjectClassDefinition(name = "Updraft AVR device class",
        description = "The AVR part of one device class: its flash, bootloader section and page size. One "
                + "configuration per device class; images of a class without one are refused at publish.")
public @interface AvrClassConfig {

    @AttributeDefinition(name = "Device class",
            description = "The device class id these settings are for, as manifests name it (e.g. meter-328p).")
    String device_class() default "";

    @AttributeDefinition(name = "Part", description = "The AVR part, for messages (e.g. atmega328p, atmega2560).")
    String part() default "atmega328p";

    @AttributeDefinition(name = "Flash size",
            description = "Bytes of the part's flash (ATmega328P 0x8000, ATmega2560 0x40000).")
    String flash_size() default "0x8000";

    @AttributeDefinition(name = "Bootloader size",
            description = "Bytes of the bootloader section at the top of flash, as the BOOTSZ fuses set it "
                    + "(Optiboot on an ATmega328P: 0x200); the application may write below it only.")
    String bootloader_size() default "0x200";

    @AttributeDefinition(name = "Page size",
            description = "Bytes of one flash page (SPM_PAGESIZE; ATmega328P 128, ATmega2560 256): the devices "
                    + "write whole pages.")
    int page_size() default 128;

    @AttributeDefinition(name = "Block size",
            description = "Bytes per block transports should send these devices (what they buffer before a "
                    + "flash write); 0 for no preference.")
    int block_size() default 128;

    @AttributeDefinition(name = "Delta codecs",
            description = "Delta codecs the devices can apply (bsdiff, vcdiff), most preferred first; empty for "
                    + "full images only.")
    String[] delta_codecs() default {};

    @AttributeDefinition(name = "Delta memory",
            description = "Working memory in bytes the devices can give a delta codec; 0 with no delta codecs.")
    long delta_memory() default 0;
}
