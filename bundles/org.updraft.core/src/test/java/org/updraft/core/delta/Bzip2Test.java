package org.updraft.core.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.updraft.api.delta.DeltaException;
import org.updraft.api.delta.DeltaException.Reason;

/** The bzip2 streams inside bsdiff patches, checked against libbzip2's own tool both ways. */
class Bzip2Test {

    /** Inputs that exercise bzip2's corners: runs of 4, 5, 255 and 256 bytes, every byte value, several blocks. */
    static List<byte[]> inputs() {
        Random r = new Random(12);
        List<byte[]> inputs = new ArrayList<>();
        inputs.add(new byte[0]);
        inputs.add(new byte[] {42});
        inputs.add("aaaa".getBytes());
        inputs.add("aaaab".getBytes());
        inputs.add(new byte[255]);
        inputs.add(new byte[256]);
        inputs.add(new byte[1_000_000]);
        byte[] all = new byte[256 * 3];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        inputs.add(all);
        inputs.add(Images.random(1, 10_000));
        inputs.add(Images.firmware(2, 150_000));
        byte[] runs = new byte[250_000];
        for (int i = 0; i < runs.length;) {
            int n = 1 + r.nextInt(600);
            byte b = (byte) r.nextInt(3);
            for (int k = 0; k < n && i < runs.length; k++) {
                runs[i++] = b;
            }
        }
        inputs.add(runs);
        return inputs;
    }

    @Test
    void ourStreamsDecodeWithBzip2AndTheirsWithOurs() throws Exception {
        Path dir = Work.directory("bzip2");
        int i = 0;
        for (byte[] input : inputs()) {
            for (int level : new int[] {1, 9}) {
                String name = "input " + i + " (" + input.length + " bytes) at level " + level;
                byte[] ours = Bzip2Encoder.compress(input, input.length, level);
                Path oursFile = dir.resolve(i + "-" + level + ".ours.bz2");
                Files.write(oursFile, ours);
                assertArrayEquals(input, bzip2(dir, "-dc", oursFile), name + ": bzip2 -d of ours");
                assertArrayEquals(input, decode(ours), name + ": ours of ours");

                Path plain = dir.resolve(i + ".bin");
                Files.write(plain, input);
                byte[] theirs = bzip2(dir, "-c" + level, plain);
                assertArrayEquals(input, decode(theirs), name + ": ours of bzip2's");
                // the same blocks and transforms, and at least libbzip2's effort on the Huffman tables
                assertTrue(ours.length <= theirs.length, name + ": ours " + ours.length + " bytes, bzip2's "
                        + theirs.length);
            }
            i++;
        }
    }

    @Test
    void aBlockFailingItsCrcIsCorruptAndACutStreamTruncated() throws Exception {
        byte[] input = Images.firmware(3, 20_000);
        byte[] stream = Bzip2Encoder.compress(input, input.length, 1);
        byte[] flipped = stream.clone();
        // the stored block CRC: bytes 10 to 13 (after "BZh1" and the 48-bit block magic)
        flipped[11] ^= 0x01;
        assertEquals(Reason.CORRUPT, assertThrows(DeltaException.class, () -> decode(flipped)).reason());
        for (int cut : new int[] {4, 10, 30, stream.length / 2, stream.length - 1}) {
            byte[] cutStream = java.util.Arrays.copyOf(stream, cut);
            assertEquals(Reason.TRUNCATED, assertThrows(DeltaException.class, () -> decode(cutStream)).reason(),
                    "cut at " + cut);
        }
        byte[] notBzip2 = "BZx9 hello".getBytes();
        assertEquals(Reason.MALFORMED, assertThrows(DeltaException.class, () -> decode(notBzip2)).reason());
    }

    @Test
    void garbageAfterAValidHeaderIsRefusedNeverThrownAsSomethingElse() throws Exception {
        Random r = new Random(5);
        byte[] input = Images.firmware(4, 30_000);
        byte[] stream = Bzip2Encoder.compress(input, input.length, 1);
        for (int round = 0; round < 300; round++) {
            byte[] damaged = stream.clone();
            int flips = 1 + r.nextInt(4);
            for (int k = 0; k < flips; k++) {
                damaged[4 + r.nextInt(damaged.length - 4)] ^= (byte) (1 + r.nextInt(255));
            }
            try {
                decode(damaged);
            } catch (DeltaException expected) {
                // any reason will do; an unchecked exception or a hang would not
            }
        }
    }

    static byte[] decode(byte[] stream) throws Exception {
        PatchRegion region = new PatchRegion(Deltas.channel(stream), 0, stream.length, "test stream");
        int level = Bzip2Decoder.readHeader(region, "test stream");
        Bzip2Decoder decoder = new Bzip2Decoder(region, level, "test stream");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[777];
        for (int n; (n = decoder.read(buffer, 0, buffer.length)) >= 0;) {
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private static byte[] bzip2(Path dir, String flag, Path file) throws Exception {
        Path out = dir.resolve("bzip2.out");
        Path log = dir.resolve("bzip2.log");
        Process p = new ProcessBuilder(DebianTool.find("bzip2", "bzip2").toString(), flag, file.toString())
                .redirectOutput(out.toFile()).redirectError(log.toFile()).start();
        assertEquals(0, p.waitFor(), () -> "bzip2 " + flag + " " + file + ": " + DebianTool.read(log));
        return Files.readAllBytes(out);
    }
}
