package org.updraft.demo.internal.profiles;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.updraft.core.swu.SwuException;
import org.updraft.core.swu.SwuWriter;
import org.updraft.device.DeviceFlash;
import org.updraft.device.LinuxAbRootfs;

/**
 * Embedded Linux devices updated by SWUpdate: a signed {@code .swu} with one root filesystem image, written to
 * whichever of the A/B partitions {@code /dev/mmcblk0p2} and {@code /dev/mmcblk0p3} is not running (SWUpdate's
 * selections {@code stable,copy1} and {@code stable,copy2}). The signer is an RSA key with a self-signed
 * certificate made for the run; the devices trust that certificate ({@code swupdate -k}).
 */
public final class LinuxFamily implements DemoFamily {

    static final String PID = "org.updraft.profile.linux";
    /** What the devices' {@code /etc/hwrevision} says after the board name. */
    static final String HARDWARE_REVISION = "1.0";
    static final long PARTITION_SIZE = 64L << 20;
    static final String ROOTFS = "rootfs.ext4";
    private static final Pattern VERSION = Pattern.compile("[0-9A-Za-z.+-]{1,64}");

    private final PrivateKey key;
    private final X509Certificate certificate;
    private final Path certificateFile;
    private final Path dir;

    private LinuxFamily(PrivateKey key, X509Certificate certificate, Path certificateFile, Path dir) {
        this.key = key;
        this.certificate = certificate;
        this.certificateFile = certificateFile;
        this.dir = dir;
    }

    /** A new signer: the certificate's PEM in {@code dir} for the class, the private key in memory only. */
    static LinuxFamily generate(Path dir) throws IOException {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(3072);
            KeyPair pair = generator.generateKeyPair();
            X500Name name = new X500Name("CN=Updraft demo update signer");
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name,
                    new BigInteger(64, new SecureRandom()), Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(Duration.ofDays(365))), name, pair.getPublic());
            // a signer, not a CA; OpenSSL's S/MIME signing purpose, which swupdate checks by default, takes it
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
            Path file = dir.resolve("swu-signer.pem").toAbsolutePath();
            Files.writeString(file, "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, new byte[] { '\n' })
                    .encodeToString(certificate.getEncoded()) + "\n-----END CERTIFICATE-----\n",
                    StandardCharsets.US_ASCII);
            return new LinuxFamily(pair.getPrivate(), certificate, file, dir);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make the demo's SWUpdate signer: " + e.getMessage(), e);
        }
    }

    @Override
    public String profile() {
        return "linux";
    }

    @Override
    public String configurationPid() {
        return PID;
    }

    @Override
    public Map<String, Object> classConfiguration(String deviceClass) {
        return Map.of("device.class", deviceClass, "formats", new String[] { "swu" },
                "swu.certificates", new String[] { certificateFile.toString() },
                "hardware.compatibility", new String[] { HARDWARE_REVISION },
                "rootfs.partition.size", "0x" + Long.toHexString(PARTITION_SIZE));
    }

    /** The certificates the class's devices verify sw-description with. */
    public List<X509Certificate> certificates() {
        return List.of(certificate);
    }

    /** The hardware revision of the class's devices, which every sw-description lists. */
    public String hardwareRevision() {
        return HARDWARE_REVISION;
    }

    /** A .swu whose sw-description says {@code version}; SWUpdate has no sequence, the manifest carries it. */
    @Override
    public byte[] image(String version, long sequence, byte[] program) throws IOException {
        DemoFamily.checkPayload(this, program.length);
        if (!VERSION.matcher(version).matches()) {
            throw new IllegalArgumentException("version '" + version + "' cannot be written in sw-description");
        }
        byte[] rootfs = program;
        // SwuWriter reads images from files, named in the archive by their file names
        Path work = Files.createTempDirectory(dir, "swu-");
        Path image = work.resolve(ROOTFS);
        try {
            Files.write(image, rootfs);
            byte[] description = SwuWriter.complete(swDescription(version), List.of(image));
            ByteArrayOutputStream swu = new ByteArrayOutputStream(program.length + 8192);
            SwuWriter.write(swu, description, SwuWriter.sign(description, key, certificate), List.of(image));
            return swu.toByteArray();
        } catch (SwuException e) {
            throw new IllegalStateException("the demo's .swu cannot be built: " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(image);
            Files.deleteIfExists(work);
        }
    }

    @Override
    public int maxPayload() {
        return (int) PARTITION_SIZE;
    }

    /** The same image for either copy; each selection names its partition and boots it next. */
    static String swDescription(String version) {
        return """
                software =
                {
                    version = "%s";
                    description = "Updraft demo root filesystem";
                    hardware-compatibility = [ "%s" ];
                    stable = {
                %s%s    };
                };
                """.formatted(version, HARDWARE_REVISION, copy("copy1", 2), copy("copy2", 3));
    }

    private static String copy(String selection, int partition) {
        return """
                        %1$s = {
                            images: ( {
                                filename = "%2$s";
                                type = "raw";
                                device = "/dev/mmcblk0p%3$d";
                                sha256 = "$swupdate_get_sha256(%2$s)";
                            } );
                            bootenv: ( { name = "rootpart"; value = "%3$d"; } );
                        };
                """.formatted(selection, ROOTFS, partition);
    }

    @Override
    public String fileSuffix() {
        return ".swu";
    }

    @Override
    public String deviceDescription() {
        return "A/B root file systems: SWUpdate checks the .swu's signature and hashes and writes the inactive "
                + "partition, U-Boot's boot counter falls back unless the new system confirms itself";
    }

    @Override
    public DeviceFlash factoryFlash(String version, long sequence, byte[] image) {
        return new LinuxAbRootfs(certificates(), hardwareRevision(), version, sequence, image);
    }

    @Override
    public String deviceState(DeviceFlash flash) {
        LinuxAbRootfs linux = (LinuxAbRootfs) flash;
        return "runs " + linux.running().version() + ", U-Boot environment " + new java.util.TreeMap<>(linux.env());
    }
}
