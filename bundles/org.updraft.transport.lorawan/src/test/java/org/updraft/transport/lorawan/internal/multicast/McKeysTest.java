package org.updraft.transport.lorawan.internal.multicast;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** TS005's key derivations against the specification's example. */
class McKeysTest {

    private static final HexFormat HEX = HexFormat.of();

    /**
     * The example of TS005 v1.0.0 (as LoRaMac-node's fuota-test-01 readme repeats it): McKEKey
     * 2C578F79..., McKey_encrypted 015E85F4..., McKey 01..10, McAddr 0x01FFFFFF (FF FF FF 01 on air).
     */
    @Test
    void specificationExample() {
        byte[] kek = HEX.parseHex("2c578f7927a949d3b511ae8fb69145c6");
        byte[] encrypted = HEX.parseHex("015e85f4b99dc0b944066cd07498330b");
        byte[] mcKey = HEX.parseHex("0102030405060708090a0b0c0d0e0f10");
        assertArrayEquals(mcKey, McKeys.mcKeyFromEncrypted(kek, encrypted));
        assertArrayEquals(encrypted, McKeys.encryptedMcKey(kek, mcKey));
        McKeys.SessionKeys keys = McKeys.sessionKeys(mcKey, 0x01FF_FFFFL);
        assertEquals("c3f6c39b6b6496c29629f7e7e9b0cd29", HEX.formatHex(keys.mcAppSKey()));
        assertEquals("bb75c362588f5d65fcc61c080b76dba3", HEX.formatHex(keys.mcNwkSKey()));
        assertFalse(keys.toString().contains("c3f6"), "keys stay out of toString");
    }

    /** What the platform encrypts under a device's McRootKey, that device recovers; another device does not. */
    @Test
    void deviceRecoversTheGroupKeyFromItsRootKeyOnly() {
        Random random = new Random(5);
        byte[] genAppKey = new byte[16];
        byte[] other = new byte[16];
        byte[] mcKey = new byte[16];
        random.nextBytes(genAppKey);
        random.nextBytes(other);
        random.nextBytes(mcKey);
        byte[] root = McKeys.rootKeyFromGenAppKey(genAppKey);
        byte[] sent = McKeys.encryptedMcKey(McKeys.keyEncryptionKey(root), mcKey);
        McKeys.SessionKeys group = McKeys.sessionKeys(mcKey, 0x1234_5678L);
        assertTrue(group.matches(McKeys.sessionKeys(McKeys.mcKeyFromEncrypted(McKeys.keyEncryptionKey(root), sent),
                0x1234_5678L)));
        assertFalse(group.matches(McKeys.sessionKeys(McKeys.mcKeyFromEncrypted(McKeys.keyEncryptionKey(
                McKeys.rootKeyFromGenAppKey(other)), sent), 0x1234_5678L)));
        assertFalse(group.matches(McKeys.sessionKeys(mcKey, 0x1234_5679L)), "McAddr is part of the keys");
        // 1.0.x and 1.1 root keys differ for the same key
        assertFalse(java.util.Arrays.equals(root, McKeys.rootKeyFromAppKey(genAppKey)));
    }
}
