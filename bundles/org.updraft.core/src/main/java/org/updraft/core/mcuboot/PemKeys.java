package org.updraft.core.mcuboot;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.updraft.core.identity.KeyFileException;

/**
 * The PEM key files imgtool reads: PKCS#8 private keys ({@code imgtool keygen}), SEC1 EC private keys
 * ({@code openssl ecparam -genkey}) and SubjectPublicKeyInfo public keys ({@code imgtool getpub -e pem}).
 */
final class PemKeys {

    private static final int MAX_SIZE = 64 * 1024;

    private PemKeys() {
    }

    /** A private key's parameters, or null when the file holds a public key. */
    record Parsed(AsymmetricKeyParameter privateKey, AsymmetricKeyParameter publicKey) {
    }

    static Parsed read(Path file) throws KeyFileException {
        PemObject pem = pem(file);
        try {
            switch (pem.getType()) {
                case "PRIVATE KEY":
                    return new Parsed(PrivateKeyFactory.createKey(PrivateKeyInfo.getInstance(pem.getContent())),
                            null);
                case "EC PRIVATE KEY": {
                    ECPrivateKey sec1 = ECPrivateKey.getInstance(pem.getContent());
                    ASN1Encodable curve = sec1.getParametersObject();
                    if (!(curve instanceof ASN1ObjectIdentifier)) {
                        throw new KeyFileException(file + " holds an EC private key without a named curve");
                    }
                    return new Parsed(PrivateKeyFactory.createKey(new PrivateKeyInfo(
                            new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, curve), sec1)), null);
                }
                case "PUBLIC KEY":
                    return new Parsed(null, PublicKeyFactory.createKey(
                            SubjectPublicKeyInfo.getInstance(pem.getContent())));
                case "ENCRYPTED PRIVATE KEY":
                    throw new KeyFileException(file + " is encrypted; give an unencrypted PKCS#8 key (updraft does "
                            + "not prompt for a password as imgtool does)");
                case "RSA PRIVATE KEY":
                case "RSA PUBLIC KEY":
                    throw new KeyFileException(file + " holds an RSA key; MCUboot images are signed here with "
                            + "Ed25519 or ECDSA P-256 only");
                default:
                    throw new KeyFileException(file + " holds a PEM '" + pem.getType() + "' block, not a key");
            }
        } catch (IOException | RuntimeException e) {
            // BouncyCastle's ASN.1 messages mean nothing to the user: name the block and what it should be
            throw new KeyFileException(file + " is corrupt: its " + pem.getType() + " block is not "
                    + (pem.getType().equals("PUBLIC KEY") ? "a SubjectPublicKeyInfo"
                            : pem.getType().equals("PRIVATE KEY") ? "PKCS#8" : "SEC1") + " key of a known type");
        }
    }

    private static PemObject pem(Path file) throws KeyFileException {
        String text;
        try {
            if (Files.size(file) > MAX_SIZE) {
                throw new KeyFileException(file + " is too large to be a key file");
            }
            // Latin-1 decodes any bytes: a binary file is then "not a PEM key file", not a charset error
            text = Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new KeyFileException("key file " + file + " does not exist");
        } catch (AccessDeniedException e) {
            throw new KeyFileException("key file " + file + " is not readable");
        } catch (IOException e) {
            throw new KeyFileException("cannot read key file " + file + ": " + e.getMessage());
        }
        try (PemReader reader = new PemReader(new StringReader(text))) {
            PemObject pem = reader.readPemObject();
            if (pem == null) {
                throw new KeyFileException(file + " is not a PEM key file");
            }
            return pem;
        } catch (IOException e) {
            throw new KeyFileException(file + " is not a valid PEM key file: " + e.getMessage());
        }
    }
}
