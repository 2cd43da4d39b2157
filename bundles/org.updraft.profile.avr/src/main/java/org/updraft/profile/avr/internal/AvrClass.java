package org.updraft.profile.avr.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.profile.ProfileLimits;
import org.updraft.core.profile.ClassSettings;
import org.updraft.core.config.SettingValues;
import org.updraft.core.manifest.Manifest;

/**
 * The settings of one device class (one factory configuration), read and checked once. A configuration that
 * cannot be used still registers, so that the class's images are refused saying what is wrong with it rather than
 * as if the class had no configuration.
 */
@Component(service = AvrClass.class, configurationPid = AvrProfile.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = AvrClassConfig.class, factory = true)
public final class AvrClass implements ClassSettings {

    private static final Logger LOG = LoggerFactory.getLogger(AvrClass.class);

    private final String deviceClass;
    private final AvrPart part;
    private final ProfileLimits limits;
    private final String problem;

    @Activate
    public AvrClass(AvrClassConfig config) {
        this.deviceClass = config.device_class().trim();
        AvrPart p = null;
        ProfileLimits l = null;
        String why = null;
        try {
            Manifest.checkId("device.class", deviceClass);
            p = new AvrPart(config.part().trim(), bounded(SettingValues.size("flash.size", config.flash_size())),
                    bounded(SettingValues.size("bootloader.size", config.bootloader_size())), config.page_size());
            // the slot is the application flash the binary is written to, whole pages at a time
            l = new ProfileLimits(p.applicationSize(), p.pageSize(), config.block_size(),
                    SettingValues.list(config.delta_codecs()), config.delta_memory());
        } catch (IllegalArgumentException e) {
            why = e.getMessage();
        }
        this.part = p;
        this.limits = l;
        this.problem = why;
        if (why != null) {
            LOG.error("AVR configuration of device class '{}' cannot be used, its images are refused: {}",
                    deviceClass, why);
        } else {
            LOG.info("AVR device class {}: {}, application flash 0x0000-0x{}, pages of {} bytes", deviceClass,
                    part.description(), Integer.toHexString(part.applicationSize() - 1), part.pageSize());
        }
    }

    /** Above {@link AvrPart#MAX_FLASH}, which the part refuses, the exact value no longer matters. */
    private static int bounded(long size) {
        return (int) Math.min(size, Integer.MAX_VALUE);
    }

    @Override
    public String deviceClass() {
        return deviceClass;
    }

    /** The part; null when {@link #problem()} says why not. */
    AvrPart part() {
        return part;
    }

    @Override
    public ProfileLimits limits() {
        return limits;
    }

    /** Why this configuration cannot be used, or null. */
    @Override
    public String problem() {
        return problem;
    }
}
