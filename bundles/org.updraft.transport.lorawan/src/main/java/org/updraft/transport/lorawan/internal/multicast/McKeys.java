package org.updraft.transport.lorawan.internal.multicast;

import java.security.GeneralSecurityException;
import java.util.Arrays;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key derivations of TS005 (LoRaWAN remote multicast setup), each a single AES-128 block operation:
 * <ul>
 * <li>McRootKey = aes128_encrypt(GenAppKey, 0x00 | pad16) for a LoRaWAN 1.0.x device, aes128_encrypt(AppKey, 0x20 |
 * pad16) for 1.1;</li>
 * <li>McKEKey = aes128_encrypt(McRootKey, 0x00 | pad16);</li>
 * <li>McKey_encrypted = aes128_decrypt(McKEKey, McKey), which the device undoes with aes128_encrypt;</li>
 * <li>McAppSKey = aes128_encrypt(McKey, 0x01 | McAddr | pad16), McNwkSKey the same with 0x02, McAddr
 * little-endian.</li>
 * </ul>
 * The platform holds each device's McRootKey and a fresh McKey per session; the device holds its own McRootKey and
 * learns McKey from McGroupSetupReq.
 */
public final class McKeys {

    /** A multicast group's session keys, as the network server needs them to send to the group. */
    public record SessionKeys(byte[] mcAppSKey, byte[] mcNwkSKey) {
        public SessionKeys {
            mcAppSKey = mcAppSKey.clone();
            mcNwkSKey = mcNwkSKey.clone();
        }

        @Override
        public byte[] mcAppSKey() {
            return mcAppSKey.clone();
        }

        @Override
        public byte[] mcNwkSKey() {
            return mcNwkSKey.clone();
        }

        /** Whether both keys equal {@code other}'s: what a MIC check and a decryption with the group's keys need. */
        public boolean matches(SessionKeys other) {
            return other != null && Arrays.equals(mcAppSKey, other.mcAppSKey)
                    && Arrays.equals(mcNwkSKey, other.mcNwkSKey);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof SessionKeys k && matches(k);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(mcAppSKey);
        }

        // keys stay out of logs
        @Override
        public String toString() {
            return "SessionKeys[...]";
        }
    }

    private McKeys() {
    }

    /**
     * The application packages' key derivation, {@code aes128_encrypt(key, tag | 0x00 × 15)}: TS005's McRootKey and
     * McKEKey, and TS004 v2.0.0's DataBlockIntKey ({@code tag} 0x30).
     */
    public static byte[] derive(byte[] key, int tag) {
        return encrypt(key, block(tag));
    }

    /** McRootKey of a LoRaWAN 1.0.x device from its GenAppKey. */
    public static byte[] rootKeyFromGenAppKey(byte[] genAppKey) {
        return derive(genAppKey, 0x00);
    }

    /** McRootKey of a LoRaWAN 1.1 device from its AppKey. */
    public static byte[] rootKeyFromAppKey(byte[] appKey) {
        return derive(appKey, 0x20);
    }

    /** McKEKey from McRootKey. */
    public static byte[] keyEncryptionKey(byte[] mcRootKey) {
        return derive(mcRootKey, 0x00);
    }

    /** McKey_encrypted for McGroupSetupReq: McKey under the device's McKEKey. */
    public static byte[] encryptedMcKey(byte[] mcKeKey, byte[] mcKey) {
        return decrypt(mcKeKey, mcKey);
    }

    /** What the device does with McGroupSetupReq's McKey_encrypted: McKey. */
    public static byte[] mcKeyFromEncrypted(byte[] mcKeKey, byte[] mcKeyEncrypted) {
        return encrypt(mcKeKey, mcKeyEncrypted);
    }

    /** The group's McAppSKey and McNwkSKey from McKey and McAddr. */
    public static SessionKeys sessionKeys(byte[] mcKey, long mcAddr) {
        if (mcAddr < 0 || mcAddr > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("McAddr is 32 bits, not " + mcAddr);
        }
        byte[] app = block(0x01);
        byte[] nwk = block(0x02);
        for (int i = 0; i < 4; i++) {
            app[1 + i] = (byte) (mcAddr >>> (8 * i));
            nwk[1 + i] = (byte) (mcAddr >>> (8 * i));
        }
        return new SessionKeys(encrypt(mcKey, app), encrypt(mcKey, nwk));
    }

    private static byte[] block(int first) {
        byte[] b = new byte[16];
        b[0] = (byte) first;
        return b;
    }

    private static byte[] encrypt(byte[] key, byte[] block) {
        return aes(Cipher.ENCRYPT_MODE, key, block);
    }

    private static byte[] decrypt(byte[] key, byte[] block) {
        return aes(Cipher.DECRYPT_MODE, key, block);
    }

    private static byte[] aes(int mode, byte[] key, byte[] block) {
        if (key.length != 16 || block.length != 16) {
            throw new IllegalArgumentException("LoRaWAN keys and blocks are 16 bytes, not " + key.length + " and "
                    + block.length);
        }
        try {
            Cipher aes = Cipher.getInstance("AES/ECB/NoPadding");
            aes.init(mode, new SecretKeySpec(key, "AES"));
            return aes.doFinal(block);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JVM has AES-128", e);
        }
    }
}
