package org.updraft.storage.ipfs.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Settings of the IPFS firmware store (PID {@value IpfsFirmwareStore#PID}). */
@ObjectClassDefinition(id = IpfsFirmwareStore.PID, name = "Updraft IPFS firmware store",
        description = "Firmware kept on an IPFS node (Kubo or js-ipfs), reached through its RPC API.")
public @interface IpfsStoreConfig {

    @AttributeDefinition(name = "RPC API address",
            description = "Where the node's RPC API listens (Addresses.API in its config), e.g. http://127.0.0.1:5001. "
                    + "The API grants full control of the node: keep it on localhost or a private network.")
    String api_url() default "http://127.0.0.1:5001";

    @AttributeDefinition(name = "Connect timeout (ms)", description = "How long to wait for a connection to the node.")
    int connect_timeout_ms() default 2_000;

    @AttributeDefinition(name = "Request timeout (s)",
            description = "How long a small command (version, stat, pin) may take before it fails.")
    int request_timeout_seconds() default 30;

    @AttributeDefinition(name = "Transfer timeout (s)",
            description = "How long an add may take until the node answers, and a read until its first byte.")
    int transfer_timeout_seconds() default 600;

    @AttributeDefinition(name = "Lookup timeout (ms)",
            description = "How long the node may look for an object before the store reports it absent. Kubo "
                    + "answers from its own blocks at once; js-ipfs always waits this long for an object it lacks.")
    int lookup_timeout_ms() default 3_000;

    @AttributeDefinition(name = "Retries",
            description = "How many more times a request is tried when no connection can be made (node restarting).")
    int retries() default 2;

    @AttributeDefinition(name = "Retry pause (ms)",
            description = "Pause before the first retry; each further retry waits this much longer.")
    int retry_pause_ms() default 250;

    @AttributeDefinition(name = "CID version", description = "CID version of puts that do not say (0 or 1).")
    int cid_version() default 0;

    @AttributeDefinition(name = "Raw leaves",
            description = "Leaves as raw blocks for puts that do not say; needs CID version 1.")
    boolean raw_leaves() default false;

    @AttributeDefinition(name = "Pin on put",
            description = "Pin every object when it is added, so the node's garbage collection keeps it.")
    boolean pin_on_put() default true;

    @AttributeDefinition(name = "IPNS record lifetime",
            description = "How long a release channel's IPNS record stays valid (a Go-style duration: 24h, 90m). "
                    + "The node republishes its own records before they expire.")
    String ipns_lifetime() default "24h";

    @AttributeDefinition(name = "IPNS publish without peers",
            description = "Lets the node publish a channel's IPNS record when it has no peers (Kubo's "
                    + "allow-offline): the record is kept locally and served once peers connect.")
    boolean ipns_allow_offline() default true;

    @AttributeDefinition(name = "Pinning service endpoint",
            description = "Base URL of a remote pinning service (IPFS Pinning Service API), e.g. "
                    + "https://api.pinata.cloud/psa. Empty: objects are pinned on the node only.")
    String pinning_service_endpoint() default "";

    @AttributeDefinition(name = "Pinning service access token file",
            description = "File holding the service's access token (sent as a bearer token). Keep it readable by "
                    + "the Karaf user only; the token itself is never logged.")
    String pinning_service_token_file() default "";

    @AttributeDefinition(name = "Pinning service timeout (s)",
            description = "How long one request to the pinning service may take.")
    int pinning_service_timeout_seconds() default 30;

    @AttributeDefinition(name = "Pinning service status poll (s)",
            description = "How often the status of a queued or pinning request is asked for.")
    int pinning_service_poll_seconds() default 30;

    @AttributeDefinition(name = "Pinning service retry backoff limit (s)",
            description = "A failed request is retried after 1 s, then twice as long each time, up to this.")
    int pinning_service_max_backoff_seconds() default 600;
}
