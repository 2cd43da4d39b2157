package org.updraft.api.profile;

import java.util.List;
import java.util.Objects;

/**
 * What the devices of one class can take, as their profile states it for transports and delta services.
 *
 * @param slotSize bytes of the slot an image is written to, trailer included: no image larger than
 *        {@code slotSize} can be installed
 * @param writeAlignment the flash write size in bytes (1, 2, 4, 8, ...): a device writes whole units of it
 * @param blockSize the block size in bytes a transport should send (CoAP block-wise, LoRaWAN fragments): what the
 *        device buffers before a flash write; 0 when the device has no preference
 * @param deltaCodecs the delta codecs the devices can apply ({@code DeltaCodec.id()}: {@code bsdiff},
 *        {@code vcdiff}), most preferred first; empty when they take full images only
 * @param deltaMemory the working memory in bytes the devices can give a delta codec (the {@code memoryLimit} of
 *        {@code DeltaCodec.apply}); 0 when {@code deltaCodecs} is empty
 */
public record ProfileLimits(long slotSize, int writeAlignment, int blockSize, List<String> deltaCodecs,
        long deltaMemory) {

    public ProfileLimits {
        if (slotSize <= 0 || writeAlignment <= 0 || blockSize < 0 || deltaMemory < 0) {
            throw new IllegalArgumentException("sizes must be positive (block size and delta memory may be 0)");
        }
        deltaCodecs = List.copyOf(Objects.requireNonNull(deltaCodecs, "deltaCodecs"));
    }
}
