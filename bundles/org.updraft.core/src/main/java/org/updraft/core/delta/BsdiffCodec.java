package org.updraft.core.delta;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.channels.SeekableByteChannel;
import java.util.Arrays;

import org.updraft.api.delta.DeltaCodec;
import org.updraft.api.delta.DeltaException;
import org.updraft.api.delta.DeltaException.Reason;
import org.updraft.api.delta.PatchInfo;

/**
 * bsdiff 4.x patches (format {@code BSDIFF40}), as Debian's {@code bsdiff} and {@code bspatch} write and read
 * them: a 32-byte header (magic, control and diff block lengths, target size) and three bzip2 streams. The
 * control block holds triples (add x bytes of diff to the base, copy y bytes of extra, move the base by z); the
 * diff block the byte-wise differences; the extra block new bytes.
 *
 * <p>Making a patch follows bsdiff 4.3's matching (a suffix array of the base, the same scoring), so patches
 * are no larger than Debian's. Applying streams: the three blocks are decoded side by side from the stored
 * patch, the base is read by position, the target written in order. Working memory is three bzip2 decoders,
 * each four bytes per byte of its stream's block size (100000 × level) plus 64 KiB of tables, and 48 KiB of
 * buffers: about 11 MB when all three streams are level 9 (as Debian's bsdiff writes them), 1.4 MB when all are
 * level 1. A patch is made with each stream at the smallest level that keeps it in one block, and no higher
 * than the device's budget allows, so small patches need little.
 */
public final class BsdiffCodec implements DeltaCodec {

    /** {@value}, the {@link DeltaCodec#id()}. */
    public static final String ID = "bsdiff";

    private static final byte[] MAGIC = "BSDIFF40".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = 32;
    private static final int CHUNK = 8192;
    /** Buffers of {@link #apply} besides the decoders: three patch regions, the base cache, two chunks. */
    private static final long BUFFERS = 3L * PatchRegion.BUFFER + BaseImage.CACHE + 2L * CHUNK;

    @Override
    public String id() {
        return ID;
    }

    @Override
    public long minimumApplyMemory() {
        return memory(1, 1, 1);
    }

    private static long memory(int controlLevel, int diffLevel, int extraLevel) {
        return Bzip2Decoder.memory(controlLevel) + Bzip2Decoder.memory(diffLevel) + Bzip2Decoder.memory(extraLevel)
                + BUFFERS;
    }

    @Override
    public void create(SeekableByteChannel base, SeekableByteChannel target, OutputStream patch, long applyMemory)
            throws DeltaException, IOException {
        if (applyMemory < minimumApplyMemory()) {
            throw new DeltaException(Reason.MEMORY, "bsdiff patches need at least " + minimumApplyMemory()
                    + " bytes of working memory to apply; the budget is " + applyMemory);
        }
        int budgetLevel = 1;
        while (budgetLevel < 9 && memory(budgetLevel + 1, budgetLevel + 1, budgetLevel + 1) <= applyMemory) {
            budgetLevel++;
        }
        byte[] old = Channels.readAll(base, ID, "base image");
        byte[] next = Channels.readAll(target, ID, "target image");
        Blocks blocks = diff(old, next);
        byte[] control = compress(blocks.control, budgetLevel);
        byte[] diff = compress(blocks.diff, budgetLevel);
        byte[] extra = compress(blocks.extra, budgetLevel);
        byte[] header = new byte[HEADER];
        System.arraycopy(MAGIC, 0, header, 0, MAGIC.length);
        putOffset(header, 8, control.length);
        putOffset(header, 16, diff.length);
        putOffset(header, 24, next.length);
        patch.write(header);
        patch.write(control);
        patch.write(diff);
        patch.write(extra);
    }

    private static byte[] compress(ByteArrayOutputStream block, int budgetLevel) {
        byte[] bytes = block.toByteArray();
        int level = Math.min(budgetLevel, Bzip2Encoder.smallestSingleBlockLevel(bytes, bytes.length));
        return Bzip2Encoder.compress(bytes, bytes.length, level);
    }

