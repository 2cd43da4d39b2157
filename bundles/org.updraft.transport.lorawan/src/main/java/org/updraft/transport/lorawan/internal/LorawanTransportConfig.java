package org.updraft.transport.lorawan.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.store.FirmwareStore;
import org.updraft.transport.lorawan.internal.update.ReportFrames;

/** Settings of the LoRaWAN transport (PID {@value LorawanTransport#PID}, etc/org.updraft.transport.lorawan.cfg). */
@ObjectClassDefinition(id = LorawanTransport.PID, name = "Updraft LoRaWAN transport",
        description = "Firmware updates over the air to LoRaWAN devices through ChirpStack v4's MQTT integration: "
                + "FUOTA sessions (TS004 fragmentation with FEC) carrying the platform's signed offer and the image; "
                + "the devices' signed reports come back as uplinks (docs/lorawan-api.md).")
public @interface LorawanTransportConfig {

    @AttributeDefinition(name = "Broker", description = "The broker ChirpStack's MQTT integration publishes to: "
            + "tcp://host:1883.")
    String broker_uri() default "tcp://localhost:1883";

    @AttributeDefinition(name = "Client id", description = "This node's MQTT client id. Empty: updraft-fuota- and "
            + "8 random hex digits.")
    String client_id() default "";

    @AttributeDefinition(name = "Credentials file",
            description = "A properties file with username= and password= for the broker (ChirpStack's MQTT "
                    + "integration user); empty connects without. Its content is never logged; the transport warns "
                    + "when group or others may read it.")
    String credentials_file() default "";

    @AttributeDefinition(name = "TLS trust",
            description = "For ssl:// brokers: a PEM file of the CA certificates to trust. Empty: the JVM's "
                    + "default trust store.")
    String tls_trust() default "";

    @AttributeDefinition(name = "ChirpStack application",
            description = "The id of the ChirpStack application the devices belong to (its topics' "
                    + "application_id). Empty: the transport connects to nothing and sends nothing.")
    String application_id() default "";

    @AttributeDefinition(name = "Device tag",
            description = "Registry devices carrying this tag are LoRaWAN devices; their device id is their DevEUI "
                    + "(16 hex digits).")
    String device_tag() default "lorawan";

    @AttributeDefinition(name = "Region", description = "The regional parameters: EU868.")
    String region() default "EU868";

    @AttributeDefinition(name = "Data rate", description = "The data rate of the session's downlinks (EU868: 0 to "
            + "7; DR5 carries 219-byte fragments).")
    int data_rate() default 5;

    @AttributeDefinition(name = "Frequency", description = "The downlink frequency of the session in Hz.")
    long frequency_hz() default 869_525_000L;

    @AttributeDefinition(name = "Duty cycle", description = "The share of time the gateway may transmit on the "
            + "frequency's sub-band, at most the sub-band's limit (869.525 MHz: 0.1).")
    double duty_cycle() default 0.1;

    @AttributeDefinition(name = "Fragment size", description = "Bytes per fragment; 0 for the largest the data "
            + "rate carries.")
    int fragment_size() default 0;

    @AttributeDefinition(name = "Redundancy", description = "Coded fragments sent after the M uncoded ones, as a "
            + "share of M (0 to 10); devices that still miss fragments get more in repair rounds.")
    double redundancy() default 0.1;

    @AttributeDefinition(name = "Repair rounds", description = "Status requests followed by more redundancy before "
            + "a device still missing fragments ends failed.")
    int repair_rounds() default 5;

    @AttributeDefinition(name = "Attempts", description = "Tries of each setup request, and status requests a "
            + "device may leave unanswered, before it ends failed.")
    int max_attempts() default 3;

    @AttributeDefinition(name = "Answer timeout", description = "Seconds a device has to answer a request.")
    int answer_timeout_seconds() default 30;

    @AttributeDefinition(name = "Session timeout", description = "Hours a session may run at most; the devices "
            + "still active then are left for the next scan.")
    int session_timeout_hours() default 48;

    @AttributeDefinition(name = "Report port", description = "The application port devices send their signed "
            + "reports on, in report frames.")
    int report_port() default ReportFrames.DEFAULT_PORT;

