package org.updraft.core.delta;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.SeekableByteChannel;
import java.util.Arrays;
import java.util.zip.Adler32;

import org.updraft.api.delta.DeltaCodec;
import org.updraft.api.delta.DeltaException;
import org.updraft.api.delta.DeltaException.Reason;
import org.updraft.api.delta.PatchInfo;

/**
 * VCDIFF patches (RFC 3284) in the subset that Debian's {@code xdelta3} and this codec both implement.
 *
 * <p>Read and written: version 0, the default code table, windows copying from a segment of the base
 * ({@code VCD_SOURCE}) or from nothing, sections not compressed, and xdelta3's per-window Adler-32 checksum of the
 * target ({@code VCD_ADLER32}, written by default) and application header (skipped). Refused as unsupported:
 * secondary compression ({@code xdelta3} writes it unless given {@code -S none}), custom code tables, windows
 * copying from earlier target ({@code VCD_TARGET}), and open-vcdiff's interleaved format. So
 * {@code xdelta3 -e -S none -s OLD NEW PATCH} (with or without {@code -A} and {@code -n}) makes patches this codec
 * applies, and {@code xdelta3 -d -s OLD PATCH NEW} applies this codec's.
 *
 * <p>Applying streams: each window's three sections (data, instructions, addresses) are read side by side from
 * the stored patch, COPYs from the base by position; the one thing held in memory is the window being built
 * (COPYs may read earlier bytes of it). Working memory is the largest target window plus 38 KiB of buffers, so
 * the window size the patch is made with is the device's budget: 4 KiB windows for a small MCU, 8 MiB (xdelta3's
 * default) when the budget allows.
 */
public final class VcdiffCodec implements DeltaCodec {

    /** {@value}, the {@link DeltaCodec#id()}. */
    public static final String ID = "vcdiff";

    static final int VCD_DECOMPRESS = 0x01;
    static final int VCD_CODETABLE = 0x02;
    static final int VCD_APPHEADER = 0x04;
    static final int VCD_SOURCE = 0x01;
    static final int VCD_TARGET = 0x02;
    static final int VCD_ADLER32 = 0x04;
    private static final byte[] MAGIC = {(byte) 0xD6, (byte) 0xC3, (byte) 0xC4};

    /** Working memory besides the window: three section regions, the base cache, the address cache, headers. */
    static final long BUFFERS = 3L * PatchRegion.BUFFER + BaseImage.CACHE + 8L * (VcdiffAddresses.NEAR
            + VcdiffAddresses.SAME * 256) + 4096;
    static final int MIN_WINDOW = 4096;
    static final int MAX_WINDOW = 8 * 1024 * 1024;

    private final boolean checksum;

    /** Writes each window's Adler-32, as xdelta3 does by default. */
    public VcdiffCodec() {
        this(true);
    }