    private static final class Blocks {
        final ByteArrayOutputStream control = new ByteArrayOutputStream();
        final ByteArrayOutputStream diff = new ByteArrayOutputStream();
        final ByteArrayOutputStream extra = new ByteArrayOutputStream();
    }

    /** bsdiff 4.3's matching: approximate matches found through the base's suffix array, extended both ways. */
    private static Blocks diff(byte[] old, byte[] next) {
        Blocks blocks = new Blocks();
        int oldSize = old.length;
        int newSize = next.length;
        Matcher matcher = new Matcher(old, next);
        byte[] triple = new byte[24];
        int scan = 0;
        int length = 0;
        int position = 0;
        int lastScan = 0;
        int lastPosition = 0;
        int lastOffset = 0;
        while (scan < newSize) {
            int oldScore = 0;
            scan += length;
            int scored = scan;
            for (; scan < newSize; scan++) {
                length = matcher.longest(scan);
                position = matcher.position;
                // how many of the bytes the match covers the previous alignment already matches
                for (; scored < scan + length; scored++) {
                    int at = scored + lastOffset;
                    if (at >= 0 && at < oldSize && old[at] == next[scored]) {
                        oldScore++;
                    }
                }
                if ((length == oldScore && length != 0) || length > oldScore + 8) {
                    break;
                }
                int at = scan + lastOffset;
                if (at >= 0 && at < oldSize && old[at] == next[scan]) {
                    oldScore--;
                }
            }
            if (length == oldScore && scan != newSize) {
                continue;
            }
            // extend the previous match forwards, as far as it pays off with at least half the bytes equal
            int forward = 0;
            int score = 0;
            int bestScore = 0;
            for (int i = 0; lastScan + i < scan && lastPosition + i < oldSize;) {
                if (old[lastPosition + i] == next[lastScan + i]) {
                    score++;
                }
                i++;
                if (score * 2 - i > bestScore * 2 - forward) {
                    bestScore = score;
                    forward = i;
                }
            }
            // and the new one backwards
            int backward = 0;
            if (scan < newSize) {
                score = 0;
                bestScore = 0;
                for (int i = 1; scan >= lastScan + i && position >= i; i++) {
                    if (old[position - i] == next[scan - i]) {
                        score++;
                    }
                    if (score * 2 - i > bestScore * 2 - backward) {
                        bestScore = score;
                        backward = i;
                    }
                }
            }
            // where they overlap, split at the point that keeps the most equal bytes
            if (lastScan + forward > scan - backward) {
                int overlap = (lastScan + forward) - (scan - backward);
                score = 0;
                bestScore = 0;
                int split = 0;
                for (int i = 0; i < overlap; i++) {
                    if (next[lastScan + forward - overlap + i] == old[lastPosition + forward - overlap + i]) {
                        score++;
                    }
                    if (next[scan - backward + i] == old[position - backward + i]) {
                        score--;
                    }
                    if (score > bestScore) {
                        bestScore = score;
                        split = i + 1;
                    }
                }
                forward += split - overlap;
                backward -= split;
            }
            for (int i = 0; i < forward; i++) {
                blocks.diff.write(next[lastScan + i] - old[lastPosition + i]);
            }
            int extraLength = (scan - backward) - (lastScan + forward);
            blocks.extra.write(next, lastScan + forward, extraLength);
            putOffset(triple, 0, forward);
            putOffset(triple, 8, extraLength);
            putOffset(triple, 16, (long) (position - backward) - (lastPosition + forward));
            blocks.control.write(triple, 0, 24);
            lastScan = scan - backward;
            lastPosition = position - backward;
            lastOffset = position - scan;
        }
        return blocks;
    }

    /** The longest match of the target at a position among the base's suffixes, by binary search. */
    private static final class Matcher {
        private final byte[] old;
        private final byte[] next;
        private final int[] suffixes;
        int position;

        Matcher(byte[] old, byte[] next) {
            this.old = old;
            this.next = next;
            this.suffixes = SuffixSort.suffixes(old, old.length);
        }

        /** bsdiff's suffix array has the empty suffix first, at index 0. */
        private int suffix(int index) {
            return index == 0 ? old.length : suffixes[index - 1];
        }

