package org.updraft.transport.lorawan.internal.fuota;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.macs.CMac;
import org.bouncycastle.crypto.params.KeyParameter;
import org.updraft.transport.lorawan.internal.multicast.McKeys;

/**
 * TS004 v2.0.0's integrity check of a data block (§3.3): the session setup carries a MIC over the whole block, under a
 * key each device derives from its own root key, and the device checks the block it rebuilt against it before it
 * hands the block on. In v1.0.0 nothing but the FEC ties fragments to a block.
 *
 * <ul>
 * <li>{@code DataBlockIntKey = aes128_encrypt(root key, 0x30 | 0x00 × 15)}, the root key being the device's
 * {@code GenAppKey} (LoRaWAN 1.0.x) or {@code AppKey} (1.1);</li>
 * <li>{@code B0 = 0x49 | SessionCnt (u16) | FragIndex (u8) | Descriptor (u32) | 0x00000000 | block size (u32)}, all
 * little-endian, the size being {@code NbFrag × FragSize − Padding};</li>
 * <li>the MIC is the first four bytes of {@code aes128_cmac(DataBlockIntKey, B0 | block)}, read little-endian as
 * the u32 the setup request carries.</li>
 * </ul>
 * The layout is the one LoRa Basics Modem's v2.0.0 package checks on the device.
 */
public final class DataBlockMic {

    private static final int B0_TAG = 0x49;
    private static final int KEY_TAG = 0x30;

    private DataBlockMic() {
    }

    /** The device's DataBlockIntKey from its 16-byte root key. */
    public static byte[] dataBlockIntKey(byte[] rootKey) {
        Objects.requireNonNull(rootKey, "rootKey");
        return McKeys.derive(rootKey, KEY_TAG);
    }

    /**
     * The MIC of {@code block} (exactly the block: no padding) in session {@code fragIndex} with counter
     * {@code sessionCnt} and {@code descriptor}, as a u32.
     */
    public static long mic(byte[] dataBlockIntKey, int sessionCnt, int fragIndex, long descriptor, byte[] block) {
        Objects.requireNonNull(block, "block");
        if (dataBlockIntKey == null || dataBlockIntKey.length != 16) {
            throw new IllegalArgumentException("DataBlockIntKey is 16 bytes");
        }
        Fields.requireRange("SessionCnt", sessionCnt, 0, 0xFFFF);
        Fields.requireRange("FragIndex", fragIndex, 0, 3);
        Fields.requireRange("Descriptor", descriptor, 0, 0xFFFF_FFFFL);
        ByteBuffer b0 = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b0.put((byte) B0_TAG).putShort((short) sessionCnt).put((byte) fragIndex).putInt((int) descriptor).putInt(0)
                .putInt(block.length);
        CMac cmac = new CMac(AESEngine.newInstance());
        cmac.init(new KeyParameter(dataBlockIntKey));
        cmac.update(b0.array(), 0, 16);
        cmac.update(block, 0, block.length);
        byte[] tag = new byte[cmac.getMacSize()];
        cmac.doFinal(tag, 0);
        return ByteBuffer.wrap(tag, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFF_FFFFL;
    }
}
