package org.updraft.core.mender;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * Checks a Mender artifact (format version 3) as {@code mender-artifact validate} and a device's Mender client check
 * it before installing: the tar's structure and order, the manifest's SHA-256 of {@code version}, of the header
 * archive and of every payload file, the manifest's signature under a trusted key (required when keys are given),
 * and, for a device class, that its device types are among {@code artifact_depends.device_type} and the payload
 * files fit its partition. One pass over the artifact; payload files are streamed through the digest.
 */
public final class MenderVerifier {

    /** {@code version} is one short JSON object. */
    static final int MAX_VERSION = 4096;
    /** The manifest lists a few files; 1 MiB is thousands of lines. */
    static final int MAX_MANIFEST = 1024 * 1024;
    /** Base64 of an RSA-8192 signature is under 1.5 KiB. */
    static final int MAX_SIGNATURE = 8 * 1024;
    /** The header archive, compressed as stored and uncompressed. */
    static final int MAX_HEADER = 1024 * 1024;
    static final int MAX_HEADER_UNCOMPRESSED = 4 * 1024 * 1024;
    /** header-info, type-info and meta-data each. */
    static final int MAX_HEADER_FILE = 64 * 1024;
    /** Files in the manifest, in the header, in all payloads; payloads. */
    static final int MAX_FILES = 4096;
    static final int MAX_PAYLOADS = 64;

    private static final Provider BC = new BouncyCastleProvider();
    private static final Pattern MANIFEST_LINE = Pattern.compile("([0-9a-f]{64})  ([^\\s]+)");
    private static final Pattern HEADER_FILE = Pattern.compile("headers/([0-9]{4})/(type-info|meta-data)");
    private static final Pattern COMPRESSED = Pattern.compile("(header|data/[0-9]{4})\\.tar(\\.[a-z0-9]+)?");

    /**
     * Reads one compression the library does not read itself (it reads gzip and uncompressed archives), e.g. xz
     * through a library the caller has. The stream it returns may throw any {@link IOException} on corrupt input:
     * the verifier refuses the artifact then.
     */
    @FunctionalInterface
    public interface Decompressor {

        /**
         * @param compressed the archive as stored in the artifact, bounded to its entry
         * @return the uncompressed tar stream
         * @throws IOException when the stream's header is not of this compression
         */
        InputStream open(InputStream compressed) throws IOException;
    }

    /**
     * What a device class requires of an artifact.
     *
     * @param keys the public keys the devices verify {@code manifest.sig} with (RSA or ECDSA P-256); empty: the
     *        signature is not required nor checked
     * @param deviceTypes the device types of the class's devices; each must be in {@code artifact_depends.device_type}
     * @param maxPayloadSize the partition the payload is written to: the sum of the sizes of all payload files must
     *        not exceed it
     * @param decompressors further compressions by file suffix without the dot ({@code xz} for
     *        {@code header.tar.xz}, mender-artifact's {@code lzma}); others than gzip and none are refused without
     */
    public record Policy(List<PublicKey> keys, List<String> deviceTypes, long maxPayloadSize,
            Map<String, Decompressor> decompressors) {

        public Policy {
            keys = List.copyOf(keys);
            deviceTypes = List.copyOf(deviceTypes);
            decompressors = Map.copyOf(decompressors);
        }

        /** Gzip and uncompressed archives only. */
        public Policy(List<PublicKey> keys, List<String> deviceTypes, long maxPayloadSize) {
            this(keys, deviceTypes, maxPayloadSize, Map.of());
        }
    }

    /**
     * @param artifactName {@code artifact_provides.artifact_name}
     * @param deviceTypes {@code artifact_depends.device_type}
     * @param payloadTypes the type of each payload, e.g. {@code rootfs-image}
     * @param payloadSize the sum of the sizes of all payload files
     * @param signed whether the manifest's signature was verified under one of the policy's keys
     */
    public record Result(String artifactName, List<String> deviceTypes, List<String> payloadTypes, long payloadSize,
            boolean signed) {
    }

    private MenderVerifier() {
    }

