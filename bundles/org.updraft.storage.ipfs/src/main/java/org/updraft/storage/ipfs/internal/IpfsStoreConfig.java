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
}