    @AttributeDefinition(name = "Report timeout", description = "Minutes a device that rebuilt its block has to "
            + "report; without a report it does not count as updated, and it is offered again after the retry "
            + "interval.")
    int report_timeout_minutes() default 60;

    @AttributeDefinition(name = "Scan interval", description = "Seconds between looks for LoRaWAN devices with an "
            + "offer; a changed rollout looks at once.")
    int scan_interval_seconds() default 300;

    @AttributeDefinition(name = "Retry interval", description = "Minutes before a device whose session failed or "
            + "who did not report is offered again.")
    int retry_minutes() default 60;

    @AttributeDefinition(name = "Largest session", description = "Devices in one session at most (in a unicast "
            + "session each gets its own copy of every frame; in a multicast session each its own setup frames).")
    int max_devices() default 50;

    @AttributeDefinition(name = "Outage patience", description = "Minutes a session waits paused for the broker "
            + "before it is given up.")
    int max_outage_minutes() default 60;

    @AttributeDefinition(name = "Clock speed-up", description = "How much faster than real time sessions run: 1 "
            + "for a real network; more only against a simulated one.")
    double clock_speedup() default 1;

    @AttributeDefinition(name = "Multicast", description = "Run sessions to a TS005 multicast group through "
            + "ChirpStack's multicast-group API (api.uri, api.token.file): setup by unicast, then each fragment sent "
            + "once to the group in a Class C session on data.rate and frequency.hz. Devices without a key in "
            + "multicast.keys.file are left to a unicast session.")
    boolean multicast_enabled() default false;

    @AttributeDefinition(name = "ChirpStack API", description = "ChirpStack v4's REST API (chirpstack-rest-api), "
            + "http://host:8090, for multicast groups.")
    String api_uri() default "http://localhost:8090";

    @AttributeDefinition(name = "API token file", description = "A file holding a ChirpStack API token (one line), "
            + "read at each call; never logged.")
    String api_token_file() default "";

    @AttributeDefinition(name = "Multicast keys file", description = "Lines 'DevEUI McRootKey' (16 and 32 hex "
            + "digits): each device's TS005 McRootKey, read at each session start. Refused when its group or others "
            + "may read it (chmod 600).")
    String multicast_keys_file() default "";

    @AttributeDefinition(name = "Multicast address", description = "The group's McAddr, 8 hex digits (a DevAddr "
            + "no device of the network uses).")
    String multicast_address() default "";

    @AttributeDefinition(name = "TS004 v2.0.0 classes", description = "Device classes, comma-separated, whose "
            + "devices run TS004 v2.0.0 sessions (the block's MIC under each device's DataBlockIntKey, a SessionCnt "
            + "kept in state.file); * for every class. Empty: every session runs TS004 v1.0.0. A session's devices "
            + "share its release, so its class and its version.")
    String ts004_v2_classes() default "";

    @AttributeDefinition(name = "TS004 keys file", description = "Lines 'DevEUI DataBlockIntKey' (16 and 32 hex "
            + "digits): each TS004 v2.0.0 device's DataBlockIntKey, derived offline from its root key, read at each "
            + "v2.0.0 session start. Refused when its group or others may read it (chmod 600). A v2.0.0 device "
            + "without a line is held, never sent a session without a MIC. Required with ts004.v2.classes.")
    String ts004_keys_file() default "";

    @AttributeDefinition(name = "State file", description = "Where the transport remembers each device across "
            + "restarts: its last TS004 v2.0.0 SessionCnt, the size of the checkpoint it verified last, and a patch "
            + "it gave up. Written by the transport only; a file it cannot read stops the transport with the line "
            + "named. ${karaf.data} stands for Karaf's data directory.")
    String state_file() default "${karaf.data}/updraft/lorawan/devices.state";

    @AttributeDefinition(name = "Registry", description = "Filter of the device registry the transport lists "
            + "devices from.")
    String registry_target() default DeviceRegistry.SELECTED;

    @AttributeDefinition(name = "Store", description = "Filter of the firmware store images are read from.")
    String store_target() default FirmwareStore.SERVING;
}
