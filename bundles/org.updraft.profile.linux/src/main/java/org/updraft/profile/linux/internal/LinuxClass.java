package org.updraft.profile.linux.internal;

import java.io.IOException;
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
import org.updraft.core.profile.ClassSettings;
import org.updraft.core.swu.SwuVerifier;

/**
 * The settings of one device class (one factory configuration), read and checked once: certificates are read at
 * activation. A configuration that cannot be used still registers, so that the class's images are refused saying
 * what is wrong with it rather than as if the class had no configuration.
 */
@Component(service = LinuxClass.class, configurationPid = LinuxProfile.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = LinuxClassConfig.class, factory = true)
public final class LinuxClass implements ClassSettings {

    /** The formats this profile can check. */
    static final List<String> FORMATS = List.of("swu");

    private static final Logger LOG = LoggerFactory.getLogger(LinuxClass.class);

    private final String deviceClass;
    private final SwuVerifier.Policy policy;
    private final ProfileLimits limits;
    private final String problem;

    @Activate
    public LinuxClass(LinuxClassConfig config) {
        this.deviceClass = config.device_class().trim();
        SwuVerifier.Policy p = null;
        ProfileLimits l = null;
        String why = null;
        try {
            Manifest.checkId("device.class", deviceClass);
            List<String> formats = SettingValues.list(config.formats());
            for (String format : formats) {
                if (!FORMATS.contains(format)) {
                    throw new IllegalArgumentException("formats: '" + format + "' is not supported (supported: "
                            + String.join(", ", FORMATS) + ")");
                }
            }
            if (formats.isEmpty()) {
                throw new IllegalArgumentException("formats is empty: no image could be published");
            }
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
            long partition = SettingValues.size("rootfs.partition.size", config.rootfs_partition_size());
            p = new SwuVerifier.Policy(certificates, SettingValues.list(config.hardware_compatibility()),
                    partition);
            // a Linux device writes through the kernel's block layer: no alignment is asked of the sender
            l = new ProfileLimits(partition, 1, config.block_size(), SettingValues.list(config.delta_codecs()),
                    config.delta_memory());
        } catch (IllegalArgumentException e) {
            why = e.getMessage();
        }
        this.policy = p;
        this.limits = l;
        this.problem = why;
        if (why != null) {
            LOG.error("Linux configuration of device class '{}' cannot be used, its images are refused: {}",
                    deviceClass, why);
        } else {
            LOG.info("Linux device class {}: {} certificate(s), hardware {}, rootfs partition 0x{}", deviceClass,
                    policy.trusted().size(), policy.hardwareCompatibility(), Long.toHexString(limits.slotSize()));
        }
    }

    @Override
    public String deviceClass() {
        return deviceClass;
    }

    /** What the class's devices require of a .swu; null when {@link #problem()} says why not. */
    SwuVerifier.Policy policy() {
        return policy;
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