        int longest(int scan) {
            int start = 0;
            int end = old.length;
            while (end - start >= 2) {
                int middle = start + (end - start) / 2;
                if (compare(suffix(middle), scan) < 0) {
                    start = middle;
                } else {
                    end = middle;
                }
            }
            int a = suffix(start);
            int b = suffix(end);
            int x = matchLength(a, scan);
            int y = matchLength(b, scan);
            if (x > y) {
                position = a;
                return x;
            }
            position = b;
            return y;
        }

        /** memcmp over the shorter of the two. */
        private int compare(int oldFrom, int newFrom) {
            int n = Math.min(old.length - oldFrom, next.length - newFrom);
            int i = Arrays.mismatch(old, oldFrom, oldFrom + n, next, newFrom, newFrom + n);
            return i < 0 ? 0 : Integer.compare(old[oldFrom + i] & 0xff, next[newFrom + i] & 0xff);
        }

        private int matchLength(int oldFrom, int newFrom) {
            int n = Math.min(old.length - oldFrom, next.length - newFrom);
            int i = Arrays.mismatch(old, oldFrom, oldFrom + n, next, newFrom, newFrom + n);
            return i < 0 ? n : i;
        }
    }

    @Override
    public PatchInfo inspect(SeekableByteChannel patch) throws DeltaException, IOException {
        Header h = header(patch);
        return new PatchInfo(ID, h.targetSize, memory(h.levels[0], h.levels[1], h.levels[2]));
    }

    @Override
    public void apply(SeekableByteChannel base, SeekableByteChannel patch, OutputStream target, long targetSize,
            long memoryLimit) throws DeltaException, IOException {
        Header h = header(patch);
        if (h.targetSize > targetSize) {
            throw new DeltaException(Reason.TOO_LARGE, "bsdiff patch builds an image of " + h.targetSize
                    + " bytes, larger than the expected " + targetSize);
        }
        if (h.targetSize < targetSize) {
            throw new DeltaException(Reason.TOO_SHORT, "bsdiff patch builds an image of " + h.targetSize
                    + " bytes, smaller than the expected " + targetSize);
        }
        long memory = memory(h.levels[0], h.levels[1], h.levels[2]);
        if (memory > memoryLimit) {
            throw new DeltaException(Reason.MEMORY, "bsdiff patch needs " + memory + " bytes of working memory "
                    + "(bzip2 levels " + h.levels[0] + ", " + h.levels[1] + ", " + h.levels[2] + "); the limit is "
                    + memoryLimit);
        }
        Bzip2Decoder control = new Bzip2Decoder(h.regions[0], h.levels[0], "bsdiff control block");
        Bzip2Decoder diff = new Bzip2Decoder(h.regions[1], h.levels[1], "bsdiff diff block");
        Bzip2Decoder extra = new Bzip2Decoder(h.regions[2], h.levels[2], "bsdiff extra block");
        BaseImage old = new BaseImage(base, ID);
        byte[] triple = new byte[24];
        byte[] chunk = new byte[CHUNK];
        byte[] oldChunk = new byte[CHUNK];
        long newPosition = 0;
        long oldPosition = 0;
        while (newPosition < h.targetSize) {
            if (!control.readFully(triple, 0, 24)) {
                throw new DeltaException(Reason.MALFORMED, "bsdiff control block ends after " + newPosition + " of "
                        + h.targetSize + " bytes");
            }
            long add = offset(triple, 0);
            long copy = offset(triple, 8);
            long seek = offset(triple, 16);
            if (add < 0 || copy < 0) {
                throw new DeltaException(Reason.MALFORMED, "bsdiff control block holds a negative length");
            }
            if (add > h.targetSize - newPosition) {
                throw new DeltaException(Reason.TOO_LARGE, "bsdiff patch writes past the end of the target image ("
                        + h.targetSize + " bytes)");
            }
            if (oldPosition < 0) {
                throw new DeltaException(Reason.MALFORMED, "bsdiff patch reads before the start of the base");
            }
            for (long left = add; left > 0;) {
                int n = (int) Math.min(CHUNK, left);
                if (!diff.readFully(chunk, 0, n)) {
                    throw new DeltaException(Reason.MALFORMED, "bsdiff diff block is shorter than its control "
                            + "block says");
                }
                old.read(oldPosition, oldChunk, 0, n);
                for (int i = 0; i < n; i++) {
                    chunk[i] += oldChunk[i];
                }
                target.write(chunk, 0, n);
                oldPosition += n;
                left -= n;
            }
            newPosition += add;
            if (copy > h.targetSize - newPosition) {
                throw new DeltaException(Reason.TOO_LARGE, "bsdiff patch writes past the end of the target image ("
                        + h.targetSize + " bytes)");
            }
            for (long left = copy; left > 0;) {
                int n = (int) Math.min(CHUNK, left);
                if (!extra.readFully(chunk, 0, n)) {
                    throw new DeltaException(Reason.MALFORMED, "bsdiff extra block is shorter than its control "
                            + "block says");
                }
                target.write(chunk, 0, n);
                left -= n;
            }
            newPosition += copy;
            try {
                oldPosition = Math.addExact(oldPosition, seek);
            } catch (ArithmeticException e) {
                throw new DeltaException(Reason.MALFORMED, "bsdiff control block moves outside any base");
            }
        }
        control.finish();
        diff.finish();
        extra.finish();
    }

