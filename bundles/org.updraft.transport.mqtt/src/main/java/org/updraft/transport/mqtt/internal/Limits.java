package org.updraft.transport.mqtt.internal;

/**
 * The transport's limits, checked once from the configuration.
 *
 * @param maxBlockSize the largest firmware block served, bytes
 * @param maxRequestBytes the largest request payload accepted
 * @param unavailableRetry seconds a device is told to wait while a backend is down
 * @param autoRegister whether enrollments register devices
 * @param qos QoS of the platform's subscriptions and publications
 */
record Limits(int maxBlockSize, int maxRequestBytes, long unavailableRetry, boolean autoRegister, int qos) {

    static Limits of(MqttTransportConfig config) {
        if (config.max_block_size() < 16 || config.max_block_size() > 1024 * 1024) {
            throw new IllegalArgumentException("max.block.size must be 16 to 1048576 bytes, not "
                    + config.max_block_size());
        }
        if (config.max_request_bytes() < 256) {
            throw new IllegalArgumentException("max.request.bytes must be at least 256, not "
                    + config.max_request_bytes());
        }
        if (config.unavailable_retry() < 0) {
            throw new IllegalArgumentException("unavailable.retry must be 0 or more seconds");
        }
        if (config.qos() < 0 || config.qos() > 2) {
            throw new IllegalArgumentException("qos must be 0, 1 or 2, not " + config.qos());
        }
        return new Limits(config.max_block_size(), config.max_request_bytes(), config.unavailable_retry(),
                config.auto_register(), config.qos());
    }
}
