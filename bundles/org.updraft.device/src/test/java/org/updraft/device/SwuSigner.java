package org.updraft.device;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.updraft.core.swu.SwuException;
import org.updraft.core.swu.SwuWriter;

/**
 * Who signs a release's {@code .swu} in a test: an RSA key with its self-signed certificate, which a device is
 * provisioned with to trust it. Builds archives with {@link SwuWriter} as {@code updraft swu-build} does.
 */
final class SwuSigner {

    private final KeyPair key;
    private final X509Certificate certificate;

    SwuSigner(String commonName) throws GeneralSecurityException, OperatorCreationException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        key = generator.generateKeyPair();
        X500Name name = new X500Name("CN=" + commonName);
        Instant now = Instant.now();
        certificate = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name,
                new BigInteger(64, new SecureRandom()), Date.from(now.minus(Duration.ofDays(1))),
                Date.from(now.plus(Duration.ofDays(30))), name, key.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate())));
    }

    X509Certificate certificate() {
        return certificate;
    }

    /**
     * A signed .swu: {@code description} with its sha256 placeholders filled from {@code images} (file name to
     * bytes), then the images.
     */
    byte[] swu(Path dir, String description, Map<String, byte[]> images) throws IOException, SwuException {
        return swu(dir, description, images, images);
    }

    /**
     * A .swu whose sw-description is signed for {@code signed} but which carries {@code shipped} instead, as an
     * archive altered after signing would.
     */
    byte[] swu(Path dir, String description, Map<String, byte[]> signed, Map<String, byte[]> shipped)
            throws IOException, SwuException {
        byte[] completed = SwuWriter.complete(description, files(Files.createTempDirectory(dir, "signed"), signed));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SwuWriter.write(out, completed, SwuWriter.sign(completed, key.getPrivate(), certificate),
                files(Files.createTempDirectory(dir, "shipped"), shipped));
        return out.toByteArray();
    }

    private static List<Path> files(Path dir, Map<String, byte[]> images) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Map.Entry<String, byte[]> image : images.entrySet()) {
            files.add(Files.write(dir.resolve(image.getKey()), image.getValue()));
        }
        return files;
    }
}
