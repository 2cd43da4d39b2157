package org.updraft.profile.linux.internal;

import java.io.IOException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.profile.ProfileLimits;
import org.updraft.core.config.DataPaths;
import org.updraft.core.config.SettingValues;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.mender.MenderVerifier;
import org.updraft.core.profile.ClassSettings;
import org.updraft.core.swu.SwuVerifier;

/**
 * The settings of one device class (one factory configuration), read and checked once: certificates and keys are
 * read at activation. A configuration that cannot be used still registers, so that the class's images are refused saying
 * what is wrong with it rather than as if the class had no configuration.
 */
@Component(service = LinuxClass.class, configurationPid = LinuxProfile.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = LinuxClassConfig.class, factory = true)
public final class LinuxClass implements ClassSettings {

    /** The formats this profile can check. */
    static final List<String> FORMATS = List.of("swu", "mender");

    private static final Logger LOG = LoggerFactory.getLogger(LinuxClass.class);

    private final String deviceClass;
    private final List<String> formats;
    private final SwuVerifier.Policy policy;
    private final MenderVerifier.Policy menderPolicy;
    private final ProfileLimits limits;
    private final String problem;

    @Activate
    public LinuxClass(LinuxClassConfig config) {
        this.deviceClass = config.device_class().trim();
        List<String> f = List.of();
        SwuVerifier.Policy p = null;
        MenderVerifier.Policy m = null;
        ProfileLimits l = null;
        String why = null;
        try {
            Manifest.checkId("device.class", deviceClass);
            List<String> configured = SettingValues.list(config.formats());
            for (String format : configured) {
                if (!FORMATS.contains(format)) {
                    throw new IllegalArgumentException("formats: '" + format + "' is not supported (supported: "
                            + String.join(", ", FORMATS) + ")");
                }
            }
            if (configured.isEmpty()) {
                throw new IllegalArgumentException("formats is empty: no image could be published");
            }
            long partition = SettingValues.size("rootfs.partition.size", config.rootfs_partition_size());
            if (configured.contains("swu")) {
                List<String> paths = SettingValues.list(config.swu_certificates());
                if (paths.isEmpty()) {
                    throw new IllegalArgumentException("no swu.certificates configured: the PEM certificate the "
                            + "devices verify sw-description with (swupdate -k)");
                }
                List<X509Certificate> certificates = new ArrayList<>();
                for (String path : paths) {
                    try {
                        certificates.addAll(SwuVerifier.readCertificates(DataPaths.resolveFromEtc(path)));
                    } catch (IOException e) {
                        throw new IllegalArgumentException("swu.certificates: " + e.getMessage(), e);
                    }
                }
                p = new SwuVerifier.Policy(certificates, SettingValues.list(config.hardware_compatibility()),
                        partition);
            }
            if (configured.contains("mender")) {
                List<PublicKey> keys = new ArrayList<>();
                for (String path : SettingValues.list(config.mender_verification_keys())) {
                    try {
                        keys.addAll(MenderVerifier.readPublicKeys(DataPaths.resolveFromEtc(path)));
                    } catch (IOException e) {
                        throw new IllegalArgumentException("mender.verification.keys: " + e.getMessage(), e);
                    }
                }
                List<String> deviceTypes = SettingValues.list(config.mender_device_types());
                m = new MenderVerifier.Policy(keys, deviceTypes.isEmpty() ? List.of(deviceClass) : deviceTypes,
                        partition);
            }
            f = List.copyOf(configured);
            // a Linux device writes through the kernel's block layer: no alignment is asked of the sender
            l = new ProfileLimits(partition, 1, config.block_size(), SettingValues.list(config.delta_codecs()),
                    config.delta_memory());
        } catch (IllegalArgumentException e) {
            why = e.getMessage();
        }
        this.formats = f;
        this.policy = p;
        this.menderPolicy = m;
        this.limits = l;
        this.problem = why;
        if (why != null) {
            LOG.error("Linux configuration of device class '{}' cannot be used, its images are refused: {}",
                    deviceClass, why);
        } else {
            LOG.info("Linux device class {}: formats {}, {} certificate(s), hardware {}, {} Mender key(s), device types "
                    + "{}, rootfs partition 0x{}", deviceClass, formats,
                    policy == null ? 0 : policy.trusted().size(),
                    policy == null ? List.of() : policy.hardwareCompatibility(),
                    menderPolicy == null ? 0 : menderPolicy.keys().size(),
                    menderPolicy == null ? List.of() : menderPolicy.deviceTypes(), Long.toHexString(limits.slotSize()));
        }
    }

    @Override
    public String deviceClass() {
        return deviceClass;
    }

    /** The formats the class's devices install, in the configured order; empty when {@link #problem()} says why. */
    List<String> formats() {
        return formats;
    }

    /** What the class's devices require of a .swu; null when swu is not among the formats or the class unusable. */
    SwuVerifier.Policy policy() {
        return policy;
    }

    /** What the class's devices require of a Mender artifact; null when mender is not among the formats. */
    MenderVerifier.Policy menderPolicy() {
        return menderPolicy;
    }

    @Override
    public ProfileLimits limits() {
        return limits;
    }

    @Override
    public String problem() {
        return problem;
    }
}
