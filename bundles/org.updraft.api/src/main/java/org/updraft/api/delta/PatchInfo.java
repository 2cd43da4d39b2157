package org.updraft.api.delta;

/**
 * What a patch declares in its headers ({@link DeltaCodec#inspect}).
 *
 * @param codec the {@link DeltaCodec#id()} of the codec that read it
 * @param targetSize the size in bytes of the image the patch builds
 * @param applyMemory the working memory in bytes that {@link DeltaCodec#apply} needs for it
 */
public record PatchInfo(String codec, long targetSize, long applyMemory) {

    public PatchInfo {
        if (codec == null || codec.isEmpty()) {
            throw new IllegalArgumentException("codec id must not be empty");
        }
        if (targetSize < 0 || applyMemory < 0) {
            throw new IllegalArgumentException("sizes must not be negative");
        }
    }
}
