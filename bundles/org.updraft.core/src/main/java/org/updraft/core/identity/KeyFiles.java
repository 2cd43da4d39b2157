package org.updraft.core.identity;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.Provider;
import java.util.EnumSet;

import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.util.PBKDF2Config;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PrivateKeyInfoFactory;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfoBuilder;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEInputDecryptorProviderBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEOutputEncryptorBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;
import org.updraft.core.io.AtomicFile;

/**
 * Key files in the formats OpenSSL reads: private keys as PKCS#8 PEM ({@code PRIVATE KEY}, or
 * {@code ENCRYPTED PRIVATE KEY} with PBES2, PBKDF2-HMAC-SHA256 and AES-256-CBC when a passphrase is given),
 * public keys as SubjectPublicKeyInfo PEM ({@code PUBLIC KEY}). Private key files are created readable by
 * their owner only.
 */
public final class KeyFiles {

    /** PBKDF2 iterations for encrypted keys, after OWASP's 2023 advice for PBKDF2-HMAC-SHA256. */
    static final int PBKDF2_ITERATIONS = 600_000;

    private static final String PRIVATE_KEY = "PRIVATE KEY";
    private static final String ENCRYPTED_PRIVATE_KEY = "ENCRYPTED PRIVATE KEY";
    private static final String PUBLIC_KEY = "PUBLIC KEY";

    /**
     * An unregistered provider instance: encryption of key files must not change the JVM's global provider
     * list (inside Karaf, other bundles share it). Created on first use: building it costs a few hundred
     * milliseconds, which only encrypted keys should pay.
     */
    private static final class Pbe {
        static final Provider BC = new BouncyCastleProvider();
    }

    private KeyFiles() {
    }

    /**
     * Writes the private key as PKCS#8 PEM, encrypted when {@code passphrase} is not null or empty. Refuses to
     * overwrite an existing file. The file appears whole or not at all.
     */
    public static void writePrivateKey(Path file, SigningKey key, char[] passphrase) throws KeyFileException {
        try {
            PrivateKeyInfo info = privateKeyInfo(key);
            PemObject pem;
            if (passphrase != null && passphrase.length > 0) {
                OutputEncryptor encryptor = new JcePKCSPBEOutputEncryptorBuilder(
                        new PBKDF2Config.Builder().withIterationCount(PBKDF2_ITERATIONS)
                                .withPRF(PBKDF2Config.PRF_SHA256).build(),
                        NISTObjectIdentifiers.id_aes256_CBC).setProvider(Pbe.BC).build(passphrase);
                pem = new PemObject(ENCRYPTED_PRIVATE_KEY,
                        new PKCS8EncryptedPrivateKeyInfoBuilder(info).build(encryptor).getEncoded());
            } else {
                pem = new PemObject(PRIVATE_KEY, info.getEncoded());
            }
            writeNew(file, pem, true);
        } catch (IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new KeyFileException("cannot write private key " + file + ": " + describe(e), e);
        }
    }

