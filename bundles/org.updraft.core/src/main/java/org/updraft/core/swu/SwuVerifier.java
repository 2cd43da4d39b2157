package org.updraft.core.swu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.util.Store;

/**
 * Checks a {@code .swu} as a device running SWUpdate with signed images checks it before installing: the archive's
 * structure, the CMS signature of sw-description under a trusted certificate, and that every artifact
 * sw-description names is in the archive with the stated SHA-256; and, for a device class, that the images fit its
 * partition and its hardware revisions are listed. One pass over the archive; only sw-description and its
 * signature are held in memory.
 */
public final class SwuVerifier {

    /** The entry SWUpdate reads first. */
    public static final String SW_DESCRIPTION = "sw-description";
    /** The detached CMS signature over it, the second entry of a signed archive. */
    public static final String SIGNATURE = "sw-description.sig";
    /** A CMS signature with a short certificate chain is a few KiB. */
    static final int MAX_SIGNATURE = 64 * 1024;
    /** Bounds the names remembered in one pass; a .swu holds a handful of files. */
    static final int MAX_ENTRIES = 4096;

    private static final Provider BC = new BouncyCastleProvider();

    /**
     * What a device class requires of an archive.
     *
     * @param trusted the certificates the devices verify sw-description's signature with (SWUpdate's {@code -k}):
     *        the signer's certificate or one that issued it
     * @param hardwareCompatibility revisions the devices have; each must be in sw-description's
     *        {@code hardware-compatibility}; empty for no requirement
     * @param maxImagesSize the partition the images are written to: the sum of the sizes of the distinct files
     *        named in {@code images} lists must not exceed it
     */
    public record Policy(List<X509Certificate> trusted, List<String> hardwareCompatibility, long maxImagesSize) {

        public Policy {
            trusted = List.copyOf(trusted);
            hardwareCompatibility = List.copyOf(hardwareCompatibility);
        }
    }

    /**
     * @param description the parsed sw-description
     * @param imagesSize the sum of the sizes of the distinct files named in {@code images} lists
     */
    public record Result(SwDescription description, long imagesSize) {
    }

    private SwuVerifier() {
    }

    /**
     * @param archive the .swu, read by position from 0
     * @param size its size in bytes
     * @param policy what the device class requires
     * @return what was checked
     * @throws SwuException with the problem: {@code bad-archive}, {@code bad-sw-description}, {@code no-signature},
     *         {@code bad-signature}, {@code missing-image}, {@code no-hash}, {@code invalid-hash},
     *         {@code too-large}, {@code wrong-hardware}
     */
    public static Result verify(SeekableByteChannel archive, long size, Policy policy)
            throws SwuException, IOException {
        CpioReader reader = new CpioReader(archive, size);
        CpioReader.Entry first = reader.next();
        if (first == null || !first.name().equals(SW_DESCRIPTION)) {
            throw new SwuException("bad-archive", "the first entry of the .swu is "
                    + (first == null ? "the trailer" : "'" + first.name() + "'") + ", not sw-description");
        }
        byte[] description = small(reader, first, SwDescription.MAX_SIZE);
        CpioReader.Entry second = reader.next();
        if (second == null || !second.name().equals(SIGNATURE)) {
            throw new SwuException("no-signature", "the .swu is not signed: sw-description.sig does not follow "
                    + "sw-description");
        }
        verifySignature(description, small(reader, second, MAX_SIGNATURE), policy.trusted());
        SwDescription parsed = SwDescription.parse(description);

        Map<String, CpioReader.Entry> entries = new HashMap<>();
        Map<String, String> digests = new HashMap<>();
        for (CpioReader.Entry entry = reader.next(); entry != null; entry = reader.next()) {
            if (entry.name().equals(SW_DESCRIPTION) || entry.name().equals(SIGNATURE)
                    || entries.put(entry.name(), entry) != null) {
                throw new SwuException("bad-archive", "the .swu holds " + entry.name() + " twice");
            }
            if (entries.size() > MAX_ENTRIES) {
                throw new SwuException("bad-archive", "the .swu holds more than " + MAX_ENTRIES + " files");
            }
            digests.put(entry.name(), stream(archive, entry));
        }
        zeroPadding(archive, reader.end(), size);

        Map<String, Long> images = new LinkedHashMap<>();
        for (SwDescription.Artifact artifact : parsed.artifacts()) {
            CpioReader.Entry entry = entries.get(artifact.filename());
            if (entry == null) {
                throw new SwuException("missing-image", artifact.list() + " entry " + artifact.filename()
                        + " named in sw-description is not in the .swu");
            }
            if (artifact.sha256() == null) {
                throw new SwuException("no-hash", artifact.list() + " entry " + artifact.filename()
                        + " has no sha256 in sw-description: a signed .swu must state one for each file");
            }
            if (!artifact.sha256().equals(digests.get(artifact.filename()))) {
                throw new SwuException("invalid-hash", "image " + artifact.filename() + " in the .swu does not "
                        + "match its sha256 in sw-description");
            }
            if (artifact.list().equals("images")) {
                images.put(artifact.filename(), entry.size());
            }
        }
        long imagesSize = images.values().stream().mapToLong(Long::longValue).sum();
        if (imagesSize > policy.maxImagesSize()) {
            throw new SwuException("too-large", "images of the .swu total 0x" + Long.toHexString(imagesSize)
                    + " bytes, larger than the partition 0x" + Long.toHexString(policy.maxImagesSize()));
        }
        for (String revision : policy.hardwareCompatibility()) {
            if (!parsed.hardwareCompatibility().contains(revision)) {
                throw new SwuException("wrong-hardware", "sw-description's hardware-compatibility "
                        + parsed.hardwareCompatibility() + " does not include the class's revision " + revision);
            }
        }
        return new Result(parsed, imagesSize);
    }

