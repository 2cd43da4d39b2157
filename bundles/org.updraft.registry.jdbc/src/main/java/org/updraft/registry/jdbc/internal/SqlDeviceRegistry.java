package org.updraft.registry.jdbc.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.DeviceState;
import org.updraft.api.device.RegistryException;
import org.updraft.core.identity.VerificationKey;
import org.updraft.core.manifest.SemanticVersion;

/**
 * The device registry in a SQL database reached through a {@link DataSource}: the same SQL on H2 and PostgreSQL
 * (schema by {@link SchemaMigrations}). Free of OSGi, so tests hand it a driver's DataSource directly;
 * {@link JdbcDeviceRegistry} is the component around it.
 * <p>
 * The database may be down when this is built: every call first makes sure the schema was checked (at most one
 * attempt a second), and answers {@code unavailable} with the reason until it was. Times are stored to the
 * microsecond, which is what both databases keep; the devices returned carry the stored values.
 * <p>
 * {@link #recordSeen} only notes the time in memory; {@link #flushSeen()} writes what was noted in one batch
 * (the component calls it every second). Ids unknown to the database are dropped silently there.
 */
public final class SqlDeviceRegistry implements DeviceRegistry {

    /** Longest page {@link #list} returns. */
    public static final int MAX_PAGE = 10_000;

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
    private static final int MAX_LABEL = 128;
    private static final int BATCH = 1000;
    private static final int IN_CHUNK = 500;
    private static final long RETRY_MILLIS = 1000;

    private static final String COLUMNS = "id, public_key, vendor, device_class, profile, region, installed_version,"
            + " installed_sequence, state, last_seen, registered";
    private static final String INSERT_DEVICE = "INSERT INTO devices (" + COLUMNS
            + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String INSERT_TAG = "INSERT INTO device_tags (device_id, tag) VALUES (?, ?)";
    private static final String SELECT_ONE = "SELECT " + COLUMNS.replaceAll("(\\w+)", "d.$1")
            + ", t.tag FROM devices d LEFT JOIN device_tags t ON t.device_id = d.id WHERE d.id = ?";
    private static final String LATER_SEEN = "CASE WHEN last_seen IS NULL OR last_seen < ? THEN ? ELSE last_seen END";

    private final DataSource dataSource;
    private final String description;
    private final SchemaMigrations migrations;
    private final boolean migrate;
    private final Map<String, Instant> seen = new ConcurrentHashMap<>();

    private final Object opening = new Object();
    private volatile boolean ready;
    private volatile boolean broken;
    private volatile String problem = "schema not checked yet";
    private volatile long lastAttempt;
    private volatile int schemaVersion;

    /**
     * @param dataSource where the tables are (a pool: calls may come from many threads)
     * @param description how {@link #status()} names the database, e.g. its URL without credentials
     * @param migrations the schema scripts
     * @param migrate apply missing scripts ({@code true}) or only check that they were applied
     */
    public SqlDeviceRegistry(DataSource dataSource, String description, SchemaMigrations migrations,
            boolean migrate) {
        this.dataSource = dataSource;
        this.description = description;
        this.migrations = migrations;
        this.migrate = migrate;
    }

    /**
     * Checks (and, if configured, migrates) the schema now.
     *
     * @return true when the registry is ready; false when the database cannot be reached or the schema is not
     *         migrated yet ({@link #problem()} says which): try again later
     * @throws SchemaException when the schema is unusable and waiting will not help (edited script, failed
     *         migration, newer schema)
     */
    public boolean open() throws SchemaException {
        synchronized (opening) {
            if (ready) {
                return true;
            }
            if (broken) {
                throw new SchemaException(problem, false);
            }
            lastAttempt = System.currentTimeMillis();
            try {
                schemaVersion = migrate ? migrations.migrate(dataSource) : migrations.verify(dataSource);
                problem = null;
                ready = true;
                return true;
            } catch (SchemaException e) {
                problem = e.getMessage();
                if (!e.retryable()) {
                    broken = true;
                    throw e;
                }
                return false;
            } catch (SQLException e) {
                problem = "database not reachable: " + SqlStates.oneLine(e);
                return false;
            }
        }
    }