    /**
     * A key the platform keeps for itself (the log key, the statement key): read from {@code file} when it exists,
     * else generated and written there unencrypted, readable by its owner only, and synced to disk with its
     * directory (what the key signs may be kept; the key must not be lost in a power failure).
     *
     * @return the key, and whether it was generated now
     */
    public static PlatformKey readOrGenerate(Path file, KeyAlgorithm algorithm) throws KeyFileException {
        if (Files.exists(file)) {
            return new PlatformKey(readPrivateKey(file, null), false);
        }
        SigningKey key = SigningKey.generate(algorithm);
        writePrivateKey(file, key, null);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            throw new KeyFileException("cannot sync the new key " + file + " to disk: " + describe(e), e);
        }
        Path dir = file.toAbsolutePath().getParent();
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some platforms cannot open or sync a directory; the new file is still durable on the usual ones
        }
        return new PlatformKey(key, true);
    }

    /** A key {@link #readOrGenerate} read or made. */
    public record PlatformKey(SigningKey key, boolean generated) {
    }

    /** Whether others than the owner may read or write the file (a private key file should be chmod 600). */
    public static boolean openToOthers(Path file) {
        try {
            return !EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)
                    .containsAll(Files.getPosixFilePermissions(file));
        } catch (UnsupportedOperationException | IOException e) {
            return false; // not a POSIX file system: nothing to tell
        }
    }

    /** Writes the public key as SubjectPublicKeyInfo PEM. Refuses to overwrite an existing file. */
    public static void writePublicKey(Path file, VerificationKey key) throws KeyFileException {
        try {
            writeNew(file, new PemObject(PUBLIC_KEY, publicKeyInfo(key).getEncoded()), false);
        } catch (IOException e) {
            throw new KeyFileException("cannot write public key " + file + ": " + describe(e), e);
        }
    }

    /** The public key as SubjectPublicKeyInfo PEM text. */
    public static String publicKeyPem(VerificationKey key) {
        try {
            return pem(new PemObject(PUBLIC_KEY, publicKeyInfo(key).getEncoded()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Unencrypted PKCS#8 DER of the key, for {@link JcaKeys}. */
    static byte[] privateKeyInfoDer(SigningKey key) throws IOException {
        return privateKeyInfo(key).getEncoded();
    }

    /** SubjectPublicKeyInfo DER of the key, for {@link JcaKeys}. */
    static byte[] publicKeyInfoDer(VerificationKey key) throws IOException {
        return publicKeyInfo(key).getEncoded();
    }

    private static PrivateKeyInfo privateKeyInfo(SigningKey key) throws IOException {
        if (key.parameters() instanceof Ed25519PrivateKeyParameters ed) {
            // PKCS#8 v1 (RFC 8410 §7): BouncyCastle writes v2 with the public key, which OpenSSL 3.0 cannot read
            return new PrivateKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519),
                    new DEROctetString(ed.getEncoded()));
        }
        return PrivateKeyInfoFactory.createPrivateKeyInfo(key.parameters());
    }

    private static SubjectPublicKeyInfo publicKeyInfo(VerificationKey key) throws IOException {
        AsymmetricKeyParameter parameters = key.parameters();
        if (parameters instanceof ECPublicKeyParameters ec) {
            // SubjectPublicKeyInfoFactory names the curve only for named domain parameters
            parameters = new ECPublicKeyParameters(ec.getQ(), P256.DOMAIN);
        }
        return SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(parameters);
    }

    /**
     * Reads a private key file.
     *
     * @param passphrase needed when the file is encrypted; ignored otherwise
     * @throws KeyFileException with a one-line reason: missing file, not a private key, encrypted but no
     *         passphrase, wrong passphrase or corrupt, unsupported algorithm
     */
    public static SigningKey readPrivateKey(Path file, char[] passphrase) throws KeyFileException {
        PemObject pem = readPem(file);
        PrivateKeyInfo info;
        switch (pem.getType()) {
            case PRIVATE_KEY:
                try {
                    info = PrivateKeyInfo.getInstance(pem.getContent());
                } catch (RuntimeException e) {
                    throw new KeyFileException(file + " is corrupt: its PRIVATE KEY block is not PKCS#8");
                }
                break;
            case ENCRYPTED_PRIVATE_KEY:
                if (passphrase == null || passphrase.length == 0) {
                    throw new KeyFileException(file + " is encrypted: give its passphrase (--passphrase-file)");
                }
                try {
                    info = new PKCS8EncryptedPrivateKeyInfo(pem.getContent()).decryptPrivateKeyInfo(
                            new JcePKCSPBEInputDecryptorProviderBuilder().setProvider(Pbe.BC).build(passphrase));
                } catch (PKCSException | IOException | RuntimeException e) {
                    throw new KeyFileException("cannot decrypt " + file + ": wrong passphrase or corrupt key file");
                }
                break;
            case PUBLIC_KEY:
                throw new KeyFileException(file + " holds a public key; signing needs the private key file");
            default:
                throw new KeyFileException(file + " holds a PEM '" + pem.getType() + "' block, not a private key");
        }
        try {
            return SigningKey.of(PrivateKeyFactory.createKey(info));
        } catch (IOException | RuntimeException e) {
            throw new KeyFileException(file + " holds an unsupported private key (Updraft uses Ed25519 and P-256): "
                    + describe(e));
        }
    }

    /** Reads a public key file (SubjectPublicKeyInfo PEM). */
    public static VerificationKey readPublicKey(Path file) throws KeyFileException {
        PemObject pem = readPem(file);
        if (!PUBLIC_KEY.equals(pem.getType())) {
            throw new KeyFileException(file + " holds a PEM '" + pem.getType() + "' block, not a PUBLIC KEY");
        }
        try {
            return VerificationKey.of(PublicKeyFactory.createKey(SubjectPublicKeyInfo.getInstance(pem.getContent())));
        } catch (IOException | RuntimeException e) {
            throw new KeyFileException(file + " holds no usable Ed25519 or P-256 public key: " + describe(e));
        }
    }

    /** Reads a passphrase file: its first line, without the line break. */
    public static char[] readPassphrase(Path file) throws KeyFileException {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            int eol = text.indexOf('\n');
            String line = eol >= 0 ? text.substring(0, eol) : text;
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isEmpty()) {
                throw new KeyFileException("passphrase file " + file + " is empty");
            }
            return line.toCharArray();
        } catch (NoSuchFileException e) {
            throw new KeyFileException("passphrase file " + file + " does not exist");
        } catch (IOException e) {
            throw new KeyFileException("cannot read passphrase file " + file + ": " + describe(e));
        }
    }

    private static PemObject readPem(Path file) throws KeyFileException {
        String text;
        try {
            if (Files.size(file) > 64 * 1024) {
                throw new KeyFileException(file + " is too large to be a key file");
            }
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new KeyFileException("key file " + file + " does not exist");
        } catch (AccessDeniedException e) {
            throw new KeyFileException("key file " + file + " is not readable");
        } catch (IOException e) {
            throw new KeyFileException("cannot read key file " + file + ": " + describe(e));
        }
        try (PemReader reader = new PemReader(new StringReader(text))) {
            PemObject pem = reader.readPemObject();
            if (pem == null) {
                throw new KeyFileException(file + " is not a PEM key file");
            }
            return pem;
        } catch (IOException e) {
            throw new KeyFileException(file + " is not a valid PEM key file: " + describe(e));
        }
    }

    private static String pem(PemObject pem) throws IOException {
        StringWriter text = new StringWriter();
        try (PemWriter writer = new PemWriter(text)) {
            writer.writeObject(pem);
        }
        return text.toString();
    }

    private static void writeNew(Path file, PemObject pem, boolean secret) throws IOException {
        if (Files.exists(file)) {
            throw new FileAlreadyExistsException(file + " already exists; refusing to overwrite a key");
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        AtomicFile.create(file, pem(pem).getBytes(StandardCharsets.US_ASCII), secret ? "rw-------" : null);
    }

    private static String describe(Exception e) {
        if (e instanceof FileAlreadyExistsException) {
            return "the file already exists";
        }
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }
}
