package org.updraft.ledger.postgresql.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Updraft PostgreSQL ledger",
        description = "The transparency log in PostgreSQL: events in an RFC 9162 Merkle tree, checkpoints signed by"
                + " the log key. Several nodes configured alike append to one log.")
public @interface PostgresLedgerConfig {

    @AttributeDefinition(name = "JDBC URL",
            description = "The database, e.g. jdbc:postgresql://db.example.com:5432/updraft; add ?currentSchema=NAME"
                    + " to keep the ledger's tables (ledger_*) in a schema of their own.")
    String url() default "jdbc:postgresql://localhost:5432/updraft";

    @AttributeDefinition(name = "User", description = "Database user.")
    String user() default "updraft";

    @AttributeDefinition(name = "Password file",
            description = "File whose first line is the database password (chmod 600); empty for none. Never logged."
                    + " A relative path starts from Karaf's etc directory.")
    String password_file() default "";

    @AttributeDefinition(name = "Log key file",
            description = "PEM file of the log's signing key (PKCS#8, unencrypted; bin/updraft keygen makes one)."
                    + " Every node of the log needs the same file. Never logged; readable by its owner only. A"
                    + " relative path starts from Karaf's etc directory.")
    String key_file() default "";

    @AttributeDefinition(name = "Origin",
            description = "The log's name in every checkpoint; the same on every node, and never changed once"
                    + " checkpoints were issued (the database remembers it).")
    String origin() default "updraft-log";

    @AttributeDefinition(name = "Driver",
            description = "LDAP filter choosing the PostgreSQL driver's DataSourceFactory service.")
    String dataSourceFactory_target() default PostgresLedger.POSTGRESQL_DRIVER;

    @AttributeDefinition(name = "Pool size", description = "Most connections this node opens at once.")
    int pool_size() default 8;

    @AttributeDefinition(name = "Connect timeout (seconds)",
            description = "How long a call waits for a connection before it fails saying the database is unavailable.")
    int connect_timeout() default 5;

    @AttributeDefinition(name = "Checkpoint interval (seconds)",
            description = "How often a node signs a checkpoint when the log grew since the latest one; 0 for never"
                    + " (checkpoints are then signed on demand and after each batch).")
    int checkpoint_interval_seconds() default 10;

    @AttributeDefinition(name = "Checkpoint batch",
            description = "An append transaction that brings the log this many events past the latest checkpoint"
                    + " signs a new one in the same transaction; 0 for never.")
    int checkpoint_batch() default 1000;

    @AttributeDefinition(name = "Node id",
            description = "This node's name among the nodes sharing the ledger (updraft:status lists them); unique"
                    + " per node. Empty: the host name and Karaf's data directory, e.g. gw1:/opt/updraft/data.")
    String node_id() default "";

    @AttributeDefinition(name = "Heartbeat (seconds)",
            description = "How often this node says in the database that it is alive; a node silent for three"
                    + " times its interval is shown silent.")
    int node_heartbeat_seconds() default 5;

    @AttributeDefinition(name = "Lease (seconds)",
            description = "How long a lease on a decision (a rollout's wave decisions) lasts unless its holder renews"
                    + " it, as it does with every heartbeat: a node that dies holding one gives it to another node"
                    + " this long after its last heartbeat at most. Longer than the heartbeat.")
    int lease_seconds() default 15;

    @AttributeDefinition(name = "Migrate schema",
            description = "Create the ledger's tables at start when missing. Off: only check that they are there.")
    boolean migrate() default true;

    @AttributeDefinition(name = "Snapshot every N events",
            description = "Views of the ledger (trust, releases, deltas, rollouts) save a snapshot of their state in"
                    + " table ledger_snapshots once they applied this many events since the last, and a starting node"
                    + " starts from the newest, replaying only the events after it. 0: not by count.")
    long snapshot_events() default 50000;

    @AttributeDefinition(name = "Snapshot every T seconds",
            description = "Views also save a snapshot when this many seconds passed since the last and they applied"
                    + " events. 0: not by time. Both 0: no snapshots, views replay the whole log at start.")
    long snapshot_seconds() default 600;
}
