package org.updraft.ledger.local.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Updraft local ledger",
        description = "The embedded transparency log: events in an RFC 9162 Merkle tree on local files, checkpoints"
                + " signed by the log key.")
public @interface LocalLedgerConfig {

    @AttributeDefinition(name = "Directory",
            description = "Where the event and checkpoint files live. ${karaf.data} stands for Karaf's data directory.")
    String directory() default "${karaf.data}/updraft/ledger";

    @AttributeDefinition(name = "Log key file",
            description = "PEM file of the log's Ed25519 signing key (PKCS#8, unencrypted). Generated at first start,"
                    + " readable by its owner only. Devices are provisioned with its did:key: keep it, and back it up.")
    String key_file() default "${karaf.data}/updraft/ledger/log-key.pem";

    @AttributeDefinition(name = "Origin",
            description = "The log's name, carried in every checkpoint so that devices never take one log's"
                    + " checkpoint for another's. Must not change once checkpoints were issued.")
    String origin() default "updraft-log";

    @AttributeDefinition(name = "Sync to disk",
            description = "Sync every commit batch to disk before acknowledging its appends. Turn off only where"
                    + " losing acknowledged events in a power failure is acceptable (tests).")
    boolean fsync() default true;

    @AttributeDefinition(name = "Snapshot every N events",
            description = "Views of the ledger (trust, releases, deltas, rollouts) save a snapshot of their state in"
                    + " the directory's views/ once they applied this many events since the last, and start from it,"
                    + " replaying only the events after it. 0: not by count.")
    long snapshot_events() default 50000;

    @AttributeDefinition(name = "Snapshot every T seconds",
            description = "Views also save a snapshot when this many seconds passed since the last and they applied"
                    + " events. 0: not by time. Both 0: no snapshots, views replay the whole log at start.")
    long snapshot_seconds() default 600;
}
