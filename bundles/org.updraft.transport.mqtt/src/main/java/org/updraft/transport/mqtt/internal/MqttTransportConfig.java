package org.updraft.transport.mqtt.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.updraft.api.store.FirmwareStore;

/** Settings of the MQTT device API (PID {@value MqttTransport#PID}, etc/org.updraft.transport.mqtt.cfg). */
@ObjectClassDefinition(id = MqttTransport.PID, name = "Updraft MQTT device API",
        description = "The platform as an MQTT 5 client of the fleet's broker: update checks by request/response, "
                + "retained offers, firmware blocks, signed reports and enrollments (docs/mqtt-api.md).")
public @interface MqttTransportConfig {

    @AttributeDefinition(name = "Broker",
            description = "The broker's URI: tcp://host:1883, or ssl://host:8883 for TLS (see TLS trust).")
    String broker_uri() default "tcp://localhost:1883";

    @AttributeDefinition(name = "Client id",
            description = "This node's MQTT client id; every node needs its own. Empty: updraft-platform- and 8 "
                    + "random hex digits, new at each start.")
    String client_id() default "";

    @AttributeDefinition(name = "Credentials file",
            description = "A properties file with username= and password= for the broker; empty connects "
                    + "without. Its content is never logged; the transport warns when group or others may read "
                    + "it.")
    String credentials_file() default "";

    @AttributeDefinition(name = "TLS trust",
            description = "For ssl:// brokers: a PEM file of the CA certificates to trust. Empty: the JVM's "
                    + "default trust store.")
    String tls_trust() default "";

    @AttributeDefinition(name = "Topic prefix",
            description = "The first levels of every topic of the device API, e.g. updraft or fleet/eu.")
    String topic_prefix() default "updraft";

    @AttributeDefinition(name = "QoS",
            description = "QoS of the platform's subscriptions and publications: 0, 1 or 2. 1 (at least once) "
                    + "is safe: every request may be repeated.")
    int qos() default 1;

    @AttributeDefinition(name = "Shared-subscription group",
            description = "The platform's nodes subscribe to the request topics as $share/<group>/...: each "
                    + "request reaches one node of the group.")
    String shared_group() default "updraft";

    @AttributeDefinition(name = "Auto-registration",
            description = "Register unknown devices that publish a self-signed enrollment. Off: enrollments are "
                    + "refused (forbidden) and an operator registers devices.")
    boolean auto_register() default false;

    @AttributeDefinition(name = "Largest block",
            description = "Largest firmware block in bytes; a device asking for more gets this much, and less "
                    + "when its max-packet needs it.")
    int max_block_size() default 16384;

    @AttributeDefinition(name = "Largest request",
            description = "Largest request payload in bytes (reports, enrollments); larger ones are refused "
                    + "(too-large).")
    int max_request_bytes() default 4096;

    @AttributeDefinition(name = "Retry after outage",
            description = "Seconds a device is told to wait (retry-after) while the store, registry or ledger "
                    + "is down.")
    int unavailable_retry() default 30;

    @AttributeDefinition(name = "Threads",
            description = "Threads answering requests; the MQTT client's own thread only hands them over.")
    int threads() default 4;

    @AttributeDefinition(name = "Waiting requests",
            description = "Requests that may wait for a thread; beyond that they are shed (counted in "
                    + "updraft:status, logged at most once a minute) and devices repeat them: the MQTT client's own "
                    + "thread must never block on one.")
    int max_waiting() default 10_000;

    @AttributeDefinition(name = "Devices with offers",
            description = "Devices whose retained offer this node keeps current after a rollout change (the "
                    + "devices that checked through it), about 200 bytes each.")
    int max_devices() default 100_000;

    @AttributeDefinition(name = "Cached chunks",
            description = "Image chunks of 256 KiB kept in memory, so that a download in blocks reads each chunk "
                    + "from the store once.")
    int cached_chunks() default 32;

    @AttributeDefinition(name = "Firmware store",
            description = "Filter choosing the firmware store. The default is the serving store (PID "
                    + "org.updraft.store): swapping backends there does not touch this transport.")
    String store_target() default FirmwareStore.SERVING;
}
