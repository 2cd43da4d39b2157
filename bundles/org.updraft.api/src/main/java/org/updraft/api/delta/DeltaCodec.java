package org.updraft.api.delta;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.SeekableByteChannel;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A binary delta format: makes a patch that turns one image (the base, what a device runs) into another (the
 * target, the release it is offered), and applies such a patch on a device.
 *
 * <h2>Where each side runs</h2>
 * {@link #create} runs on the platform when a release is published, or on a manufacturer's machine; it may hold
 * both images in memory. {@link #apply} runs on the device, and is written for it:
 * <ul>
 * <li>the base is read by position, in any order, never loaded whole: it is the slot the device runs from, and
 * flash is addressable. The patch is read by position too: devices keep it in a scratch area until it is
 * applied, and some formats (BSDIFF40) read three parts of it at once;</li>
 * <li>the target is written once, front to back, to an {@link OutputStream}: the new slot;</li>
 * <li>working memory stays within the caller's limit whatever the patch says. A patch that would need more is
 * refused ({@link DeltaException.Reason#MEMORY}) before anything is written.</li>
 * </ul>
 *
 * <h2>What a codec guarantees</h2>
 * <ul>
 * <li>{@link #apply} writes exactly {@code targetSize} bytes or fails: it never writes a byte past
 * {@code targetSize} ({@link DeltaException.Reason#TOO_LARGE}), and a patch that ends early fails
 * ({@link DeltaException.Reason#TOO_SHORT}).</li>
 * <li>Bad patches are refused with their own {@link DeltaException.Reason}: garbage, a truncated patch, one that
 * reads outside the base (made for another base), one whose own checksums fail. Never an unchecked exception,
 * never an endless loop, never an allocation beyond the caller's memory limit, whatever the patch declares.</li>
 * <li>On failure, what was written to the target is garbage: the caller discards it (a device erases the slot,
 * it never boots it).</li>
 * <li>Instances are stateless and may be used by any number of threads at once.</li>
 * </ul>
 *
 * <h2>What a codec does not check</h2>
 * Most formats do not name their base (BSDIFF40 does not; VCDIFF may carry a checksum of each target window),
 * and none is signed. The caller checks that the base is the image the patch was made from (the platform
 * records the base's digest with each patch), and verifies the rebuilt image against the release's signed
 * manifest: a device never trusts a patch alone.
 *
 * <h2>Memory</h2>
 * "Working memory" is what {@link #apply} allocates: decoder state and buffers, in bytes. It does not count the
 * base and target images, which stay in flash. It depends on the parameters the patch was made with (a
 * compressor's block size, a window size), so {@link #create} takes the device's budget and picks parameters
 * within it, and {@link #inspect} reads what a given patch needs from its headers.
 */
@ProviderType
public interface DeltaCodec {

    /** Service property carrying {@link #id()}, e.g. {@code delta.codec=bsdiff}. */
    String CODEC = "delta.codec";

    /**
     * The codec's stable name, as device profiles, ledger records and the CLI's {@code --codec} name it: lower
     * case letters, digits and {@code -}, e.g. {@code bsdiff}, {@code vcdiff}.
     */
    String id();

    /**
     * The least working memory, in bytes, that any patch of this codec can be applied in (its smallest
     * parameters). A device profile whose budget is below it cannot accept the codec.
     */
    long minimumApplyMemory();

    /**
     * Writes a patch that turns {@code base} into {@code target}. Reads both channels from position 0 to their
     * size; leaves {@code patch} open.
     *
     * @param applyMemory the most working memory the patch may need to be applied (the device's budget), at
     *        least {@link #minimumApplyMemory()}; {@link Long#MAX_VALUE} for no limit. The codec picks its
     *        parameters within it, so {@link #inspect} of the patch reports at most this much.
     * @throws DeltaException {@link DeltaException.Reason#MEMORY} when {@code applyMemory} is below the
     *         minimum, {@link DeltaException.Reason#UNSUPPORTED} when an image is larger than the codec handles
     */
    void create(SeekableByteChannel base, SeekableByteChannel target, OutputStream patch, long applyMemory)
            throws DeltaException, IOException;

    /**
     * What {@code patch} declares, read from its headers without applying it: the size of the image it builds
     * and the working memory applying it needs. Cheap: it reads headers only, in bounded memory.
     *
     * @throws DeltaException when the patch is not one of this codec's, truncated, or uses a feature the codec
     *         does not implement
     */
    PatchInfo inspect(SeekableByteChannel patch) throws DeltaException, IOException;

    /**
     * Rebuilds the target image from {@code base} and {@code patch} into {@code target}, front to back.
     *
     * @param base the image the patch was made from, read by position (the caller has checked it is that image)
     * @param patch the whole patch, read by position from 0 to its size
     * @param target receives exactly {@code targetSize} bytes, in order; not closed
     * @param targetSize the size of the image to build, from the release's signed manifest: the codec refuses to
     *        write more ({@link DeltaException.Reason#TOO_LARGE}), and a patch declaring another size is refused
     *        before anything is written
     * @param memoryLimit the most working memory to spend, in bytes; a patch needing more is refused with
     *        {@link DeltaException.Reason#MEMORY} before anything is written
     * @throws DeltaException when the patch is refused; its reason says why
     * @throws IOException when reading the base or patch or writing the target fails
     */
    void apply(SeekableByteChannel base, SeekableByteChannel patch, OutputStream target, long targetSize,
            long memoryLimit) throws DeltaException, IOException;
}
