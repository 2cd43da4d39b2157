package org.updraft.core.swu;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * Writes a signed {@code .swu} as SWUpdate reads it: a {@code cpio -H crc} archive of sw-description, its detached
 * CMS signature in DER (what {@code openssl cms -sign -binary -nosmimecap -outform DER} writes: the signer's
 * certificate included, content not), then the images in the order given. Placeholders
 * {@code "$swupdate_get_sha256(FILE)"} (meta-swupdate's) in sw-description are replaced by the file's SHA-256; a
 * stated sha256 must match. Images are streamed twice (digest and checksum, then copy), never held in memory.
 */
public final class SwuWriter {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$swupdate_get_sha256\\(([^)]*)\\)");
    private static final Provider BC = new BouncyCastleProvider();
    private static final int BLOCK = 512;

    private SwuWriter() {
    }

    /**
     * @param swDescription sw-description's text
     * @param images the files to include, named in the archive by their file names
     * @return sw-description with every placeholder replaced, checked: every file it names is one of
     *         {@code images} with the stated sha256, and every image is named
     * @throws SwuException {@code bad-sw-description}, {@code missing-image}, {@code no-hash}, {@code invalid-hash}
     */
    public static byte[] complete(String swDescription, List<Path> images) throws SwuException, IOException {
        Map<String, Path> byName = new LinkedHashMap<>();
        for (Path image : images) {
            if (byName.put(image.getFileName().toString(), image) != null) {
                throw new SwuException("bad-archive", "two images are named " + image.getFileName());
            }
        }
        Map<String, String> digests = new LinkedHashMap<>();
        for (Map.Entry<String, Path> image : byName.entrySet()) {
            digests.put(image.getKey(), HexFormat.of().formatHex(digest(image.getValue(), null)));
        }
        Matcher m = PLACEHOLDER.matcher(swDescription);
        StringBuilder filled = new StringBuilder();
        while (m.find()) {
            String digest = digests.get(m.group(1));
            if (digest == null) {
                throw new SwuException("missing-image", "sw-description asks for the sha256 of " + m.group(1)
                        + ", which is not among the images given");
            }
            m.appendReplacement(filled, digest);
        }
        m.appendTail(filled);
        byte[] text = filled.toString().getBytes(StandardCharsets.UTF_8);
        SwDescription parsed = SwDescription.parse(text);
        List<String> named = new ArrayList<>();
        for (SwDescription.Artifact artifact : parsed.artifacts()) {
            String digest = digests.get(artifact.filename());
            if (digest == null) {
                throw new SwuException("missing-image", artifact.list() + " entry " + artifact.filename()
                        + " named in sw-description is not among the images given");
            }
            if (artifact.sha256() == null) {
                throw new SwuException("no-hash", artifact.filename() + " has no sha256 in sw-description: add "
                        + "sha256 = \"$swupdate_get_sha256(" + artifact.filename() + ")\";");
            }
            if (!artifact.sha256().equals(digest)) {
                throw new SwuException("invalid-hash", "image " + artifact.filename() + " does not match its "
                        + "sha256 in sw-description");
            }
            named.add(artifact.filename());
        }
        for (String name : byName.keySet()) {
            if (!named.contains(name)) {
                throw new SwuException("missing-image", "image " + name + " is not named in sw-description");
            }
        }
        return text;
    }

    /**
     * Reads the signer's private key as openssl writes it, unencrypted: PKCS#8 ({@code PRIVATE KEY}) or the
     * traditional RSA and EC forms.
     *
     * @throws SwuException {@code bad-key} when the file holds no such key (an encrypted one included)
     */
    public static PrivateKey readPrivateKey(Path pem) throws SwuException, IOException {
        try (Reader reader = Files.newBufferedReader(pem, StandardCharsets.US_ASCII);
                PEMParser parser = new PEMParser(reader)) {
            Object read = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter().setProvider(BC);
            if (read instanceof PEMKeyPair pair) {
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
            if (read instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            throw new SwuException("bad-key", pem + " holds no unencrypted PEM private key");
        } catch (IOException | RuntimeException e) {
            throw new SwuException("bad-key", pem + " is not a PEM private key: " + e.getMessage(), e);
        }
    }

    /**
     * The detached CMS signature SWUpdate verifies: SHA-256 with the key's algorithm (RSA, ECDSA or Ed25519),
     * the certificate included.
     */
    public static byte[] sign(byte[] swDescription, PrivateKey key, X509Certificate certificate)
            throws SwuException {
        String algorithm = switch (key.getAlgorithm()) {
        case "RSA" -> "SHA256withRSA";
        case "EC", "ECDSA" -> "SHA256withECDSA";
        case "Ed25519", "EdDSA" -> "Ed25519";
        default -> throw new SwuException("bad-key", "keys of type " + key.getAlgorithm() + " cannot sign");
        };
        try {
            CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
            generator.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(
                    new JcaDigestCalculatorProviderBuilder().setProvider(BC).build())
                    .build(new JcaContentSignerBuilder(algorithm).setProvider(BC).build(key), certificate));
            generator.addCertificates(new JcaCertStore(List.of(certificate)));
            return generator.generate(new CMSProcessableByteArray(swDescription), false).getEncoded("DER");
        } catch (OperatorCreationException | CMSException | CertificateEncodingException | IOException e) {
            throw new SwuException("bad-key", "cannot sign with this key and certificate: " + e.getMessage(), e);
        }
    }

    /**
     * Writes the archive: sw-description, its signature, then the images.
     */
    public static void write(OutputStream out, byte[] swDescription, byte[] signature, List<Path> images)
            throws IOException {
        long[] written = {0};
        int ino = 1;
        written[0] += entry(out, ino++, SwuVerifier.SW_DESCRIPTION, swDescription.length,
                SwuVerifier.sum(swDescription, swDescription.length, 0));
        out.write(swDescription);
        written[0] += swDescription.length + pad(out, swDescription.length);
        written[0] += entry(out, ino++, SwuVerifier.SIGNATURE, signature.length,
                SwuVerifier.sum(signature, signature.length, 0));
        out.write(signature);
        written[0] += signature.length + pad(out, signature.length);
        for (Path image : images) {
            long[] sum = {0};
            digest(image, sum);
            long size = Files.size(image);
            written[0] += entry(out, ino++, image.getFileName().toString(), size, sum[0]);
            try (InputStream in = Files.newInputStream(image)) {
                if (in.transferTo(out) != size) {
                    throw new IOException(image + " changed while it was written");
                }
            }
            written[0] += size + pad(out, size);
        }
        written[0] += entry(out, 0, CpioReader.TRAILER, 0, 0);
        // cpio pads its archives to whole 512-byte blocks
        out.write(new byte[(int) ((BLOCK - written[0] % BLOCK) % BLOCK)]);
    }

    private static long entry(OutputStream out, int ino, String name, long size, long checksum)
            throws IOException {
        if (size > 0xFFFFFFFFL) {
            throw new IOException(name + " is larger than the 4 GiB a cpio newc entry can hold");
        }
        byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.UTF_8);
        boolean trailer = name.equals(CpioReader.TRAILER);
        String header = String.format("070702%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino,
                trailer ? 0 : 0100644, 0, 0, 1, 0, size, 0, 0, 0, 0, nameBytes.length, checksum);
        out.write(header.getBytes(StandardCharsets.US_ASCII));
        out.write(nameBytes);
        long length = CpioReader.HEADER + nameBytes.length;
        return length + pad(out, length);
    }

    private static int pad(OutputStream out, long length) throws IOException {
        int padding = (int) (CpioReader.align(length) - length);
        out.write(new byte[padding]);
        return padding;
    }

    /** SHA-256 of a file, streamed; adds its bytes' cpio checksum to {@code sum[0]} when given. */
    private static byte[] digest(Path file, long[] sum) throws IOException {
        MessageDigest sha256 = SwuVerifier.sha256();
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0;) {
                sha256.update(buffer, 0, n);
                if (sum != null) {
                    sum[0] = SwuVerifier.sum(buffer, n, sum[0]);
                }
            }
        }
        return sha256.digest();
    }
}
