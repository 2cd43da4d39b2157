package org.updraft.ledger.postgresql.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.jdbc.DataSourceFactory;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.api.ledger.DecisionLeases;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.ViewSnapshots;
import org.updraft.api.ledger.LedgerNode;
import org.updraft.api.ledger.LedgerNodes;
import org.updraft.core.config.DataPaths;
import org.updraft.core.identity.KeyFileException;
import org.updraft.core.identity.KeyFiles;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.work.Workers;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * The ledger service on PostgreSQL ({@code ledger.kind=postgresql}): a {@link SqlLedger} over a HikariCP pool of
 * connections from the PostgreSQL driver's {@link DataSourceFactory}. It starts once its configuration exists
 * (the database and the shared log key must be named). A database that does not answer at start does not stop
 * it: calls fail saying so until it answers. A database holding another log (other origin or key) fails the
 * activation.
 */
@Component(service = {Ledger.class, LedgerNodes.class}, property = Ledger.KIND + "=postgresql",
        configurationPid = PostgresLedger.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
@Designate(ocd = PostgresLedgerConfig.class)
public final class PostgresLedger implements Ledger, LedgerNodes {

    public static final String PID = "org.updraft.ledger.postgresql";
    static final String POSTGRESQL_DRIVER = "(" + DataSourceFactory.OSGI_JDBC_DRIVER_CLASS + "=org.postgresql.Driver)";

    private static final Logger LOG = LoggerFactory.getLogger(PostgresLedger.class);
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);

    private final HikariDataSource pool;
    private final SqlLedger log;
    private final ScheduledExecutorService chores;
    private final String where;
    private final NodeRoster roster;
    private final DecisionTable leases;
    /** Whether the last heartbeat failed: the first failure is a WARN, the ones after it DEBUG. */
    private volatile boolean beatFailing;

    @Activate
    public PostgresLedger(PostgresLedgerConfig config,
            @Reference(name = "dataSourceFactory", target = POSTGRESQL_DRIVER) DataSourceFactory driver)
            throws LedgerException {
        String url = config.url() == null ? "" : config.url().trim();
        if (url.isEmpty()) {
            throw new LedgerException("configuration " + PID + ": 'url' is empty");
        }
        this.where = SqlFailures.redact(url);
        if (config.pool_size() < 2) {
            throw new LedgerException("configuration " + PID + ": pool.size must be at least 2, not "
                    + config.pool_size());
        }
        if (config.node_heartbeat_seconds() < 1) {
            throw new LedgerException("configuration " + PID + ": node.heartbeat.seconds must be at least 1, not "
                    + config.node_heartbeat_seconds());
        }
        if (config.lease_seconds() <= config.node_heartbeat_seconds()) {
            throw new LedgerException("configuration " + PID + ": lease.seconds (" + config.lease_seconds() + ") must be"
                    + " longer than node.heartbeat.seconds (" + config.node_heartbeat_seconds() + "), which renews it");
        }
        if (config.checkpoint_batch() < 0 || config.checkpoint_interval_seconds() < 0) {
            throw new LedgerException("configuration " + PID + ": checkpoint.batch and checkpoint.interval.seconds"
                    + " must not be negative");
        }
        SigningKey key = readKey(config.key_file());
        Properties properties = new Properties();
        properties.setProperty(DataSourceFactory.JDBC_URL, url);
        if (!config.user().isEmpty()) {
            properties.setProperty(DataSourceFactory.JDBC_USER, config.user());
        }
        if (config.password_file() != null && !config.password_file().isBlank()) {
            properties.setProperty(DataSourceFactory.JDBC_PASSWORD, readPassword(config.password_file()));
        }
        DataSource source;
        try {
            source = driver.createDataSource(properties);
        } catch (SQLException e) {
            throw new LedgerException("configuration " + PID + ": the driver refuses url " + where + ": "
                    + SqlFailures.oneLine(e));
        }
        HikariConfig pooling = new HikariConfig();
        pooling.setDataSource(source);
        pooling.setPoolName("updraft-ledger-postgresql");
        pooling.setMaximumPoolSize(config.pool_size());
        pooling.setMinimumIdle(1);
        pooling.setConnectionTimeout(TimeUnit.SECONDS.toMillis(Math.max(1, config.connect_timeout())));
        pooling.setInitializationFailTimeout(-1); // start without a database; calls say it is unavailable
        this.pool = new HikariDataSource(pooling);
        this.log = new SqlLedger(pool, where, key, config.origin(), config.checkpoint_batch(), config.migrate());
        log.keepSnapshots(config.snapshot_events(), config.snapshot_seconds());
        try {
            log.open();
            LOG.info("Ledger '{}' on {} ready: {} events, log key {}", config.origin(), where, log.size(), key.did());
        } catch (LedgerException e) {
            if (log.refusal() != null) {
                log.close();
                pool.close();
                throw e;
            }
            LOG.warn("Ledger on {} not ready: {}; calls try again", where, e.getMessage());
        }
        this.roster = new NodeRoster(pool, where, nodeId(config.node_id()),
                Duration.ofSeconds(config.node_heartbeat_seconds()), config.migrate());
        log.shareDecisions(roster.nodeId(), Duration.ofSeconds(config.lease_seconds()));
        this.leases = (DecisionTable) log.decisions().orElseThrow();
        this.chores = Workers.scheduler("updraft-ledger-postgresql", 1);
        chores.scheduleWithFixedDelay(this::beat, 0, config.node_heartbeat_seconds(), TimeUnit.SECONDS);
        int interval = config.checkpoint_interval_seconds();
        if (interval > 0) {
            chores.scheduleWithFixedDelay(this::signIfGrown, interval, interval, TimeUnit.SECONDS);
        }
    }

    private static SigningKey readKey(String configured) throws LedgerException {
        Path file = path(configured, "key.file");
        if (!Files.exists(file)) {
            throw new LedgerException("configuration " + PID + ": the log key file " + file + " does not exist;"
                    + " make one (bin/updraft keygen --out FILE) and give every node of the log the same file");
        }
        warnIfShared(file, "log key");
        try {
            return KeyFiles.readPrivateKey(file, null);
        } catch (KeyFileException e) {
            throw new LedgerException("configuration " + PID + ": cannot use the log key: " + e.getMessage());
        }
    }

    private static String readPassword(String configured) throws LedgerException {
        Path file = path(configured, "password.file");
        warnIfShared(file, "database password");
        try {
            return new String(KeyFiles.readPassphrase(file));
        } catch (KeyFileException e) {
            throw new LedgerException("configuration " + PID + ": " + e.getMessage());
        }
    }

    private static Path path(String configured, String property) throws LedgerException {
        try {
            return DataPaths.resolveFromEtc(configured);
        } catch (IllegalArgumentException e) {
            throw new LedgerException("configuration " + PID + ": '" + property + "' " + e.getMessage());
        }
    }

    private static void warnIfShared(Path file, String what) {
        if (KeyFiles.openToOthers(file)) {
            LOG.warn("The {} file {} is readable by others; it should be readable by its owner only (chmod 600)",
                    what, file);
        }
    }

    /** The configured node id, or the host name and Karaf's data directory: unique per installation. */
    static String nodeId(String configured) {
        if (configured != null && !configured.isBlank()) {
            return configured.trim();
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "localhost";
        }
        String data = System.getProperty("karaf.data");
        return host + ":" + (data != null ? Path.of(data).toAbsolutePath().normalize() : "updraft");
    }

    private void beat() {
        try {
            roster.beat();
            leases.renew();
            if (beatFailing) {
                LOG.info("Node {} is heard on {} again", roster.nodeId(), where);
            }
            beatFailing = false;
        } catch (LedgerException e) {
            if (!beatFailing) {
                LOG.warn("Node {}: {}; the other nodes will show it silent until this works again", roster.nodeId(),
                        e.getMessage());
            } else {
                LOG.debug("Node {}: {}", roster.nodeId(), e.getMessage());
            }
            beatFailing = true;
        } catch (RuntimeException e) {
            LOG.error("Node {}: the heartbeat failed", roster.nodeId(), e);
        }
    }

    /** The interval's checkpoint: signed only when the log grew since the latest (by any node). */
    private void signIfGrown() {
        try {
            log.checkpoint();
        } catch (LedgerException e) {
            LOG.debug("Ledger on {}: no interval checkpoint now: {}", where, e.getMessage());
        } catch (RuntimeException e) {
            // a periodic task that throws is never run again: log the bug, keep the chore
            LOG.error("Ledger on {}: signing the interval checkpoint failed", where, e);
        }
    }

    @Deactivate
    void deactivate() {
        try {
            if (!Workers.stop(chores, STOP_GRACE)) {
                LOG.warn("Ledger on {}: the checkpoint chore did not end within {} s of the stop", where,
                        STOP_GRACE.toSeconds());
            }
        } finally {
            try {
                roster.stopped();
                leases.releaseAll();
            } catch (LedgerException e) {
                LOG.debug("Node {}: could not say it stopped: {}", roster.nodeId(), e.getMessage());
            }
            log.close();
            pool.close();
        }
    }

    @Override
    public String nodeId() {
        return roster.nodeId();
    }

    @Override
    public List<LedgerNode> nodes() throws LedgerException {
        return roster.nodes();
    }

    @Override
    public Optional<DecisionLeases> decisions() {
        return log.decisions();
    }

    @Override
    public Optional<ViewSnapshots> snapshots() {
        return log.snapshots();
    }

    @Override
    public AppendReceipt append(LedgerEvent event) throws LedgerException {
        return log.append(event);
    }

    @Override
    public long size() throws LedgerException {
        return log.size();
    }

    @Override
    public LedgerEntry get(long index) throws LedgerException {
        return log.get(index);
    }

    @Override
    public List<LedgerEntry> read(long fromIndex, int max) throws LedgerException {
        return log.read(fromIndex, max);
    }

    @Override
    public Checkpoint checkpoint() throws LedgerException {
        return log.checkpoint();
    }

    @Override
    public List<Checkpoint> checkpoints(long fromTreeSize, int max) throws LedgerException {
        return log.checkpoints(fromTreeSize, max);
    }

    @Override
    public InclusionProof inclusionProof(long index, long treeSize) throws LedgerException {
        return log.inclusionProof(index, treeSize);
    }

    @Override
    public ConsistencyProof consistencyProof(long firstSize, long secondSize) throws LedgerException {
        return log.consistencyProof(firstSize, secondSize);
    }

    @Override
    public String logKey() throws LedgerException {
        return log.logKey();
    }
}
