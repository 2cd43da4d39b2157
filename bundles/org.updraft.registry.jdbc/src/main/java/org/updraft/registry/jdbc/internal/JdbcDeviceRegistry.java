package org.updraft.registry.jdbc.internal;

import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.jdbc.DataSourceFactory;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.DeviceState;
import org.updraft.api.device.RegistryException;
import org.updraft.core.config.DataPaths;
import org.updraft.core.work.Workers;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * The device registry service ({@code registry.kind=jdbc}): a {@link SqlDeviceRegistry} over a HikariCP pool of
 * connections from the driver's {@link DataSourceFactory}.
 * <p>
 * Immediate, so the schema is checked and migrated when the bundle starts, not at first use. A database that
 * cannot be reached at start does not stop the component: it registers, answers
 * {@code unavailable} with the reason, and checks the schema again every few seconds until it succeeds. A schema
 * it cannot use (an applied script edited, a failed migration, a newer schema) fails activation with the
 * script's name.
 */
@Component(service = DeviceRegistry.class, property = DeviceRegistry.KIND + "=jdbc",
        configurationPid = JdbcDeviceRegistry.PID, immediate = true)
@Designate(ocd = JdbcRegistryConfig.class)
public final class JdbcDeviceRegistry implements DeviceRegistry {

    public static final String PID = "org.updraft.registry.jdbc";
    static final String H2_DRIVER = "(" + DataSourceFactory.OSGI_JDBC_DRIVER_CLASS + "=org.h2.Driver)";

    private static final Logger LOG = LoggerFactory.getLogger(JdbcDeviceRegistry.class);
    private static final long RETRY_SECONDS = 5;
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);

    private final HikariDataSource pool;
    private final SqlDeviceRegistry registry;
    private final ScheduledExecutorService chores;
    private final String url;

    @Activate
    public JdbcDeviceRegistry(JdbcRegistryConfig config,
            @Reference(name = "dataSourceFactory", target = H2_DRIVER) DataSourceFactory driver)
            throws RegistryException {
        this.url = url(config.url());
        if (config.pool_size() < 2) {
            throw new RegistryException("invalid", "configuration " + PID + ": pool.size must be at least 2, not "
                    + config.pool_size());
        }
        Properties properties = new Properties();
        properties.setProperty(DataSourceFactory.JDBC_URL, url);
        if (!config.user().isEmpty()) {
            properties.setProperty(DataSourceFactory.JDBC_USER, config.user());
        }
        if (!config._password().isEmpty()) {
            properties.setProperty(DataSourceFactory.JDBC_PASSWORD, config._password());
        }
        DataSource source;
        try {
            source = driver.createDataSource(properties);
        } catch (SQLException e) {
            throw new RegistryException("invalid", "configuration " + PID + ": the driver refuses url "
                    + Redacted.url(url) + ": " + SqlStates.oneLine(e));
        }
        HikariConfig pooling = new HikariConfig();
        pooling.setDataSource(source);
        pooling.setPoolName("updraft-registry");
        pooling.setMaximumPoolSize(config.pool_size());
        pooling.setMinimumIdle(1);
        pooling.setConnectionTimeout(TimeUnit.SECONDS.toMillis(Math.max(1, config.connect_timeout())));
        // start without a database; calls say "unavailable" until it answers
        pooling.setInitializationFailTimeout(-1);
        this.pool = new HikariDataSource(pooling);
        this.registry = new SqlDeviceRegistry(pool, Redacted.url(url), SchemaMigrations.shipped(),
                config.migrate());
        try {
            if (!registry.open()) {
                LOG.warn("Device registry at {} not ready: {}; trying again every {} s", Redacted.url(url),
                        registry.problem(), RETRY_SECONDS);
            } else {
                LOG.info("Device registry at {} ready", Redacted.url(url));
            }
        } catch (SchemaException e) {
            pool.close();
            throw new RegistryException("unavailable", "device registry at " + Redacted.url(url) + ": "
                    + e.getMessage());
        }
        // one thread for both chores; stopped at deactivation
        this.chores = Workers.scheduler("updraft-registry-jdbc", 1);
        chores.scheduleWithFixedDelay(this::flushSeen, 1, 1, TimeUnit.SECONDS);
        chores.scheduleWithFixedDelay(this::retryOpen, RETRY_SECONDS, RETRY_SECONDS, TimeUnit.SECONDS);
    }

    private static String url(String configured) throws RegistryException {
        if (configured == null || configured.isBlank()) {
            throw new RegistryException("invalid", "configuration " + PID + ": 'url' is empty");
        }
        if (!configured.contains(DataPaths.KARAF_DATA)) {
            return configured.trim();
        }
        try {
            Path data = DataPaths.resolve(DataPaths.KARAF_DATA);
            return configured.trim().replace(DataPaths.KARAF_DATA, data.toString());
        } catch (IllegalArgumentException e) {
            throw new RegistryException("invalid", "configuration " + PID + ": 'url' " + e.getMessage());
        }
    }

    private void flushSeen() {
        try {
            registry.flushSeen();
        } catch (RegistryException e) {
            LOG.warn("Device registry: times seen not written yet: {}", e.getMessage());
        } catch (RuntimeException e) {
            // a periodic task that throws is never run again: log the bug, keep the chore
            LOG.error("Device registry: writing times seen failed", e);
        }
    }

    private void retryOpen() {
        if (registry.isReady()) {
            return;
        }
        try {
            if (registry.open()) {
                LOG.info("Device registry at {} ready", Redacted.url(url));
            }
        } catch (SchemaException e) {
            LOG.error("Device registry at {} cannot use the database: {}", Redacted.url(url), e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("Device registry at {}: opening failed", Redacted.url(url), e);
        }
    }

    @Deactivate
    void deactivate() {
        try {
            if (!Workers.stop(chores, STOP_GRACE)) {
                LOG.warn("Device registry: a chore did not end within {} s of the stop", STOP_GRACE.toSeconds());
            }
            registry.flushSeen();
        } catch (RegistryException e) {
            LOG.warn("Device registry: times seen lost at stop: {}", e.getMessage());
        } finally {
            pool.close();
        }
    }

    @Override
    public Device register(Device device) throws RegistryException {
        return registry.register(device);
    }

    @Override
    public void registerAll(List<Device> devices) throws RegistryException {
        registry.registerAll(devices);
    }

    @Override
    public Optional<Device> find(String id) throws RegistryException {
        return registry.find(id);
    }

    @Override
    public List<Device> list(DeviceFilter filter, String afterId, int limit) throws RegistryException {
        return registry.list(filter, afterId, limit);
    }

    @Override
    public long count(DeviceFilter filter) throws RegistryException {
        return registry.count(filter);
    }

    @Override
    public Device recordState(String id, DeviceState state, String installedVersion, long installedSequence,
            Instant at) throws RegistryException {
        return registry.recordState(id, state, installedVersion, installedSequence, at);
    }

    @Override
    public void recordSeen(String id, Instant at) throws RegistryException {
        registry.recordSeen(id, at);
    }

    @Override
    public boolean remove(String id) throws RegistryException {
        return registry.remove(id);
    }

    @Override
    public String status() {
        return registry.status();
    }
}
