package org.updraft.profile.linux.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * One device class of embedded Linux devices: factory PID {@value LinuxProfile#PID}, one configuration per class
 * ({@code etc/org.updraft.profile.linux-camera.cfg}). Sizes take decimal or {@code 0x} hexadecimal.
 */
@ObjectClassDefinition(name = "Updraft embedded Linux device class",
        description = "What the SWUpdate or Mender client of one device class accepts: the certificate it "
                + "verifies sw-description with or the key it verifies Mender artifacts with, its hardware revisions "
                + "or device types and its rootfs partition. One configuration per device class; images of a class "
                + "without one are refused at publish.")
public @interface LinuxClassConfig {

    @AttributeDefinition(name = "Device class",
            description = "The device class id these settings are for, as manifests name it (e.g. camera).")
    String device_class() default "";

    @AttributeDefinition(name = "Formats",
            description = "The update formats the devices install: swu (SWUpdate .swu), mender (Mender artifact, "
                    + "format 3). Images in another format are refused.")
    String[] formats() default { "swu" };

    @AttributeDefinition(name = "SWUpdate certificates",
            description = "PEM files of the certificates the devices verify sw-description's CMS signature with "
                    + "(swupdate -k): the signer's certificate or its issuer; a relative path starts from etc/. "
                    + "Required when formats has swu.")
    String[] swu_certificates() default {};

    @AttributeDefinition(name = "Mender verification keys",
            description = "PEM public keys (RSA or ECDSA P-256) the devices verify a Mender artifact's manifest.sig "
                    + "with (mender-artifact validate -k); a relative path starts from etc/. When set, unsigned "
                    + "artifacts are refused; empty: signatures are not checked.")
    String[] mender_verification_keys() default {};

    @AttributeDefinition(name = "Mender device types",
            description = "The device_type of the class's Mender clients; each must be in an artifact's "
                    + "artifact_depends.device_type. Empty: the device class id.")
    String[] mender_device_types() default {};

    @AttributeDefinition(name = "Hardware compatibility",
            description = "The hardware revisions of the class's devices (swupdate -H board:REVISION); each must be "
                    + "listed in sw-description's hardware-compatibility. Empty: not checked.")
    String[] hardware_compatibility() default {};

    @AttributeDefinition(name = "Rootfs partition size",
            description = "Bytes of the partition the images are written to (one of the A/B rootfs partitions); "
                    + "the images of a .swu, or the payload files of a Mender artifact, must fit it together.")
    String rootfs_partition_size() default "0x10000000";

    @AttributeDefinition(name = "Block size",
            description = "Bytes per block transports should send these devices; 0 for no preference.")
    int block_size() default 4096;

    @AttributeDefinition(name = "Delta codecs",
            description = "Delta codecs the devices can apply (bsdiff, vcdiff), most preferred first; empty for "
                    + "full images only.")
    String[] delta_codecs() default {};

    @AttributeDefinition(name = "Delta memory",
            description = "Working memory in bytes the devices can give a delta codec; 0 with no delta codecs.")
    long delta_memory() default 0;
}
