package org.updraft.profile.mcuboot.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.profile.ProfileLimits;
import org.updraft.core.config.DataPaths;
import org.updraft.core.config.SettingValues;
import org.updraft.core.identity.KeyFileException;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.mcuboot.ImageKey;
import org.updraft.core.mcuboot.SlotLayout;
import org.updraft.core.profile.ClassSettings;

/**
 * The settings of one device class (one factory configuration), read and checked once. A configuration that
 * cannot be used (no class, an unreadable key, an impossible slot) still registers, so that the class's images
 * are refused saying what is wrong with it rather than as if the class had no configuration.
 */
@Component(service = McubootClass.class, configurationPid = McubootProfile.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = McubootClassConfig.class, factory = true)
public final class McubootClass implements ClassSettings {

    private static final Logger LOG = LoggerFactory.getLogger(McubootClass.class);

    private final String deviceClass;
    private final ImageKey key;
    private final SlotLayout slot;
    private final ProfileLimits limits;
    private final String problem;

    @Activate
    public McubootClass(McubootClassConfig config) {
        this.deviceClass = config.device_class().trim();
        ImageKey k = null;
        SlotLayout s = null;
        ProfileLimits l = null;
        String p = null;
        try {
            Manifest.checkId("device.class", deviceClass);
            long slotSize = SettingValues.size("slot.size", config.slot_size());
            int maxAlign = config.max_align() == 0 ? Math.max(8, config.align()) : config.max_align();
            s = new SlotLayout(slotSize, config.align(), config.max_sectors(), config.overwrite_only(), maxAlign);
            l = new ProfileLimits(slotSize, config.align(), config.block_size(),
                    SettingValues.list(config.delta_codecs()), config.delta_memory());
            if (config.image_key().isBlank()) {
                throw new IllegalArgumentException("no image.key is configured: the bootloader's public key "
                        + "(PEM) is needed to check signatures");
            }
            k = ImageKey.read(DataPaths.resolveFromEtc(config.image_key()));
        } catch (IllegalArgumentException | KeyFileException e) {
            p = e.getMessage();
        }
        this.key = k;
        this.slot = s;
        this.limits = l;
        this.problem = p;
        if (p != null) {
            LOG.error("MCUboot configuration of device class '{}' cannot be used, its images are refused: {}",
                    deviceClass, p);
        } else {
            LOG.info("MCUboot device class {}: {}, slot 0x{} (room for 0x{} bytes)", deviceClass, key,
                    Long.toHexString(slot.slotSize()), Long.toHexString(slot.room()));
        }
    }

    @Override
    public String deviceClass() {
        return deviceClass;
    }

    /** The key the class's bootloader checks images with; null when {@link #problem()} says why not. */
    ImageKey key() {
        return key;
    }

    SlotLayout slot() {
        return slot;
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
