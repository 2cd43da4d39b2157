package org.updraft.transport.ddi.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.updraft.api.store.FirmwareStore;

/** Settings of the hawkBit DDI device API (PID {@value DdiTransport#PID}, etc/org.updraft.transport.ddi.cfg). */
@ObjectClassDefinition(id = DdiTransport.PID, name = "Updraft hawkBit DDI device API",
        description = "The hawkBit DDI v1 controller API on Karaf's HTTP port, for devices that run a hawkBit client "
                + "(SWUpdate's suricatta, rauc-hawkbit-updater, Zephyr): docs/ddi-api.md.")
public @interface DdiConfig {

    @AttributeDefinition(name = "Tenant",
            description = "The tenant in the path /{tenant}/controller/v1/{controllerId}; hawkBit's default is "
                    + "DEFAULT. Letters, digits, '-' and '_'.")
    String tenant() default "DEFAULT";

    @AttributeDefinition(name = "Target tokens file",
            description = "A properties file of controllerId=token lines: each device's TargetToken. chmod 600 (a "
                    + "warning otherwise); never logged. A relative path starts from etc/. Empty: no target tokens.")
    String target_tokens_file() default "";

    @AttributeDefinition(name = "Gateway token file",
            description = "A file whose first line is the tenant's GatewayToken, which may act for every device "
                    + "of the tenant. chmod 600; never logged. Empty: no gateway token.")
    String gateway_token_file() default "";

    @AttributeDefinition(name = "Polling sleep",
            description = "config.polling.sleep of the base poll, HH:MM:SS: how long devices wait between polls "
                    + "(shorter when the platform asks for an earlier check).")
    String polling_sleep() default "00:05:00";

    @AttributeDefinition(name = "Report key file",
            description = "The transport's Ed25519 key (PEM, made at first start): it signs the device reports it "
                    + "makes of DDI feedback. DDI devices are registered with its did:key (updraft:status shows "
                    + "it); every node needs the same file.")
    String key_file() default "${karaf.data}/updraft/ddi-key.pem";

    @AttributeDefinition(name = "Signed artifacts",
            description = "Whether a deployment's chunk also lists manifest.cose (the signed manifest) and "
                    + "offer.cbor (the CoAP offer: manifest, ledger proof, checkpoint, signed statement) after the "
                    + "image. Clients that take one artifact per chunk only (Zephyr's) need false.")
    boolean signed_artifacts() default true;

    @AttributeDefinition(name = "Ask for config data",
            description = "Whether the base poll carries the configData link, asking devices to send their "
                    + "attributes (PUT configData).")
    boolean request_config_data() default false;

    @AttributeDefinition(name = "Largest request",
            description = "Bytes a feedback or configData body may have; a larger one is refused with 413.")
    int max_request_bytes() default 65536;

    @AttributeDefinition(name = "Requests a second",
            description = "Requests each token may make a second for one device (a gateway token is counted per "
                    + "device); more are answered 429 with Retry-After. 0: no limit.")
    int max_requests_per_second() default 20;

    @AttributeDefinition(name = "Store",
            description = "Filter choosing the firmware store. The default is the serving store (PID "
                    + "org.updraft.store).")
    String store_target() default FirmwareStore.SERVING;
}
