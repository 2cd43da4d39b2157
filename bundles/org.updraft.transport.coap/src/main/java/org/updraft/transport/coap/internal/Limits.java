package org.updraft.transport.coap.internal;

import org.eclipse.californium.core.coap.BlockOption;

/**
 * The transport's limits, checked once from the configuration.
 *
 * @param maxBlockSzx the largest Block2 SZX served (6 = 1024 bytes)
 * @param checkMaxAge Max-Age of check answers without a retry-after of their own, seconds
 * @param unavailableMaxAge Max-Age of 5.03 answers, seconds
 * @param maxRequestBytes the largest request payload accepted
 * @param autoRegister whether /enroll registers devices
 */
record Limits(int maxBlockSzx, long checkMaxAge, long unavailableMaxAge, int maxRequestBytes, boolean autoRegister) {

    static Limits of(CoapTransportConfig config) {
        int block = config.max_block_size();
        if (block < 16 || block > 1024 || Integer.bitCount(block) != 1) {
            throw new IllegalArgumentException("max.block.size must be 16, 32, 64, 128, 256, 512 or 1024, not "
                    + block);
        }
        if (config.check_max_age() < 0 || config.unavailable_max_age() < 0) {
            throw new IllegalArgumentException("check.max.age and unavailable.max.age must be 0 or more seconds");
        }
        if (config.max_request_bytes() < 256) {
            throw new IllegalArgumentException("max.request.bytes must be at least 256, not "
                    + config.max_request_bytes());
        }
        return new Limits(BlockOption.size2Szx(block), config.check_max_age(), config.unavailable_max_age(),
                config.max_request_bytes(), config.auto_register());
    }

    int maxBlockSize() {
        return BlockOption.szx2Size(maxBlockSzx);
    }
}