    /**
     * @param artifact the artifact, read once from position 0
     * @param size its size in bytes
     * @param policy what the device class requires
     * @return what was checked
     * @throws MenderException with the problem: {@code bad-artifact}, {@code unsupported-artifact},
     *         {@code unsupported-compression}, {@code bad-manifest}, {@code no-signature}, {@code bad-signature},
     *         {@code bad-header}, {@code wrong-device-type}, {@code invalid-hash}, {@code missing-payload},
     *         {@code too-large}
     */
    public static Result verify(SeekableByteChannel artifact, long size, Policy policy)
            throws MenderException, IOException {
        artifact.position(0);
        InputStream in = new BufferedInputStream(new Bounded(Channels.newInputStream(artifact), size, null), 64 * 1024);
        try {
            return verify(new TarReader(in, "the artifact"), policy);
        } catch (TarReader.EarlyEnd e) {
            throw new MenderException("bad-artifact", "the artifact ends early, inside one of its files");
        } catch (Corrupt e) {
            throw new MenderException("bad-artifact", e.getMessage());
        } catch (ChannelFailure e) {
            throw e.failure();
        }
    }

    private static Result verify(TarReader outer, Policy policy) throws MenderException, IOException {
        TarReader.Entry entry = expect(outer, outer.next(), "version");
        byte[] version = outer.read(MAX_VERSION, "bad-artifact", "version");
        checkVersion(version);

        expect(outer, outer.next(), "manifest");
        byte[] manifestBytes = outer.read(MAX_MANIFEST, "bad-manifest", "manifest");
        Map<String, String> manifest = manifest(manifestBytes);
        Set<String> unchecked = new LinkedHashSet<>(manifest.keySet());
        check(manifest, unchecked, "version", sha256(version));

        entry = file(outer, outer.next());
        boolean signed = false;
        if (entry != null && entry.name().equals("manifest.sig")) {
            byte[] signature = outer.read(MAX_SIGNATURE, "bad-signature", "manifest.sig");
            if (!policy.keys().isEmpty()) {
                verifySignature(manifestBytes, signature, policy.keys());
                signed = true;
            }
            entry = file(outer, outer.next());
        } else if (!policy.keys().isEmpty()) {
            throw new MenderException("no-signature", "the artifact is not signed (no manifest.sig) and the class "
                    + "requires a signature under its Mender verification key");
        }
        if (entry != null && entry.name().startsWith("manifest-augment")) {
            throw new MenderException("unsupported-artifact", "augmented artifacts (manifest-augment, "
                    + "header-augment) are not supported");
        }
        String compression = compression(entry, "header", policy);
        byte[] header = outer.read(MAX_HEADER, "bad-header", entry.name());
        check(manifest, unchecked, entry.name(), sha256(header));
        Header parsed = header(new ByteArrayInputStream(header), compression, entry.name(), policy);

        for (String type : policy.deviceTypes()) {
            if (!parsed.deviceTypes().contains(type)) {
                throw new MenderException("wrong-device-type", "the artifact's artifact_depends.device_type "
                        + parsed.deviceTypes() + " does not include the class's device type " + type);
            }
        }

        long total = 0;
        int files = 0;
        for (int payload = 0; payload < parsed.payloadTypes().size(); payload++) {
            String prefix = String.format("data/%04d", payload);
            entry = file(outer, outer.next());
            if (entry != null && entry.name().startsWith("header-augment")) {
                throw new MenderException("unsupported-artifact", "augmented artifacts (manifest-augment, "
                        + "header-augment) are not supported");
            }
            String dataCompression = compression(entry, prefix, policy);
            TarReader data = new TarReader(decompress(outer.content(), dataCompression, entry.name(), policy),
                    entry.name());
            for (TarReader.Entry file = data.next(); file != null; file = data.next()) {
                if (file.type() != '0' || file.name().isEmpty() || file.name().contains("/")) {
                    throw new MenderException("bad-artifact", entry.name() + " holds '" + file.name()
                            + "': a payload holds plain files only");
                }
                if (++files > MAX_FILES) {
                    throw new MenderException("bad-artifact", "the payloads hold more than " + MAX_FILES + " files");
                }
                String path = prefix + "/" + file.name();
                if (!manifest.containsKey(path)) {
                    throw new MenderException("bad-manifest", path + " is not in the manifest");
                }
                if (!unchecked.contains(path)) {
                    throw new MenderException("bad-artifact", "the artifact holds " + path + " twice");
                }
                total += file.size();
                if (total > policy.maxPayloadSize()) {
                    throw new MenderException("too-large", "the payload files total 0x" + Long.toHexString(total)
                            + " bytes or more, larger than the partition 0x"
                            + Long.toHexString(policy.maxPayloadSize()));
                }
                check(manifest, unchecked, path, sha256(data.content()));
            }
            data.end(TarReader.MAX_TRAILER);
        }
        entry = file(outer, outer.next());
        if (entry != null) {
            throw new MenderException("bad-artifact", "the artifact holds " + entry.name() + " after its "
                    + parsed.payloadTypes().size() + " payload(s) named in header-info");
        }
        outer.end(Long.MAX_VALUE);
        if (!unchecked.isEmpty()) {
            throw new MenderException("missing-payload", "the manifest names " + unchecked.iterator().next()
                    + ", which is not in the artifact");
        }
        return new Result(parsed.artifactName(), parsed.deviceTypes(), parsed.payloadTypes(), total, signed);
    }

