package org.updraft.core.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.core.cose.CoseSign1;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;

class CheckpointCodecTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final SigningKey LOG_KEY = SigningKey.generate(KeyAlgorithm.ED25519);

    @Test
    void payloadIsTheDocumentedDeterministicMap() {
        byte[] payload = CheckpointCodec.encodePayload("log", 5, new byte[32], Instant.ofEpochMilli(1000));
        String expected = "a4" + "666f726967696e" + "636c6f67" // "origin": "log"
                + "69726f6f742d68617368" + "5820" + "00".repeat(32) // "root-hash": h'00..'
                + "6974696d657374616d70" + "1903e8" // "timestamp": 1000
                + "69747265652d73697a65" + "05"; // "tree-size": 5
        assertEquals(expected, HEX.formatHex(payload));
    }

    @Test
    void verifiesWithOnlyTheDidKey() throws Exception {
        byte[] root = MerkleHash.leafHash("x".getBytes());
        Instant now = Instant.parse("2026-05-01T12:00:00.123456Z");
        Checkpoint signed = CheckpointCodec.sign("updraft-log", 42, root, now, LOG_KEY);
        assertEquals(Instant.parse("2026-05-01T12:00:00.123Z"), signed.timestamp());

        Checkpoint checked = CheckpointCodec.verify(signed.envelope(), LOG_KEY.did());
        assertEquals("updraft-log", checked.origin());
        assertEquals(42, checked.treeSize());
        assertArrayEquals(root, checked.rootHash());
        assertEquals(signed.timestamp(), checked.timestamp());
        assertArrayEquals(signed.envelope(), checked.envelope());
        assertEquals(LOG_KEY.did(), CheckpointCodec.signer(signed.envelope()));
        assertEquals(42, CheckpointCodec.parse(signed.envelope()).treeSize());
    }

    @Test
    void refusesOtherKeysTamperingAndOtherContent() {
        Checkpoint signed = CheckpointCodec.sign("updraft-log", 7, new byte[32], Instant.now(), LOG_KEY);
        SigningKey other = SigningKey.generate(KeyAlgorithm.ED25519);
        InvalidCheckpointException e = assertThrows(InvalidCheckpointException.class,
                () -> CheckpointCodec.verify(signed.envelope(), other.did()));
        assertTrue(e.getMessage().contains("not by log key"), e.getMessage());

        // every single-byte change is refused, one way or another
        byte[] envelope = signed.envelope();
        for (int i = 0; i < envelope.length; i++) {
            byte[] bad = envelope.clone();
            bad[i] ^= 0x01;
            assertThrows(InvalidCheckpointException.class, () -> CheckpointCodec.verify(bad, LOG_KEY.verificationKey()),
                    "flipped byte " + i);
        }

        byte[] notACheckpoint = CoseSign1.sign(
                CheckpointCodec.encodePayload("updraft-log", 7, new byte[32], Instant.now()),
                "application/vnd.updraft.manifest+cbor", LOG_KEY);
        e = assertThrows(InvalidCheckpointException.class, () -> CheckpointCodec.verify(notACheckpoint, LOG_KEY.did()));
        assertTrue(e.getMessage().contains("content type"), e.getMessage());

        byte[] shortRoot = CoseSign1.sign(HEX.parseHex("a4" + "666f726967696e" + "636c6f67" + "69726f6f742d68617368"
                + "4100" + "6974696d657374616d70" + "00" + "69747265652d73697a65" + "00"),
                CheckpointCodec.CONTENT_TYPE, LOG_KEY);
        e = assertThrows(InvalidCheckpointException.class, () -> CheckpointCodec.verify(shortRoot, LOG_KEY.did()));
        assertTrue(e.getMessage().contains("1 bytes, not 32"), e.getMessage());
        assertThrows(InvalidCheckpointException.class, () -> CheckpointCodec.verify(new byte[0], LOG_KEY.did()));
    }
}