    /** Why the registry is not ready, or {@code null} when it is. */
    public String problem() {
        return problem;
    }

    public boolean isReady() {
        return ready;
    }

    private void ensureReady() throws RegistryException {
        if (ready) {
            return;
        }
        if (!broken && System.currentTimeMillis() - lastAttempt >= RETRY_MILLIS) {
            try {
                if (open()) {
                    return;
                }
            } catch (SchemaException e) {
                // problem() carries it
            }
        }
        throw new RegistryException("unavailable", "device registry unavailable: " + problem);
    }

    @Override
    public Device register(Device device) throws RegistryException {
        Device d = valid(device, "device");
        ensureReady();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                insert(c, List.of(d));
                c.commit();
                return d;
            } catch (SQLException e) {
                rollback(c);
                if (SqlStates.isUniqueViolation(e)) {
                    throw conflict(c, List.of(d));
                }
                throw e;
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public void registerAll(List<Device> devices) throws RegistryException {
        if (devices == null) {
            throw new RegistryException("invalid", "no device list given");
        }
        List<Device> batch = new ArrayList<>(devices.size());
        Map<String, String> ids = new HashMap<>();
        Map<String, String> keys = new HashMap<>();
        for (int i = 0; i < devices.size(); i++) {
            Device d = valid(devices.get(i), "device #" + (i + 1));
            if (ids.put(d.id(), d.id()) != null) {
                throw new RegistryException("exists", "device '" + d.id() + "' appears twice in the batch");
            }
            String other = keys.put(d.publicKey(), d.id());
            if (other != null) {
                throw new RegistryException("exists",
                        "devices '" + other + "' and '" + d.id() + "' of the batch have the same public key");
            }
            batch.add(d);
        }
        if (batch.isEmpty()) {
            return;
        }
        ensureReady();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                insert(c, batch);
                c.commit();
            } catch (SQLException e) {
                rollback(c);
                if (SqlStates.isUniqueViolation(e)) {
                    throw conflict(c, batch);
                }
                throw e;
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    private static void insert(Connection c, List<Device> devices) throws SQLException {
        try (PreparedStatement device = c.prepareStatement(INSERT_DEVICE);
                PreparedStatement tag = c.prepareStatement(INSERT_TAG)) {
            int rows = 0;
            int tags = 0;
            for (Device d : devices) {
                device.setString(1, d.id());
                device.setString(2, d.publicKey());
                device.setString(3, d.vendor());
                device.setString(4, d.deviceClass());
                device.setString(5, d.profile());
                device.setString(6, d.region());
                device.setString(7, d.installedVersion());
                device.setLong(8, d.installedSequence());
                device.setString(9, d.state().wireName());
                setTime(device, 10, d.lastSeen());
                setTime(device, 11, d.registered());
                device.addBatch();
                if (++rows % BATCH == 0) {
                    device.executeBatch();
                }
                for (String t : d.tags()) {
                    tag.setString(1, d.id());
                    tag.setString(2, t);
                    tag.addBatch();
                    tags++;
                }
                // tags refer to their device: write them only after the devices they name
                if (rows % BATCH == 0 && tags > 0) {
                    tag.executeBatch();
                    tags = 0;
                }
            }
            if (rows % BATCH != 0) {
                device.executeBatch();
            }
            if (tags > 0) {
                tag.executeBatch();
            }
        }
    }

    /** Which device of a refused batch collides with a registered one; asked after the rollback. */
    private RegistryException conflict(Connection c, List<Device> batch) throws SQLException {
        c.setAutoCommit(true);
        for (List<Device> chunk : chunks(batch)) {
            Map<String, Device> byKey = new HashMap<>();
            chunk.forEach(d -> byKey.put(d.publicKey(), d));
            String sql = "SELECT id, public_key FROM devices WHERE id IN (" + marks(chunk.size())
                    + ") OR public_key IN (" + marks(chunk.size()) + ")";
            try (PreparedStatement p = c.prepareStatement(sql)) {
                int i = 1;
                for (Device d : chunk) {
                    p.setString(i++, d.id());
                }
                for (Device d : chunk) {
                    p.setString(i++, d.publicKey());
                }
                try (ResultSet rs = p.executeQuery()) {
                    Set<String> batchIds = new HashSet<>();
                    chunk.forEach(d -> batchIds.add(d.id()));
                    while (rs.next()) {
                        String id = rs.getString(1);
                        if (batchIds.contains(id)) {
                            return new RegistryException("exists", "device '" + id + "' is already registered");
                        }
                        Device mine = byKey.get(rs.getString(2));
                        if (mine != null) {
                            return new RegistryException("exists", "the public key of device '" + mine.id()
                                    + "' is already registered to device '" + id + "'");
                        }
                    }
                }
            }
        }
        return new RegistryException("exists", "a device of the batch was registered at the same time by another"
                + " node; nothing was registered");
    }

    @Override
    public Optional<Device> find(String id) throws RegistryException {
        if (id == null || !ID.matcher(id).matches()) {
            return Optional.empty();
        }
        ensureReady();
        try (Connection c = dataSource.getConnection()) {
            return Optional.ofNullable(select(c, id)).map(this::withPendingSeen);
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /** One device with its tags, in one query. */
    private Device select(Connection c, String id) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(SELECT_ONE)) {
            p.setString(1, id);
            try (ResultSet rs = p.executeQuery()) {
                Device d = null;
                Set<String> tags = new HashSet<>();
                while (rs.next()) {
                    if (d == null) {
                        d = device(rs, Set.of());
                    }
                    if (rs.getString(12) != null) {
                        tags.add(rs.getString(12));
                    }
                }
                return d == null ? null
                        : new Device(d.id(), d.publicKey(), d.vendor(), d.deviceClass(), d.profile(), tags,
                                d.region(), d.installedVersion(), d.installedSequence(), d.state(), d.lastSeen(),
                                d.registered());
            }
        }
    }

    /** A time seen on this node and not flushed yet is newer than what the database has. */
    private Device withPendingSeen(Device d) {
        Instant pending = seen.get(d.id());
        if (pending == null || d.lastSeen() != null && !pending.isAfter(d.lastSeen())) {
            return d;
        }
        return new Device(d.id(), d.publicKey(), d.vendor(), d.deviceClass(), d.profile(), d.tags(), d.region(),
                d.installedVersion(), d.installedSequence(), d.state(), pending, d.registered());
    }

    @Override
    public List<Device> list(DeviceFilter filter, String afterId, int limit) throws RegistryException {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new RegistryException("invalid", "page size " + limit + " is outside 1.." + MAX_PAGE);
        }
        DeviceFilter f = filter == null ? DeviceFilter.ALL : filter;
        ensureReady();
        try (Connection c = dataSource.getConnection()) {
            Where where = where(c, f);
            if (where == null) {
                return List.of();
            }
            if (afterId != null) {
                where.and("id > ?", afterId);
            }
            List<Device> page = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM devices" + where.sql()
                    + " ORDER BY id FETCH FIRST " + limit + " ROWS ONLY")) {
                where.bind(p);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        page.add(device(rs, Set.of()));
                    }
                }
            }
            Map<String, Set<String>> tags = tags(c, page.stream().map(Device::id).toList());
            List<Device> result = new ArrayList<>(page.size());
            for (Device d : page) {
                result.add(withPendingSeen(new Device(d.id(), d.publicKey(), d.vendor(), d.deviceClass(),
                        d.profile(), tags.getOrDefault(d.id(), Set.of()), d.region(), d.installedVersion(),
                        d.installedSequence(), d.state(), d.lastSeen(), d.registered())));
            }
            return result;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public long count(DeviceFilter filter) throws RegistryException {
        DeviceFilter f = filter == null ? DeviceFilter.ALL : filter;
        VersionRange range = range(f);
        ensureReady();
        try (Connection c = dataSource.getConnection()) {
            Where where = where(f);
            if (range == null) {
                try (PreparedStatement p = c.prepareStatement("SELECT COUNT(*) FROM devices" + where.sql())) {
                    where.bind(p);
                    try (ResultSet rs = p.executeQuery()) {
                        rs.next();
                        return rs.getLong(1);
                    }
                }
            }
            // versions are few next to devices: count per version, keep the versions in range
            long n = 0;
            try (PreparedStatement p = c.prepareStatement("SELECT installed_version, COUNT(*) FROM devices"
                    + where.sql() + " GROUP BY installed_version")) {
                where.bind(p);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        if (range.includes(rs.getString(1))) {
                            n += rs.getLong(2);
                        }
                    }
                }
            }
            return n;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public Device recordState(String id, DeviceState state, String installedVersion, long installedSequence,
            Instant at) throws RegistryException {
        checkId(id, "device id");
        if (state == null || at == null) {
            throw new RegistryException("invalid", "device '" + id + "': state and time are required");
        }
        checkVersion(installedVersion, "device '" + id + "'");
        if (installedSequence < 0) {
            throw new RegistryException("invalid", "device '" + id + "': sequence " + installedSequence
                    + " is negative");
        }
        Instant time = at.truncatedTo(ChronoUnit.MICROS);
        ensureReady();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                int updated;
                try (PreparedStatement p = c.prepareStatement("UPDATE devices SET state = ?, installed_version = ?,"
                        + " installed_sequence = ?, last_seen = " + LATER_SEEN + " WHERE id = ?")) {
                    p.setString(1, state.wireName());
                    p.setString(2, installedVersion);
                    p.setLong(3, installedSequence);
                    setTime(p, 4, time);
                    setTime(p, 5, time);
                    p.setString(6, id);
                    updated = p.executeUpdate();
                }
                Device d = updated == 0 ? null : select(c, id);
                c.commit();
                if (d == null) {
                    throw new RegistryException("unknown-device", "device '" + id + "' is not registered");
                }
                return withPendingSeen(d);
            } catch (SQLException e) {
                rollback(c);
                throw e;
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public void recordSeen(String id, Instant at) throws RegistryException {
        checkId(id, "device id");
        if (at == null) {
            throw new RegistryException("invalid", "device '" + id + "': time seen is required");
        }
        if (broken) {
            throw new RegistryException("unavailable", "device registry unavailable: " + problem);
        }
        Instant time = at.truncatedTo(ChronoUnit.MICROS);
        seen.merge(id, time, (a, b) -> a.isAfter(b) ? a : b);
    }

    /**
     * Writes the times noted by {@link #recordSeen} in one transaction; a time never moves back. Nothing happens
     * while the registry is not ready; on a database error the times stay noted for the next flush.
     *
     * @return how many devices' times were written
     */
    public int flushSeen() throws RegistryException {
        if (seen.isEmpty() || !ready) {
            return 0;
        }
        List<Map.Entry<String, Instant>> taken = new ArrayList<>(seen.size());
        for (Map.Entry<String, Instant> e : seen.entrySet()) {
            taken.add(Map.entry(e.getKey(), e.getValue()));
        }
        // removed only if unchanged: a newer time noted meanwhile waits for the next flush
        taken.forEach(e -> seen.remove(e.getKey(), e.getValue()));
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement(
                    "UPDATE devices SET last_seen = ? WHERE id = ? AND (last_seen IS NULL OR last_seen < ?)")) {
                int n = 0;
                for (Map.Entry<String, Instant> e : taken) {
                    setTime(p, 1, e.getValue());
                    p.setString(2, e.getKey());
                    setTime(p, 3, e.getValue());
                    p.addBatch();
                    if (++n % BATCH == 0) {
                        p.executeBatch();
                    }
                }
                if (n % BATCH != 0) {
                    p.executeBatch();
                }
                c.commit();
            } catch (SQLException e) {
                rollback(c);
                throw e;
            }
            return taken.size();
        } catch (SQLException e) {
            taken.forEach(t -> seen.merge(t.getKey(), t.getValue(), (a, b) -> a.isAfter(b) ? a : b));
            throw unavailable(e);
        }
    }

    /** How many times seen wait for {@link #flushSeen()}. */
    public int pendingSeen() {
        return seen.size();
    }

    @Override
    public boolean remove(String id) throws RegistryException {
        if (id == null || !ID.matcher(id).matches()) {
            return false;
        }
        ensureReady();
        try (Connection c = dataSource.getConnection();
                PreparedStatement p = c.prepareStatement("DELETE FROM devices WHERE id = ?")) {
            p.setString(1, id);
            boolean removed = p.executeUpdate() > 0;
            seen.remove(id);
            return removed;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public String status() {
        try {
            ensureReady();
            return "jdbc registry " + description + ": schema version " + schemaVersion + ", "
                    + count(DeviceFilter.ALL) + " devices";
        } catch (RegistryException e) {
            return "jdbc registry " + description + ": " + e.getMessage();
        }
    }

    // --- validation

    private Device valid(Device d, String what) throws RegistryException {
        if (d == null) {
            throw new RegistryException("invalid", what + " is missing");
        }
        checkId(d.id(), what + " id");
        String name = "device '" + d.id() + "'";
        String key;
        try {
            key = VerificationKey.fromDid(d.publicKey()).did();
        } catch (IllegalArgumentException e) {
            throw new RegistryException("invalid", name + ": public key " + e.getMessage());
        }
        checkLabel(d.vendor(), name, "vendor", true);
        checkLabel(d.deviceClass(), name, "device class", true);
        checkLabel(d.profile(), name, "profile", false);
        checkLabel(d.region(), name, "region", false);
        for (String tag : d.tags()) {
            if (tag == null || !ID.matcher(tag).matches()) {
                throw new RegistryException("invalid", name + ": tag '" + tag
                        + "' must be 1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit");
            }
        }
        checkVersion(d.installedVersion(), name);
        if (d.installedSequence() < 0) {
            throw new RegistryException("invalid", name + ": sequence " + d.installedSequence() + " is negative");
        }
        return new Device(d.id(), key, d.vendor(), d.deviceClass(), d.profile(), d.tags(), d.region(),
                d.installedVersion(), d.installedSequence(), d.state(),
                d.lastSeen() == null ? null : d.lastSeen().truncatedTo(ChronoUnit.MICROS),
                d.registered().truncatedTo(ChronoUnit.MICROS));
    }

    private static void checkId(String id, String what) throws RegistryException {
        if (id == null || !ID.matcher(id).matches()) {
            throw new RegistryException("invalid", what + " '" + id
                    + "' must be 1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit");
        }
    }

    private static void checkLabel(String value, String device, String what, boolean required)
            throws RegistryException {
        if (value == null) {
            if (required) {
                throw new RegistryException("invalid", device + ": " + what + " is required");
            }
            return;
        }
        if (value.isBlank() || value.length() > MAX_LABEL || value.chars().anyMatch(Character::isISOControl)) {
            throw new RegistryException("invalid", device + ": " + what + " '" + value
                    + "' must be 1-" + MAX_LABEL + " printable characters");
        }
    }

    private static void checkVersion(String version, String device) throws RegistryException {
        try {
            SemanticVersion.parse(version);
        } catch (IllegalArgumentException e) {
            throw new RegistryException("invalid", device + ": installed version " + e.getMessage());
        }
    }

    private static VersionRange range(DeviceFilter f) throws RegistryException {
        if (f.versionRange() == null) {
            return null;
        }
        try {
            return VersionRange.parse(f.versionRange());
        } catch (IllegalArgumentException e) {
            throw new RegistryException("invalid", e.getMessage());
        }
    }

    // --- SQL

    /** WHERE for the exact-match fields of a filter (not the version range). */
    private static Where where(DeviceFilter f) {
        Where w = new Where();
        if (f.vendor() != null) {
            w.and("vendor = ?", f.vendor());
        }
        if (f.deviceClass() != null) {
            w.and("device_class = ?", f.deviceClass());
        }
        if (f.profile() != null) {
            w.and("profile = ?", f.profile());
        }
        if (f.region() != null) {
            w.and("region = ?", f.region());
        }
        for (String tag : new TreeSet<>(f.tags())) {
            w.and("EXISTS (SELECT 1 FROM device_tags t WHERE t.device_id = devices.id AND t.tag = ?)", tag);
        }
        return w;
    }

    /**
     * WHERE for the whole filter. A version range becomes the list of installed versions it includes, read first
     * (a fleet runs few versions); {@code null} when no device's version is in range.
     */
    private static Where where(Connection c, DeviceFilter f) throws SQLException, RegistryException {
        VersionRange range = range(f);
        Where w = where(f);
        if (range == null) {
            return w;
        }
        List<String> versions = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT DISTINCT installed_version FROM devices" + w.sql())) {
            w.bind(p);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    if (range.includes(rs.getString(1))) {
                        versions.add(rs.getString(1));
                    }
                }
            }
        }
        if (versions.isEmpty()) {
            return null;
        }
        w.and("installed_version IN (" + marks(versions.size()) + ")", versions.toArray());
        return w;
    }

    private static final class Where {
        private final StringBuilder sql = new StringBuilder();
        private final List<Object> params = new ArrayList<>();

        void and(String condition, Object... values) {
            sql.append(sql.length() == 0 ? " WHERE " : " AND ").append(condition);
            Collections.addAll(params, values);
        }

        String sql() {
            return sql.toString();
        }

        void bind(PreparedStatement p) throws SQLException {
            for (int i = 0; i < params.size(); i++) {
                p.setString(i + 1, (String) params.get(i));
            }
        }
    }

    private static Map<String, Set<String>> tags(Connection c, List<String> ids) throws SQLException {
        Map<String, Set<String>> tags = new HashMap<>();
        for (List<String> chunk : chunks(ids)) {
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT device_id, tag FROM device_tags WHERE device_id IN (" + marks(chunk.size()) + ")")) {
                for (int i = 0; i < chunk.size(); i++) {
                    p.setString(i + 1, chunk.get(i));
                }
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        tags.computeIfAbsent(rs.getString(1), k -> new HashSet<>()).add(rs.getString(2));
                    }
                }
            }
        }
        return tags;
    }

    private static Device device(ResultSet rs, Set<String> tags) throws SQLException {
        String state = rs.getString(9);
        return new Device(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), tags,
                rs.getString(6), rs.getString(7), rs.getLong(8),
                DeviceState.ofWireName(state)
                        .orElseThrow(() -> new SQLException("unknown device state '" + state + "' in the database")),
                time(rs, 10), time(rs, 11));
    }

    private static Instant time(ResultSet rs, int column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    private static void setTime(PreparedStatement p, int index, Instant t) throws SQLException {
        if (t == null) {
            p.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            p.setObject(index, OffsetDateTime.ofInstant(t, ZoneOffset.UTC));
        }
    }

    private static <T> List<List<T>> chunks(List<T> list) {
        List<List<T>> chunks = new ArrayList<>();
        for (int i = 0; i < list.size(); i += IN_CHUNK) {
            chunks.add(list.subList(i, Math.min(list.size(), i + IN_CHUNK)));
        }
        return chunks;
    }

    private static String marks(int n) {
        return String.join(", ", Collections.nCopies(n, "?"));
    }

    private static void rollback(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the original failure is what the caller reports
        }
    }

    private RegistryException unavailable(SQLException e) {
        return new RegistryException("unavailable", "device registry unavailable: " + SqlStates.oneLine(e), e);
    }
}
