package org.updraft.transport.lorawan.internal.fuota;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * Random and mutated frames into every package decoder (TS003, TS005 and TS004 in both versions), both directions: each either decodes, and then encodes
 * back to commands that decode equal, or fails with {@link FuotaCodecException}; nothing else escapes. Bounded
 * and deterministic; {@code -Dupdraft.fuzz.iterations=N -Dupdraft.fuzz.seed=S} for a longer run. A failure prints
 * the frame in hex and the seed.
 */
class FuotaDecoderFuzzTest {

    private static final long SEED = Long.getLong("updraft.fuzz.seed", 20261207L);
    private static final int ITERATIONS = Integer.getInteger("updraft.fuzz.iterations", 20000);

    @FunctionalInterface
    interface Decoder {
        List<FuotaCommand> decode(Direction d, byte[] frame) throws FuotaCodecException;
    }

    @FunctionalInterface
    interface Encoder {
        byte[] encode(List<FuotaCommand> commands);
    }

    // valid frames to mutate, so that the fuzzing reaches past the CID check
    private static final String[] SEEDS = {
        "017856341213", "01feffffff03", "0209", "020104030201", "0307",
        "0105", "0145000403020102ddccbbaa", "020104030201" + "0102030405060708090a0b0c0d0e0f10" + "00000000ffff0000",
        "0400443322110752ad8403", "0401020100", "040d", "0501443322115752ad8403", "0421000000", "0532",
        "012c410701", "0201140032010504030201", "080340abcd", "01062c4107",
        "021114003241050403020102" + "00d4c3b2a1", "0406", "000101",
    };

    @Test
    void decodersThrowOnlyTheirOwnException() {
        Fragmentation v1 = Fragmentation.of(Ts004Version.V1_0_0);
        Fragmentation v2 = Fragmentation.of(Ts004Version.V2_0_0);
        int decoded = 0;
        decoded += run("TS003", ClockSync::decode, ClockSync::encode);
        MulticastSetup multicast1 = MulticastSetup.of(1);
        MulticastSetup multicast2 = MulticastSetup.of(2);
        decoded += run("TS005 v1", multicast1::decode, multicast1::encode);
        decoded += run("TS005 v2", multicast2::decode, multicast2::encode);
        decoded += run("TS004 v1", v1::decode, v1::encode);
        decoded += run("TS004 v2", v2::decode, v2::encode);
        // worth something only if a fair share (5%) of the frames decode and so go through the encoders too
        assertTrue(decoded > 5 * ITERATIONS / 20, "only " + decoded + " of " + 5 * ITERATIONS + " frames decoded");
    }

    private static int run(String name, Decoder decoder, Encoder encoder) {
        Random random = new Random(SEED ^ name.hashCode());
        int decoded = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] frame = i % 2 == 0 ? randomFrame(random) : mutated(random);
            Direction direction = random.nextBoolean() ? Direction.UPLINK : Direction.DOWNLINK;
            try {
                List<FuotaCommand> commands = decoder.decode(direction, frame);
                decoded++;
                List<FuotaCommand> again = decoder.decode(direction, encoder.encode(commands));
                assertEquals(commands, again);
            } catch (FuotaCodecException e) {
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
            } catch (Throwable t) {
                fail(name + " " + direction + " frame " + HexFormat.of().formatHex(frame) + " (seed " + SEED
                        + ") threw " + t, t);
            }
        }
        return decoded;
    }

    private static byte[] randomFrame(Random random) {
        byte[] frame = new byte[random.nextInt(40)];
        random.nextBytes(frame);
        if (frame.length > 0) {
            // CIDs that exist, most of the time
            frame[0] = (byte) (random.nextInt(10) < 8 ? random.nextInt(6) : random.nextInt(256));
        }
        return frame;
    }

    private static byte[] mutated(Random random) {
        byte[] seed = HexFormat.of().parseHex(SEEDS[random.nextInt(SEEDS.length)]);
        int cut = random.nextInt(4) == 0 ? random.nextInt(seed.length + 1) : seed.length;
        byte[] frame = java.util.Arrays.copyOf(seed, cut + (random.nextInt(4) == 0 ? random.nextInt(4) : 0));
        for (int flips = random.nextInt(3); flips > 0 && frame.length > 0; flips--) {
            frame[random.nextInt(frame.length)] ^= (byte) (1 << random.nextInt(8));
        }
        return frame;
    }
}