    /**
     * Reads the certificates of a PEM (or DER) file: one or several, as SWUpdate's {@code -k} takes them.
     *
     * @throws IOException when the file cannot be read or holds no certificate
     */
    public static List<X509Certificate> readCertificates(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends java.security.cert.Certificate> read = CertificateFactory.getInstance("X.509")
                    .generateCertificates(in);
            List<X509Certificate> certificates = new ArrayList<>();
            read.forEach(c -> certificates.add((X509Certificate) c));
            if (certificates.isEmpty()) {
                throw new IOException(file + " holds no certificate");
            }
            return certificates;
        } catch (CertificateException e) {
            throw new IOException(file + " is not a PEM certificate: " + e.getMessage(), e);
        }
    }

    /**
     * Verifies a detached CMS signature over sw-description: one of its signers must be a trusted certificate or
     * a certificate the signature carries that a trusted certificate issued.
     */
    static void verifySignature(byte[] description, byte[] signature, List<X509Certificate> trusted)
            throws SwuException {
        CMSSignedData signed;
        try {
            signed = new CMSSignedData(new CMSProcessableByteArray(description), signature);
        } catch (CMSException | RuntimeException e) {
            throw new SwuException("bad-signature", "sw-description.sig is not a CMS signature (DER)");
        }
        List<X509CertificateHolder> candidates = candidates(signed, trusted);
        for (SignerInformation signer : signed.getSignerInfos().getSigners()) {
            for (X509CertificateHolder certificate : candidates) {
                if (!signer.getSID().match(certificate)) {
                    continue;
                }
                try {
                    if (signer.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(BC).build(certificate))) {
                        return;
                    }
                } catch (CMSException | OperatorCreationException | CertificateException | RuntimeException e) {
                    // a signer that cannot be verified under this certificate: try the others
                }
            }
        }
        throw new SwuException("bad-signature", "sw-description signature does not verify with the class's "
                + "certificate");
    }

    private static List<X509CertificateHolder> candidates(CMSSignedData signed, List<X509Certificate> trusted) {
        List<X509CertificateHolder> candidates = new ArrayList<>();
        for (X509Certificate certificate : trusted) {
            try {
                X509CertificateHolder anchor = new JcaX509CertificateHolder(certificate);
                candidates.add(anchor);
                @SuppressWarnings("unchecked")
                Store<X509CertificateHolder> carried = signed.getCertificates();
                for (X509CertificateHolder leaf : carried.getMatches(null)) {
                    if (leaf.getIssuer().equals(anchor.getSubject()) && leaf.isValidOn(new java.util.Date())
                            && leaf.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(BC)
                                    .build(certificate))) {
                        candidates.add(leaf);
                    }
                }
            } catch (CertificateException | OperatorCreationException | org.bouncycastle.cert.CertException
                    | RuntimeException e) {
                // a carried certificate this anchor did not issue
            }
        }
        return candidates;
    }

    private static byte[] small(CpioReader reader, CpioReader.Entry entry, int max)
            throws SwuException, IOException {
        if (entry.size() > max) {
            throw new SwuException("bad-archive", entry.name() + " is " + entry.size() + " bytes, more than "
                    + max);
        }
        ByteBuffer data = reader.read(entry.dataOffset(), (int) entry.size());
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        checksum(entry, sum(bytes, bytes.length, 0));
        return bytes;
    }

    /** Streams an entry's data through SHA-256 (and the cpio checksum); returns the hex digest. */
    private static String stream(SeekableByteChannel archive, CpioReader.Entry entry)
            throws SwuException, IOException {
        MessageDigest sha256 = sha256();
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        long sum = 0;
        archive.position(entry.dataOffset());
        for (long left = entry.size(); left > 0;) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), left));
            int n = archive.read(buffer);
            if (n < 0) {
                throw new SwuException("bad-archive", "archive ends early, in " + entry.name());
            }
            sha256.update(buffer.array(), 0, n);
            sum = sum(buffer.array(), n, sum);
            left -= n;
        }
        checksum(entry, sum);
        return HexFormat.of().formatHex(sha256.digest());
    }

    /** The 070702 checksum: the sum of the data's bytes, unsigned, modulo 2^32. */
    static long sum(byte[] bytes, int length, long sum) {
        for (int i = 0; i < length; i++) {
            sum += bytes[i] & 0xFF;
        }
        return sum & 0xFFFFFFFFL;
    }

    private static void checksum(CpioReader.Entry entry, long sum) throws SwuException {
        if (entry.checksummed() && sum != entry.checksum()) {
            throw new SwuException("bad-archive", "cpio checksum of " + entry.name() + " is 0x"
                    + Long.toHexString(sum) + ", its header says 0x" + Long.toHexString(entry.checksum()));
        }
    }

    /** cpio pads the archive to its block size with zeros; anything else after the trailer is refused. */
    private static void zeroPadding(SeekableByteChannel archive, long from, long size)
            throws SwuException, IOException {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        archive.position(from);
        for (long at = from; at < size;) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), size - at));
            int n = archive.read(buffer);
            if (n < 0) {
                throw new SwuException("bad-archive", "archive ends early, after the trailer");
            }
            for (int i = 0; i < n; i++) {
                if (buffer.get(i) != 0) {
                    throw new SwuException("bad-archive", "data after the cpio trailer, at byte " + (at + i));
                }
            }
            at += n;
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