    /** @param checksum whether windows carry xdelta3's Adler-32 of their target ({@code xdelta3 -n} leaves it out) */
    public VcdiffCodec(boolean checksum) {
        this.checksum = checksum;
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public long minimumApplyMemory() {
        return BUFFERS + MIN_WINDOW;
    }

    @Override
    public void create(SeekableByteChannel base, SeekableByteChannel target, OutputStream patch, long applyMemory)
            throws DeltaException, IOException {
        if (applyMemory < minimumApplyMemory()) {
            throw new DeltaException(Reason.MEMORY, "vcdiff patches need at least " + minimumApplyMemory()
                    + " bytes of working memory to apply; the budget is " + applyMemory);
        }
        int window = (int) Math.min(MAX_WINDOW, applyMemory - BUFFERS);
        byte[] old = Channels.readAll(base, ID, "base image");
        byte[] next = Channels.readAll(target, ID, "target image");
        new VcdiffEncoder(old, next, window, checksum).write(patch);
    }

    @Override
    public PatchInfo inspect(SeekableByteChannel patch) throws DeltaException, IOException {
        Layout layout = layout(patch, -1);
        return new PatchInfo(ID, layout.targetSize, BUFFERS + layout.largestWindow);
    }

    @Override
    public void apply(SeekableByteChannel base, SeekableByteChannel patch, OutputStream target, long targetSize,
            long memoryLimit) throws DeltaException, IOException {
        BaseImage old = new BaseImage(base, ID);
        // every window header first: size and memory are refused before a byte is written
        Layout layout = layout(patch, old.size());
        if (layout.targetSize > targetSize) {
            throw new DeltaException(Reason.TOO_LARGE, "vcdiff patch builds an image of " + layout.targetSize
                    + " bytes, larger than the expected " + targetSize);
        }
        if (layout.targetSize < targetSize) {
            throw new DeltaException(Reason.TOO_SHORT, "vcdiff patch builds an image of " + layout.targetSize
                    + " bytes, smaller than the expected " + targetSize);
        }
        if (layout.largestWindow > Channels.MAX_IMAGE) {
            throw new DeltaException(Reason.UNSUPPORTED, "vcdiff patch has a target window of "
                    + layout.largestWindow + " bytes; windows up to " + Channels.MAX_IMAGE + " bytes are supported");
        }
        long memory = BUFFERS + layout.largestWindow;
        if (memory > memoryLimit) {
            throw new DeltaException(Reason.MEMORY, "vcdiff patch has target windows of " + layout.largestWindow
                    + " bytes and needs " + memory + " bytes of working memory; the limit is " + memoryLimit);
        }
        byte[] window = new byte[(int) layout.largestWindow];
        VcdiffAddresses cache = new VcdiffAddresses();
        PatchRegion headers = new PatchRegion(patch, layout.firstWindow, patch.size(), "vcdiff window header", 256);
        for (int w = 0; w < layout.windows; w++) {
            Window h = Window.read(headers, w, old.size());
            decode(h, old, patch, window, cache);
            if (h.adler32 != null) {
                Adler32 sum = new Adler32();
                sum.update(window, 0, (int) h.targetLength);
                if ((int) sum.getValue() != h.adler32) {
                    throw new DeltaException(Reason.CORRUPT, "vcdiff window " + w + " fails its Adler-32 checksum: "
                            + "the patch is damaged, or the base is not the one it was made from");
                }
            }
            target.write(window, 0, (int) h.targetLength);
            headers.skip(h.end - headers.position());
        }
    }

    private static void decode(Window h, BaseImage old, SeekableByteChannel patch, byte[] window,
            VcdiffAddresses cache) throws IOException, DeltaException {
        PatchRegion data = new PatchRegion(patch, h.dataStart, h.instructionsStart, "vcdiff data section");
        PatchRegion instructions = new PatchRegion(patch, h.instructionsStart, h.addressesStart,
                "vcdiff instruction section");
        PatchRegion addresses = new PatchRegion(patch, h.addressesStart, h.end, "vcdiff address section");
        cache.reset();
        long sourceLength = h.sourceLength;
        int length = (int) h.targetLength;
        int at = 0;
        while (!instructions.atEnd()) {
            int op = instructions.readByte();
            for (int half = 0; half < 2; half++) {
                int type = half == 0 ? VcdiffCodeTable.TYPE1[op] : VcdiffCodeTable.TYPE2[op];
                if (type == VcdiffCodeTable.NOOP) {
                    continue;
                }
                long size = half == 0 ? VcdiffCodeTable.SIZE1[op] : VcdiffCodeTable.SIZE2[op];
                if (size == 0) {
                    size = Varint.read(instructions);
                }
                if (size > length - at) {
                    throw new DeltaException(Reason.MALFORMED, "vcdiff window " + h.index + " instructions build more"
                            + " than its " + length + " bytes");
                }
                int n = (int) size;
                switch (type) {
                    case VcdiffCodeTable.ADD -> data.readFully(window, at, n);
                    case VcdiffCodeTable.RUN -> Arrays.fill(window, at, at + n, (byte) data.readByte());
                    default -> {
                        int mode = half == 0 ? VcdiffCodeTable.MODE1[op] : VcdiffCodeTable.MODE2[op];
                        long address = cache.decode(sourceLength + at, mode, addresses);
                        copy(h, old, window, address, at, n);
                    }
                }
                at += n;
            }
        }
        if (at != length) {
            throw new DeltaException(Reason.MALFORMED, "vcdiff window " + h.index + " instructions build " + at
                    + " of its " + length + " bytes");
        }
        if (!data.atEnd() || !addresses.atEnd()) {
            throw new DeltaException(Reason.MALFORMED, "vcdiff window " + h.index + " has data or addresses no "
                    + "instruction uses");
        }
    }

    /** A COPY from the source segment, the window built so far, or (RFC 3284 allows it) both in turn. */
    private static void copy(Window h, BaseImage old, byte[] window, long address, int at, int n)
            throws IOException, DeltaException {
        int done = 0;
        if (address < h.sourceLength) {
            int fromSource = (int) Math.min(n, h.sourceLength - address);
            old.read(h.sourcePosition + address, window, at, fromSource);
            done = fromSource;
        }
        if (done < n) {
            int from = (int) (address + done - h.sourceLength);
            int to = at + done;
            int left = n - done;
            if (from + left <= to) {
                System.arraycopy(window, from, window, to, left);
            } else {
                // overlapping: each byte may be one this COPY just wrote, as a run
                for (int i = 0; i < left; i++) {
                    window[to + i] = window[from + i];
                }
            }
        }
    }

    private record Layout(long firstWindow, int windows, long targetSize, long largestWindow) {
    }

    /**
     * Reads the file header and every window header, checking each window's lengths against the patch.
     *
     * @param baseSize the base's size, to refuse a source segment beyond it, or -1 to not check
     */
    private static Layout layout(SeekableByteChannel patch, long baseSize) throws IOException, DeltaException {
        long size = patch.size();
        PatchRegion in = new PatchRegion(patch, 0, size, "vcdiff patch", 256);
        for (int i = 0; i < 3; i++) {
            int b = in.read();
            if (b < 0) {
                throw new DeltaException(Reason.TRUNCATED, "vcdiff patch ends inside its header");
            }
            if (b != (MAGIC[i] & 0xff)) {
                throw new DeltaException(Reason.MALFORMED, "not a vcdiff patch (no VCDIFF header)");
            }
        }
        int version = in.readByte();
        if (version != 0) {
            throw new DeltaException(Reason.UNSUPPORTED, "vcdiff version " + version + (version == 'S'
                    ? " (open-vcdiff's interleaved format)" : "") + " is not supported; only RFC 3284's version 0 is");
        }
        int indicator = in.readByte();
        if ((indicator & ~(VCD_DECOMPRESS | VCD_CODETABLE | VCD_APPHEADER)) != 0) {
            throw new DeltaException(Reason.MALFORMED, "vcdiff header indicator has unknown bits");
        }
        if ((indicator & VCD_DECOMPRESS) != 0) {
            throw new DeltaException(Reason.UNSUPPORTED, "vcdiff patch uses secondary compression, which is not "
                    + "supported (make it with xdelta3 -S none)");
        }
        if ((indicator & VCD_CODETABLE) != 0) {
            throw new DeltaException(Reason.UNSUPPORTED, "vcdiff patch carries its own code table, which is not "
                    + "supported");
        }
        if ((indicator & VCD_APPHEADER) != 0) {
            // xdelta3's application header (file names): nothing to apply
            in.skip(Varint.read(in));
        }
        long first = in.position();
        long total = 0;
        long largest = 0;
        int windows = 0;
        while (!in.atEnd()) {
            Window w = Window.read(in, windows, baseSize);
            // saturating: an absurd declaration is refused as too large, not wrapped around
            total = w.targetLength > Long.MAX_VALUE - total ? Long.MAX_VALUE : total + w.targetLength;
            largest = Math.max(largest, w.targetLength);
            windows++;
            in.skip(w.end - in.position());
        }
        return new Layout(first, windows, total, largest);
    }

    /** One window's header: where its sections are and what it builds. */
    private record Window(int index, long sourceLength, long sourcePosition, long targetLength, Integer adler32,
            long dataStart, long instructionsStart, long addressesStart, long end) {

        static Window read(PatchRegion in, int index, long baseSize) throws IOException, DeltaException {
            int indicator = in.readByte();
            if ((indicator & ~(VCD_SOURCE | VCD_TARGET | VCD_ADLER32)) != 0) {
                throw new DeltaException(Reason.MALFORMED, "vcdiff window " + index + " indicator has unknown bits");
            }
            if ((indicator & VCD_TARGET) != 0) {
                throw new DeltaException(Reason.UNSUPPORTED, "vcdiff window " + index + " copies from earlier target "
                        + "(VCD_TARGET), which is not supported");
            }
            long sourceLength = 0;
            long sourcePosition = 0;
            if ((indicator & VCD_SOURCE) != 0) {
                sourceLength = Varint.read(in);
                sourcePosition = Varint.read(in);
                if (baseSize >= 0 && (sourcePosition > baseSize || sourceLength > baseSize - sourcePosition)) {
                    throw new DeltaException(Reason.BASE_MISMATCH, "vcdiff window " + index + " copies from bytes "
                            + sourcePosition + " to " + (sourcePosition + sourceLength) + " of a base of " + baseSize
                            + " bytes: it was made for another base");
                }
            }
            long deltaLength = Varint.read(in);
            long deltaStart = in.position();
            long targetLength = Varint.read(in);
            int deltaIndicator = in.readByte();
            if (deltaIndicator != 0) {
                throw new DeltaException(Reason.UNSUPPORTED, "vcdiff window " + index + " has compressed sections, "
                        + "which are not supported (make the patch with xdelta3 -S none)");
            }
            long dataLength = Varint.read(in);
            long instructionsLength = Varint.read(in);
            long addressesLength = Varint.read(in);
            Integer adler = null;
            if ((indicator & VCD_ADLER32) != 0) {
                adler = (in.readByte() << 24) | (in.readByte() << 16) | (in.readByte() << 8) | in.readByte();
            }
            long dataStart = in.position();
            long sections = dataLength + instructionsLength + addressesLength;
            if (dataLength > deltaLength || instructionsLength > deltaLength || addressesLength > deltaLength
                    || dataStart - deltaStart + sections != deltaLength) {
                throw new DeltaException(Reason.MALFORMED, "vcdiff window " + index + " section lengths do not add up"
                        + " to its delta encoding's length");
            }
            return new Window(index, sourceLength, sourcePosition, targetLength, adler, dataStart,
                    dataStart + dataLength, dataStart + dataLength + instructionsLength, dataStart + sections);
        }
    }
}