    /**
     * Reads the PEM public keys ({@code -----BEGIN PUBLIC KEY-----}, as {@code openssl pkey -pubout} writes them) of a
     * file: RSA or EC, one or several, as {@code mender-artifact validate -k} takes one.
     *
     * @throws IOException when the file cannot be read or holds no usable key
     */
    public static List<PublicKey> readPublicKeys(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        Matcher m = Pattern.compile("-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\\s]+)-----END PUBLIC KEY-----")
                .matcher(text);
        List<PublicKey> keys = new ArrayList<>();
        while (m.find()) {
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(m.group(1));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + " holds a PEM block that is not base64");
            }
            keys.add(publicKey(der, file));
        }
        if (keys.isEmpty()) {
            throw new IOException(file + " holds no PEM public key (-----BEGIN PUBLIC KEY-----)");
        }
        return keys;
    }

    private static PublicKey publicKey(byte[] der, Path file) throws IOException {
        for (String algorithm : List.of("RSA", "EC")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException | RuntimeException e) {
                // not a key of this algorithm: try the next
            }
        }
        throw new IOException(file + " holds a public key that is neither RSA nor EC");
    }

    /**
     * mender-artifact signs the manifest with SHA-256: RSA PKCS#1 v1.5, or ECDSA with the signature as the fixed-size
     * concatenation {@code r||s}; base64 either way.
     */
    static void verifySignature(byte[] manifest, byte[] signatureFile, List<PublicKey> keys) throws MenderException {
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(new String(signatureFile, StandardCharsets.US_ASCII).strip());
        } catch (IllegalArgumentException e) {
            throw new MenderException("bad-signature", "manifest.sig is not base64");
        }
        for (PublicKey key : keys) {
            try {
                Signature verifier;
                byte[] encoded = signature;
                if (key instanceof RSAPublicKey) {
                    verifier = Signature.getInstance("SHA256withRSA");
                } else if (key instanceof ECPublicKey ec) {
                    int half = (ec.getParams().getCurve().getField().getFieldSize() + 7) / 8;
                    if (signature.length != 2 * half) {
                        continue;
                    }
                    encoded = der(signature, half);
                    verifier = Signature.getInstance("SHA256withECDSA", BC);
                } else {
                    continue;
                }
                verifier.initVerify(key);
                verifier.update(manifest);
                if (verifier.verify(encoded)) {
                    return;
                }
            } catch (GeneralSecurityException | IOException | RuntimeException e) {
                // a signature this key cannot verify: try the others
            }
        }
        throw new MenderException("bad-signature", "manifest.sig does not verify with the class's Mender "
                + "verification key");
    }

    private static byte[] der(byte[] raw, int half) throws IOException {
        ASN1EncodableVector rs = new ASN1EncodableVector();
        rs.add(new ASN1Integer(new BigInteger(1, java.util.Arrays.copyOfRange(raw, 0, half))));
        rs.add(new ASN1Integer(new BigInteger(1, java.util.Arrays.copyOfRange(raw, half, 2 * half))));
        return new DERSequence(rs).getEncoded();
    }

    private record Header(String artifactName, List<String> deviceTypes, List<String> payloadTypes) {
    }

    private static Header header(InputStream stored, String compression, String name, Policy policy)
            throws MenderException, IOException {
        TarReader tar = new TarReader(new Bounded(decompress(stored, compression, name, policy),
                MAX_HEADER_UNCOMPRESSED, name), name);
        try {
            TarReader.Entry entry = tar.next();
            if (entry == null || !entry.name().equals("header-info")) {
                throw new MenderException("bad-header", name + " does not start with header-info");
            }
            Map<String, Object> info = Json.object(Json.parse(tar.read(MAX_HEADER_FILE, "bad-header", "header-info"),
                    "header-info"), "header-info");
            List<String> payloadTypes = new ArrayList<>();
            for (Object payload : list(info.get("payloads"), "header-info payloads")) {
                Object type = Json.object(payload, "a payload of header-info").get("type");
                if (!(type instanceof String t) || t.isEmpty()) {
                    throw new MenderException("bad-header", "a payload of header-info has no type");
                }
                payloadTypes.add(t);
            }
            if (payloadTypes.size() > MAX_PAYLOADS) {
                throw new MenderException("bad-header", "header-info names more than " + MAX_PAYLOADS + " payloads");
            }
            Object provides = Json.object(info.get("artifact_provides"), "header-info artifact_provides")
                    .get("artifact_name");
            if (!(provides instanceof String artifactName) || artifactName.isEmpty()) {
                throw new MenderException("bad-header", "header-info has no artifact_provides.artifact_name");
            }
            List<String> deviceTypes = new ArrayList<>();
            for (Object type : list(Json.object(info.get("artifact_depends"), "header-info artifact_depends")
                    .get("device_type"), "header-info artifact_depends.device_type")) {
                if (!(type instanceof String t) || t.isEmpty()) {
                    throw new MenderException("bad-header", "artifact_depends.device_type holds a non-string");
                }
                deviceTypes.add(t);
            }
            if (deviceTypes.isEmpty()) {
                throw new MenderException("bad-header", "header-info's artifact_depends.device_type is empty");
            }

            Set<Integer> typeInfos = new LinkedHashSet<>();
            int files = 0;
            for (entry = tar.next(); entry != null; entry = tar.next()) {
                if (++files > MAX_FILES) {
                    throw new MenderException("bad-header", name + " holds more than " + MAX_FILES + " files");
                }
                Matcher m = HEADER_FILE.matcher(entry.name());
                if (entry.type() == '0' && m.matches()) {
                    int index = Integer.parseInt(m.group(1));
                    if (index >= payloadTypes.size()) {
                        throw new MenderException("bad-header", name + " holds " + entry.name() + " for a payload "
                                + "header-info does not name");
                    }
                    byte[] bytes = tar.read(MAX_HEADER_FILE, "bad-header", entry.name());
                    if (m.group(2).equals("type-info")) {
                        typeInfo(bytes, entry.name(), payloadTypes.get(index));
                        if (!typeInfos.add(index)) {
                            throw new MenderException("bad-header", name + " holds " + entry.name() + " twice");
                        }
                    } else if (bytes.length > 0) {
                        Json.object(Json.parse(bytes, entry.name()), entry.name());
                    }
                } else if (!entry.name().startsWith("scripts/") && !(entry.type() == '5'
                        && (entry.name().startsWith("headers/") || entry.name().startsWith("scripts")))) {
                    throw new MenderException("bad-header", name + " holds " + entry.name() + ", which a version 3 "
                            + "header does not have");
                }
            }
            tar.end(TarReader.MAX_TRAILER);
            if (typeInfos.size() != payloadTypes.size()) {
                throw new MenderException("bad-header", name + " holds type-info for " + typeInfos.size() + " of the "
                        + payloadTypes.size() + " payload(s) header-info names");
            }
            return new Header((String) provides, List.copyOf(deviceTypes), List.copyOf(payloadTypes));
        } catch (TarReader.EarlyEnd e) {
            throw new MenderException("bad-header", name + " ends early, inside one of its files");
        } catch (Bounded.Exceeded e) {
            throw new MenderException("bad-header", e.getMessage());
        }
    }

    /** type-info's type, when it states one (mender-artifact 3.9 leaves it empty for rootfs-image), is the payload's. */
    private static void typeInfo(byte[] bytes, String name, String payloadType) throws MenderException {
        Object type = Json.object(Json.parse(bytes, name), name).get("type");
        if (type != null && !(type instanceof String)) {
            throw new MenderException("bad-header", name + "'s type is not a string");
        }
        if (type != null && !((String) type).isEmpty() && !type.equals(payloadType)) {
            throw new MenderException("bad-header", name + " says type " + type + ", header-info says "
                    + payloadType);
        }
    }

    private static List<Object> list(Object value, String what) throws MenderException {
        if (!(value instanceof List<?> l)) {
            throw new MenderException("bad-header", what + " is not a JSON array");
        }
        return new ArrayList<>(l);
    }

    private static void checkVersion(byte[] bytes) throws MenderException {
        Map<String, Object> version;
        try {
            version = Json.object(Json.parse(bytes, "version"), "version");
        } catch (MenderException e) {
            throw new MenderException("bad-artifact", e.getMessage());
        }
        if (!"mender".equals(version.get("format"))) {
            throw new MenderException("bad-artifact", "version's format is " + version.get("format")
                    + ", not mender");
        }
        if (!(version.get("version") instanceof Long v) || v != 3) {
            throw new MenderException("unsupported-artifact", "the artifact is of format version "
                    + version.get("version") + "; only version 3 is supported");
        }
    }

    private static Map<String, String> manifest(byte[] bytes) throws MenderException {
        Map<String, String> manifest = new LinkedHashMap<>();
        String text = new String(bytes, StandardCharsets.UTF_8);
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            Matcher m = MANIFEST_LINE.matcher(line);
            if (!m.matches()) {
                throw new MenderException("bad-manifest", "manifest line '" + printable(line) + "' is not "
                        + "'SHA256  PATH'");
            }
            if (manifest.put(m.group(2), m.group(1)) != null) {
                throw new MenderException("bad-manifest", "the manifest names " + m.group(2) + " twice");
            }
            if (manifest.size() > MAX_FILES) {
                throw new MenderException("bad-manifest", "the manifest names more than " + MAX_FILES + " files");
            }
        }
        return manifest;
    }

    private static void check(Map<String, String> manifest, Set<String> unchecked, String path, String sha256)
            throws MenderException {
        String expected = manifest.get(path);
        if (expected == null) {
            throw new MenderException("bad-manifest", path + " is not in the manifest");
        }
        if (!expected.equals(sha256)) {
            throw new MenderException("invalid-hash", path + " does not match its sha256 in the manifest");
        }
        unchecked.remove(path);
    }

    private static TarReader.Entry expect(TarReader outer, TarReader.Entry entry, String name)
            throws MenderException {
        if (entry == null || entry.type() != '0' || !entry.name().equals(name)) {
            throw new MenderException("bad-artifact", "expected " + name + " in the artifact, found "
                    + (entry == null ? "its end" : entry.name()) + " (not a Mender artifact)");
        }
        return entry;
    }

    private static TarReader.Entry file(TarReader outer, TarReader.Entry entry) throws MenderException {
        if (entry != null && entry.type() != '0') {
            throw new MenderException("bad-artifact", "the artifact holds the directory " + entry.name());
        }
        return entry;
    }

    /** The compression of {@code stem.tar[.ext]}: "", "gz" or one of the policy's decompressors. */
    private static String compression(TarReader.Entry entry, String stem, Policy policy) throws MenderException {
        Matcher m = entry == null ? null : COMPRESSED.matcher(entry.name());
        if (m == null || !m.matches() || !m.group(1).equals(stem)) {
            throw new MenderException("bad-artifact", "expected " + stem + ".tar[.gz] in the artifact, found "
                    + (entry == null ? "its end" : entry.name()));
        }
        String suffix = m.group(2) == null ? "" : m.group(2).substring(1);
        if (!suffix.isEmpty() && !suffix.equals("gz") && !policy.decompressors().containsKey(suffix)) {
            List<String> supported = new ArrayList<>(List.of("gzip"));
            supported.addAll(new java.util.TreeSet<>(policy.decompressors().keySet()));
            supported.add("none");
            throw new MenderException("unsupported-compression", entry.name() + " is compressed with " + suffix
                    + "; supported: " + String.join(", ", supported));
        }
        return suffix;
    }

    private static InputStream decompress(InputStream in, String compression, String name, Policy policy)
            throws MenderException, IOException {
        if (compression.isEmpty()) {
            return in;
        }
        try {
            InputStream opened = compression.equals("gz") ? new GZIPInputStream(in, 64 * 1024)
                    : policy.decompressors().get(compression).open(in);
            return new Decoded(opened, name);
        } catch (TarReader.EarlyEnd | ChannelFailure e) {
            throw e;
        } catch (IOException e) {
            throw new MenderException("bad-artifact", name + " is not " + compression + ": " + e.getMessage());
        }
    }

    /**
     * Turns a decompressor's failure on corrupt input into a refusal rather than an I/O failure of the publish; a
     * failure to read the artifact itself passes through.
     */
    private static final class Decoded extends java.io.FilterInputStream {
        private final String name;

        Decoded(InputStream in, String name) {
            super(in);
            this.name = name;
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (TarReader.EarlyEnd | ChannelFailure | Corrupt e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw new Corrupt(name + " is corrupt: " + e.getMessage());
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (TarReader.EarlyEnd | ChannelFailure | Corrupt e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw new Corrupt(name + " is corrupt: " + e.getMessage());
            }
        }
    }

    /** The artifact itself could not be read (a disk error, not its content): the publish fails, nothing is refused. */
    static final class ChannelFailure extends IOException {
        private static final long serialVersionUID = 1L;

        ChannelFailure(IOException cause) {
            super(cause.getMessage(), cause);
        }

        IOException failure() {
            return (IOException) getCause();
        }
    }

    /** A corrupt compressed stream, found while reading it. */
    static final class Corrupt extends IOException {
        private static final long serialVersionUID = 1L;

        Corrupt(String message) {
            super(message);
        }
    }

    private static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    private static String sha256(InputStream in) throws IOException {
        MessageDigest digest = sha256();
        byte[] buffer = new byte[64 * 1024];
        for (int n; (n = in.read(buffer)) >= 0;) {
            digest.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static String printable(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }

    /**
     * At most {@code limit} bytes of a stream: the artifact's size (then its end), or a decompressed header's bound
     * (then a refusal, when {@code what} is set).
     */
    static final class Bounded extends InputStream {

        /** A decompressed stream went past its bound. */
        static final class Exceeded extends IOException {
            private static final long serialVersionUID = 1L;

            Exceeded(String message) {
                super(message);
            }
        }

        private final InputStream in;
        private final String what;
        private long left;

        Bounded(InputStream in, long limit, String what) {
            this.in = in;
            this.left = limit;
            this.what = what;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (left <= 0) {
                if (what != null && in.read() >= 0) {
                    throw new Exceeded(what + " is larger than " + MAX_HEADER_UNCOMPRESSED + " bytes uncompressed");
                }
                return -1;
            }
            int n;
            try {
                n = in.read(b, off, (int) Math.min(len, left));
            } catch (ChannelFailure | Corrupt | TarReader.EarlyEnd e) {
                throw e;
            } catch (IOException e) {
                if (what != null) {
                    throw e;
                }
                throw new ChannelFailure(e);
            }
            if (n > 0) {
                left -= n;
            }
            return n;
        }
    }
}
