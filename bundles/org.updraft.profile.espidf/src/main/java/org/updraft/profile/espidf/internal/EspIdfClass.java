package org.updraft.profile.espidf.internal;

import java.util.List;

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
@Component(service = EspIdfClass.class, configurationPid = EspIdfProfile.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = EspIdfClassConfig.class, factory = true)
public final class EspIdfClass implements ClassSettings {

    private static final Logger LOG = LoggerFactory.getLogger(EspIdfClass.class);

    private final String deviceClass;
    private final int chipId;
    private final List<Integer> revisions;
    private final long partitionSize;
    private final ProfileLimits limits;
    private final String problem;

    @Activate
    public EspIdfClass(EspIdfClassConfig config) {
        this.deviceClass = config.device_class().trim();
        this.chipId = config.chip_id();
        List<Integer> r = List.of();
        long size = 0;
        ProfileLimits l = null;
        String p = null;
        try {
            Manifest.checkId("device.class", deviceClass);
            if (chipId < 0 || chipId > 0xFFFE) {
                throw new IllegalArgumentException("chip.id " + chipId + " is not a chip id (ESP32 0, ESP32-S2 2, "
                        + "ESP32-C3 5, ESP32-S3 9, ...)");
            }
            r = SettingValues.list(config.chip_revisions()).stream().map(EspChip::parseRevision).toList();
            if (r.isEmpty()) {
                throw new IllegalArgumentException("no chip.revisions are configured: the revisions the class's "
                        + "devices have (e.g. v3.1) are needed to check an image's revision range");
            }
            size = SettingValues.size("partition.size", config.partition_size());
            l = new ProfileLimits(size, config.write_align(), config.block_size(),
                    SettingValues.list(config.delta_codecs()), config.delta_memory());
        } catch (IllegalArgumentException e) {
            p = e.getMessage();
        }
        this.revisions = r;
        this.partitionSize = size;
        this.limits = l;
        this.problem = p;
        if (p != null) {
            LOG.error("ESP-IDF configuration of device class '{}' cannot be used, its images are refused: {}",
                    deviceClass, p);
        } else {
            LOG.info("ESP-IDF device class {}: chip {}, revisions {}, OTA partition 0x{}", deviceClass,
                    EspChip.describe(chipId), revisions.stream().map(EspChip::revision).toList(),
                    Long.toHexString(partitionSize));
        }
    }

    @Override
    public String deviceClass() {
        return deviceClass;
    }

    int chipId() {
        return chipId;
    }

    /** The chip revisions the class's devices have, each {@code major * 100 + minor}. */
    List<Integer> revisions() {
        return revisions;
    }

    long partitionSize() {
        return partitionSize;
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
