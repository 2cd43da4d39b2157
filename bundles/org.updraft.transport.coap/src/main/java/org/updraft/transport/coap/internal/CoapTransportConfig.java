package org.updraft.transport.coap.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.updraft.api.store.FirmwareStore;

/** Settings of the CoAP device API (PID {@value CoapTransport#PID}, etc/org.updraft.transport.coap.cfg). */
@ObjectClassDefinition(id = CoapTransport.PID, name = "Updraft CoAP device API",
        description = "Update checks (Observe, ETag), block-wise firmware download, signed reports and enrollment "
                + "over CoAP on UDP.")
public @interface CoapTransportConfig {

    @AttributeDefinition(name = "Bind address",
            description = "Address the UDP socket binds to. 0.0.0.0 (every IPv4 interface) because devices reach "
                    + "the platform from the network; :: for IPv4 and IPv6; 127.0.0.1 to keep it on this machine.")
    String bind_address() default "0.0.0.0";

    @AttributeDefinition(name = "Port", description = "UDP port of unencrypted CoAP; 5683 is CoAP's; 0 takes a free "
            + "one. Served only while plain.enabled is true.")
    int port() default 5683;

    @AttributeDefinition(name = "Unencrypted CoAP",
            description = "Serve the device API without DTLS on port as well. For tests and interoperability only: "
                    + "a plain request names a device but proves nothing, so nothing is bound to a device there.")
    boolean plain_enabled() default false;

    @AttributeDefinition(name = "DTLS port",
            description = "UDP port of CoAP over DTLS 1.2 (coaps), where a device's raw public key is its identity; "
                    + "5684 is coaps's; 0 takes a free one; -1 serves no DTLS (tests, plain-only interoperability).")
    int dtls_port() default 5684;

    @AttributeDefinition(name = "DTLS key",
            description = "The platform's own DTLS key (PKCS#8 PEM, P-256), presented to devices as its raw public "
                    + "key; generated at first start. Devices are provisioned with its did:key (updraft:status).")
    String dtls_key_file() default "${karaf.data}/updraft/dtls-key.pem";

    @AttributeDefinition(name = "Auto-registration",
            description = "Register unknown devices that POST a self-signed enrollment to /enroll. Off: /enroll "
                    + "answers 4.03 and an operator registers devices.")
    boolean auto_register() default false;

    @AttributeDefinition(name = "Largest block",
            description = "Largest Block2 size in bytes served from /fw (16, 32, ..., 1024). Devices asking for "
                    + "more get this size; devices asking for less get what they ask.")
    int max_block_size() default 1024;

    @AttributeDefinition(name = "Check Max-Age",
            description = "Seconds a device may rely on an answer from /check before asking again (CoAP Max-Age), "
                    + "when the answer names no retry-after of its own.")
    int check_max_age() default 600;

    @AttributeDefinition(name = "Retry after outage",
            description = "Max-Age in seconds of 5.03 answers, sent while the store, registry or ledger is down.")
    int unavailable_max_age() default 30;

    @AttributeDefinition(name = "Largest request",
            description = "Largest request payload in bytes (reports, enrollments); larger ones get 4.13.")
    int max_request_bytes() default 4096;

    @AttributeDefinition(name = "Threads",
            description = "Threads of Californium's protocol stage: they parse requests and read image blocks "
                    + "from the store.")
    int threads() default 4;

    @AttributeDefinition(name = "Observers",
            description = "Most devices that may observe /check at once (each costs about a kilobyte).")
    int max_observers() default 100_000;

    @AttributeDefinition(name = "Cached chunks",
            description = "Image chunks of 256 KiB kept in memory, most recently used first, so that a block-wise "
                    + "download reads each chunk from the store once rather than once per block.")
    int cached_chunks() default 32;

    @AttributeDefinition(name = "Shed load above",
            description = "Datagrams waiting for the protocol threads above which new requests are answered at once "
                    + "with 5.03 and a Max-Age (overload.max.age) instead of being served.")
    int overload_shed_above() default 512;

    @AttributeDefinition(name = "Drop datagrams above",
            description = "Datagrams waiting for the protocol threads above which new datagrams are dropped at the "
                    + "socket, unread: the bound on the memory and delay a flood can cause.")
    int overload_drop_above() default 4096;

    @AttributeDefinition(name = "Retry after overload",
            description = "Max-Age in seconds of the 5.03 answers to requests shed under load or over the per-peer "
                    + "limit; each answer adds up to half as much again at random, so shed devices do not all come "
                    + "back at once.")
    int overload_max_age() default 30;

    @AttributeDefinition(name = "Requests per second per peer",
            description = "Requests a source address may make per second; the excess gets 5.03 (as under load). "
                    + "Each /fw block is a request: set it above the blocks a second one download takes. 0, the "
                    + "default, sets no limit: devices behind one NAT share an address.")
    int peer_requests_per_second() default 0;

    @AttributeDefinition(name = "Firmware store",
            description = "Filter choosing the firmware store. The default is the serving store (PID "
                    + "org.updraft.store), which picks the backend: swapping backends there does not touch this "
                    + "server; a block no running backend can serve gets 5.03 and is retried.")
    String store_target() default FirmwareStore.SERVING;
}
