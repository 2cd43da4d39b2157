package org.updraft.core.mcuboot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

/**
 * Signing and verifying stream the payload: a 64 MiB firmware that exists nowhere in memory (its bytes are
 * computed on demand) is signed and verified in reads of at most 64 KiB, and neither keeps the payload.
 */
class StreamingTest {

    private static final long PAYLOAD = 64L * 1024 * 1024;
    private static final int HEADER = 0x200;

    /** byte i = (i * 7) mod 251, as in the fixtures' fw.bin, over any length. */
    private static final ImageSource FIRMWARE = new ImageSource() {
        @Override
        public long size() {
            return PAYLOAD;
        }

        @Override
        public void read(long position, byte[] into, int offset, int length) throws EOFException {
            if (position + length > PAYLOAD) {
                throw new EOFException();
            }
            for (int i = 0; i < length; i++) {
                into[offset + i] = (byte) (((position + i) * 7) % 251);
            }
        }
    };

    /** Keeps the header and what follows the payload; counts the rest. */
    private static final class Capture extends OutputStream {
        final byte[] header = new byte[HEADER];
        byte[] tail = new byte[0];
        long count;

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            for (int i = 0; i < len; i++) {
                long at = count + i;
                if (at < HEADER) {
                    header[(int) at] = b[off + i];
                } else if (at >= HEADER + PAYLOAD) {
                    tail = Arrays.copyOf(tail, tail.length + 1);
                    tail[tail.length - 1] = b[off + i];
                }
            }
            count += len;
        }
    }

    @Test
    void signsAndVerifiesAFirmwareLargerThanAnyBufferInBoundedReads() throws Exception {
        McubootImageTest.CountingSource firmware = new McubootImageTest.CountingSource(FIRMWARE);
        Capture out = new Capture();
        ImageSigningKey key = ImageSigningKey.read(McubootFixtures.file("fx-ed25519.pem"));
        SignedImage signed = new ImageSigner(SignOptions.builder(HEADER, ImageVersion.parse("2.0.0"), 0x8000000)
                .align(4).padHeader(true).securityCounter(3).build(), key).sign(firmware, out);
        assertEquals(2 * PAYLOAD, firmware.total, "two passes over the payload, nothing else");
        assertTrue(firmware.largest <= 64 * 1024, "reads of " + firmware.largest + " bytes");
        assertEquals(signed.imageSize(), out.count);

        ImageSource image = new ImageSource() {
            @Override
            public long size() {
                return HEADER + PAYLOAD + out.tail.length;
            }

            @Override
            public void read(long position, byte[] into, int offset, int length) throws IOException {
                for (int i = 0; i < length; i++) {
                    long at = position + i;
                    if (at < HEADER) {
                        into[offset + i] = out.header[(int) at];
                    } else if (at < HEADER + PAYLOAD) {
                        FIRMWARE.read(at - HEADER, into, offset + i, 1);
                    } else {
                        into[offset + i] = out.tail[(int) (at - HEADER - PAYLOAD)];
                    }
                }
            }
        };
        McubootImageTest.CountingSource counted = new McubootImageTest.CountingSource(image);
        VerifiedImage verified = new ImageVerifier().verify(counted, key.imageKey());
        assertEquals(signed.digestHex(), verified.digestHex());
        assertEquals(3, verified.securityCounter().getAsLong());
        assertTrue(counted.largest <= 64 * 1024, "reads of " + counted.largest + " bytes");
        // the payload once, plus the header and the two TLV areas read for the structure
        assertTrue(counted.total < image.size() + 1024, "read " + counted.total + " bytes");
    }

    @Test
    void aPureSignatureIsRefusedBeyondItsLimitBeforeReadingThePayload() throws Exception {
        McubootImageTest.CountingSource firmware = new McubootImageTest.CountingSource(FIRMWARE);
        ImageSigningKey key = ImageSigningKey.read(McubootFixtures.file("fx-ed25519.pem"));
        ImageSigner signer = new ImageSigner(SignOptions.builder(HEADER, ImageVersion.parse("2.0.0"), 0)
                .padHeader(true).pure(true).build(), key);
        ImageException e = assertThrows(ImageException.class, () -> signer.sign(firmware, OutputStream.nullOutputStream()));
        assertEquals(ImageProblem.UNSUPPORTED, e.problem());
        assertEquals(0, firmware.total);
    }
}