    private record Header(long targetSize, PatchRegion[] regions, int[] levels) {
    }

    private static Header header(SeekableByteChannel patch) throws DeltaException, IOException {
        long size = patch.size();
        byte[] header = new byte[HEADER];
        int n = Channels.readAt(patch, 0, header, 0, HEADER);
        if (!Arrays.equals(header, 0, Math.min(n, MAGIC.length), MAGIC, 0, Math.min(n, MAGIC.length))) {
            throw new DeltaException(Reason.MALFORMED, "not a bsdiff patch (no BSDIFF40 header)");
        }
        if (n < HEADER) {
            throw new DeltaException(Reason.TRUNCATED, "bsdiff patch ends inside its header, at byte " + n);
        }
        long controlLength = offset(header, 8);
        long diffLength = offset(header, 16);
        long targetSize = offset(header, 24);
        if (controlLength < 0 || diffLength < 0 || targetSize < 0) {
            throw new DeltaException(Reason.MALFORMED, "bsdiff patch header holds a negative length");
        }
        if (controlLength > size - HEADER || diffLength > size - HEADER - controlLength) {
            throw new DeltaException(Reason.TRUNCATED, "bsdiff patch of " + size + " bytes is shorter than its "
                    + "header says (" + (HEADER + controlLength + diffLength) + " bytes before the extra block)");
        }
        long diffStart = HEADER + controlLength;
        long extraStart = diffStart + diffLength;
        PatchRegion[] regions = {
            new PatchRegion(patch, HEADER, diffStart, "bsdiff control block"),
            new PatchRegion(patch, diffStart, extraStart, "bsdiff diff block"),
            new PatchRegion(patch, extraStart, size, "bsdiff extra block")};
        int[] levels = new int[3];
        for (int i = 0; i < 3; i++) {
            levels[i] = Bzip2Decoder.readHeader(regions[i], NAMES[i]);
        }
        return new Header(targetSize, regions, levels);
    }

    private static final String[] NAMES = {"bsdiff control block", "bsdiff diff block", "bsdiff extra block"};

    /** bsdiff's integers: eight bytes, little-endian magnitude, sign in the top bit. */
    private static long offset(byte[] b, int at) {
        long value = 0;
        for (int i = 7; i >= 0; i--) {
            value = (value << 8) | (b[at + i] & 0xff);
        }
        long magnitude = value & Long.MAX_VALUE;
        return value < 0 ? -magnitude : magnitude;
    }

    private static void putOffset(byte[] b, int at, long value) {
        long magnitude = Math.abs(value);
        for (int i = 0; i < 8; i++) {
            b[at + i] = (byte) (magnitude >>> (8 * i));
        }
        if (value < 0) {
            b[at + 7] |= (byte) 0x80;
        }
    }
}
