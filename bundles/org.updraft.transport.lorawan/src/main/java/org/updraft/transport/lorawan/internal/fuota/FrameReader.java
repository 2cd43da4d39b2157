package org.updraft.transport.lorawan.internal.fuota;

/** Little-endian fields of one command's body; reading past its end is a {@link FuotaCodecException}. */
final class FrameReader {

    private final byte[] frame;
    private final int end;
    private final String command;
    private int at;

    FrameReader(byte[] frame, int start, int length, String command) {
        this.frame = frame;
        this.at = start;
        this.end = start + length;
        this.command = command;
    }

    int remaining() {
        return end - at;
    }

    private void need(int n) throws FuotaCodecException {
        if (remaining() < n) {
            throw new FuotaCodecException(command + " is cut short: " + n + " more bytes needed, " + remaining()
                    + " left");
        }
    }

    int u8() throws FuotaCodecException {
        need(1);
        return frame[at++] & 0xFF;
    }

    int u16() throws FuotaCodecException {
        need(2);
        int v = (frame[at] & 0xFF) | (frame[at + 1] & 0xFF) << 8;
        at += 2;
        return v;
    }

    int u24() throws FuotaCodecException {
        need(3);
        int v = (frame[at] & 0xFF) | (frame[at + 1] & 0xFF) << 8 | (frame[at + 2] & 0xFF) << 16;
        at += 3;
        return v;
    }

    long u32() throws FuotaCodecException {
        return s32() & 0xFFFF_FFFFL;
    }

    int s32() throws FuotaCodecException {
        need(4);
        int v = (frame[at] & 0xFF) | (frame[at + 1] & 0xFF) << 8 | (frame[at + 2] & 0xFF) << 16
                | (frame[at + 3] & 0xFF) << 24;
        at += 4;
        return v;
    }

    byte[] bytes(int n) throws FuotaCodecException {
        need(n);
        byte[] b = new byte[n];
        System.arraycopy(frame, at, b, 0, n);
        at += n;
        return b;
    }

    byte[] rest() throws FuotaCodecException {
        return bytes(remaining());
    }
}
