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
 * @param shedAbove datagrams waiting above which new requests get 5.03
 * @param dropAbove datagrams waiting above which new datagrams are dropped unread
 * @param overloadMaxAge Max-Age of the 5.03 answers to requests shed under load, seconds (before jitter)
 * @param peerRequestsPerSecond requests per second per source address beyond which it gets 5.03; 0 for no limit
 */
record Limits(int maxBlockSzx, long checkMaxAge, long unavailableMaxAge, int maxRequestBytes, boolean autoRegister,
        int shedAbove, int dropAbove, long overloadMaxAge, int peerRequestsPerSecond) {

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
        if (config.overload_shed_above() < 1 || config.overload_drop_above() < config.overload_shed_above()) {
            throw new IllegalArgumentException("overload.shed.above must be at least 1 and overload.drop.above at "
                    + "least overload.shed.above, not " + config.overload_shed_above() + " and "
                    + config.overload_drop_above());
        }
        if (config.overload_max_age() < 0) {
            throw new IllegalArgumentException("overload.max.age must be 0 or more seconds, not "
                    + config.overload_max_age());
        }
        if (config.peer_requests_per_second() < 0) {
            throw new IllegalArgumentException("peer.requests.per.second must be 0 (no limit) or more, not "
                    + config.peer_requests_per_second());
        }
        return new Limits(BlockOption.size2Szx(block), config.check_max_age(), config.unavailable_max_age(),
                config.max_request_bytes(), config.auto_register(), config.overload_shed_above(),
                config.overload_drop_above(), config.overload_max_age(), config.peer_requests_per_second());
    }

    int maxBlockSize() {
        return BlockOption.szx2Size(maxBlockSzx);
    }
}
