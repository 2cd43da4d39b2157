package org.updraft.registry.jdbc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.updraft.registry.jdbc.internal.Devices.device;

import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceState;
import org.updraft.api.device.RegistryException;

/** The registry's behaviour, the same on H2 and on PostgreSQL. */
class SqlDeviceRegistryTest {

    @TempDir
    Path temp;

    private TestDatabase db;

    private SqlDeviceRegistry open(TestDatabase.Kind kind) throws Exception {
        db = TestDatabase.fresh(kind, temp);
        return db.registry();
    }

    @AfterEach
    void close() throws SQLException {
        if (db != null) {
            db.close();
        }
    }

    static List<TestDatabase.Kind> databases() {
        return TestDatabase.kinds().toList();
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aRegisteredDeviceIsFoundWithEveryField(TestDatabase.Kind kind) throws Exception {
        SqlDeviceRegistry registry = open(kind);
        Instant seen = Instant.parse("2025-03-02T08:00:00.987654321Z");
        Device d = new Device("dev-1", Devices.newDid(), "acme", "sensor-v2", "esp32", Set.of("beta", "floor:3"),
                "eu-west", "1.4.0-rc.1", 17, DeviceState.INSTALLED, seen, Devices.REGISTERED);

        Device stored = registry.register(d);

        assertEquals(Instant.parse("2025-03-02T08:00:00.987654Z"), stored.lastSeen(), "kept to the microsecond");
        assertEquals(Optional.of(stored), registry.find("dev-1"));
        Device found = registry.find("dev-1").orElseThrow();
        assertEquals(d.publicKey(), found.publicKey());
        assertEquals(Set.of("beta", "floor:3"), found.tags());
        assertEquals(DeviceState.INSTALLED, found.state());
        assertEquals(17, found.installedSequence());
        assertEquals(Devices.REGISTERED, found.registered());
        assertEquals(Optional.empty(), registry.find("dev-2"));
        assertEquals(Optional.empty(), registry.find("no such id!"));
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aTakenIdOrKeyIsRefusedAndChangesNothing(TestDatabase.Kind kind) throws Exception {
        SqlDeviceRegistry registry = open(kind);
        Device first = registry.register(device("dev-1"));

        RegistryException sameId = assertThrows(RegistryException.class, () -> registry.register(device("dev-1")));
        assertEquals("exists", sameId.code());
        assertEquals("device 'dev-1' is already registered", sameId.getMessage());

        Device sameKey = new Device("dev-2", first.publicKey(), "acme", "sensor-v2", null, Set.of("x"), null, "1.0.0",
                1, DeviceState.IDLE, null, Devices.REGISTERED);
        RegistryException key = assertThrows(RegistryException.class, () -> registry.register(sameKey));
        assertEquals("exists", key.code());
        assertEquals("the public key of device 'dev-2' is already registered to device 'dev-1'", key.getMessage());

        assertEquals(1, registry.count(DeviceFilter.ALL));
        assertEquals(Optional.of(first), registry.find("dev-1"));
    }

    @ParameterizedTest
    @MethodSource("databases")
    void invalidFieldsAreRefusedNamingTheField(TestDatabase.Kind kind) throws Exception {
        SqlDeviceRegistry registry = open(kind);
        Device ok = device("dev-1");

        assertInvalid(registry, withId(ok, "-starts-with-dash"), "device id '-starts-with-dash' must be 1-64");
        assertInvalid(registry, withId(ok, "a".repeat(65)), "must be 1-64");
        assertInvalid(registry, withId(ok, "has space"), "device id 'has space'");
        assertInvalid(registry, withKey(ok, "did:web:example.com"), "device 'dev-1': public key not a did:key");
        assertInvalid(registry, withKey(ok, "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2d"),
                "device 'dev-1': public key invalid did:key");
        assertInvalid(registry, withVersion(ok, "1.0"), "device 'dev-1': installed version '1.0' is not a semantic");
        assertInvalid(registry, withTags(ok, Set.of("ok", "not ok")), "device 'dev-1': tag 'not ok'");

        assertEquals(0, registry.count(DeviceFilter.ALL));
    }

    private static void assertInvalid(SqlDeviceRegistry registry, Device d, String message) {
        RegistryException e = assertThrows(RegistryException.class, () -> registry.register(d));
        assertEquals("invalid", e.code());
        assertTrue(e.getMessage().startsWith(message) || e.getMessage().contains(message), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
        RegistryException batch = assertThrows(RegistryException.class,
                () -> registry.registerAll(List.of(device("other-1"), d)));
        assertEquals("invalid", batch.code());
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aBatchIsRegisteredWholeOrNotAtAll(TestDatabase.Kind kind) throws Exception {
        SqlDeviceRegistry registry = open(kind);
        registry.register(device("dev-0500"));
        List<Device> batch = new ArrayList<>();
        for (int i = 0; i < 1200; i++) {
            batch.add(device(String.format("dev-%04d", i), "sensor-v2", "eu-west", Set.of("beta"), "1.0.0"));
        }

        // the database finds the clash with a registered device: the 500 written before it are rolled back
        RegistryException clash = assertThrows(RegistryException.class, () -> registry.registerAll(batch));
        assertEquals("exists", clash.code());
        assertEquals("device 'dev-0500' is already registered", clash.getMessage());
        assertEquals(1, registry.count(DeviceFilter.ALL));
        assertEquals(0, registry.count(DeviceFilter.ALL.withTags(Set.of("beta"))));

        List<Device> twice = new ArrayList<>(batch.subList(0, 10));
        twice.add(batch.get(3));
        RegistryException dup = assertThrows(RegistryException.class, () -> registry.registerAll(twice));
        assertEquals("device 'dev-0003' appears twice in the batch", dup.getMessage());
        assertEquals(1, registry.count(DeviceFilter.ALL));

        batch.remove(500);
        registry.registerAll(batch);
        assertEquals(1200, registry.count(DeviceFilter.ALL));
        assertEquals(1199, registry.count(DeviceFilter.ALL.withTags(Set.of("beta"))));
    }

    @ParameterizedTest
    @MethodSource("databases")
    void filtersSelectByEveryFieldAndPagesCoverAllOnce(TestDatabase.Kind kind) throws Exception {
        SqlDeviceRegistry registry = open(kind);
        List<Device> fleet = new ArrayList<>();
        String[] versions = {"0.9.0", "1.0.0-beta.2", "1.0.0", "1.2.5", "2.0.0"};
        for (int i = 0; i < 250; i++) {
            Set<String> tags = new HashSet<>();
            if (i % 2 == 0) {
                tags.add("even");
            }
            if (i % 5 == 0) {
                tags.add("fifth");
            }
            fleet.add(new Device(String.format("d%03d", i), Devices.newDid(), i % 10 == 0 ? "other" : "acme",
                    i % 3 == 0 ? "gateway" : "sensor", i % 4 == 0 ? null : "esp32", tags,
                    i < 100 ? "eu-west" : "us-east", versions[i % versions.length], i, DeviceState.IDLE, null,
                    Devices.REGISTERED));
        }
        registry.registerAll(fleet);

        DeviceFilter all = DeviceFilter.ALL;
        assertMatches(registry, fleet, all);
        assertMatches(registry, fleet, all.withVendor("other"));
        assertMatches(registry, fleet, all.withDeviceClass("gateway"));
        assertMatches(registry, fleet, all.withProfile("esp32"));
        assertMatches(registry, fleet, all.withRegion("us-east"));
        assertMatches(registry, fleet, all.withTags(Set.of("even")));
        assertMatches(registry, fleet, all.withTags(Set.of("even", "fifth")));
        assertMatches(registry, fleet, all.withVersionRange("[1.0.0,2.0.0)"));
        assertMatches(registry, fleet, all.withVersionRange("(,1.0.0)"));
        assertMatches(registry, fleet, all.withVersionRange("[1.2.5,1.2.5]"));
        assertMatches(registry, fleet, all.withVersionRange("[3.0.0,)"));
        assertMatches(registry, fleet, all.withDeviceClass("sensor").withRegion("eu-west").withTags(Set.of("even"))
                .withVersionRange("[1.0.0-alpha,)"));
        assertMatches(registry, fleet, all.withTags(Set.of("nobody")));

        assertEquals(0, registry.count(all.withVersionRange("[3.0.0,)")));
        RegistryException bad = assertThrows(RegistryException.class,
                () -> registry.count(all.withVersionRange("1.0.0")));
        assertEquals("invalid", bad.code());
        assertThrows(RegistryException.class, () -> registry.list(all, null, 0));
    }

    /** Same devices as a Java filter over the fleet, in id order, collected in pages of 7. */
    private static void assertMatches(SqlDeviceRegistry registry, List<Device> fleet, DeviceFilter f)
            throws RegistryException {
        VersionRange range = f.versionRange() == null ? VersionRange.ANY : VersionRange.parse(f.versionRange());
        List<Device> expected = fleet.stream()
                .filter(d -> f.vendor() == null || f.vendor().equals(d.vendor()))
                .filter(d -> f.deviceClass() == null || f.deviceClass().equals(d.deviceClass()))
                .filter(d -> f.profile() == null || f.profile().equals(d.profile()))
                .filter(d -> f.region() == null || f.region().equals(d.region()))
                .filter(d -> d.tags().containsAll(f.tags()))
                .filter(d -> range.includes(d.installedVersion()))
                .sorted((a, b) -> a.id().compareTo(b.id())).toList();
        List<Device> paged = new ArrayList<>();
        String after = null;
        while (true) {
            List<Device> page = registry.list(f, after, 7);
            paged.addAll(page);
            if (page.size() < 7) {
                break;
            }
            after = page.get(page.size() - 1).id();
        }
        assertEquals(expected, paged, f.toString());
        assertEquals(expected.size(), registry.count(f), f.toString());
    }

    @ParameterizedTest
    @MethodSource("databases")
    void recordStateChangesTheDeviceAtOnce(TestDatabase.Kind kind) throws Exception {
        SqlDeviceRegistry registry = open(kind);
        registry.register(device("dev-1", "sensor", "eu", Set.of("beta"), "1.0.0"));
        Instant at = Instant.parse("2025-03-03T12:00:00.000001Z");

        Device d = registry.recordState("dev-1", DeviceState.INSTALLED, "1.1.0", 2, at);

        assertEquals(DeviceState.INSTALLED, d.state());
        assertEquals("1.1.0", d.installedVersion());
        assertEquals(2, d.installedSequence());
        assertEquals(at, d.lastSeen());
        assertEquals(Set.of("beta"), d.tags());
        assertEquals(Optional.of(d), registry.find("dev-1"));

        // an older report's time does not move last seen back
        Device older = registry.recordState("dev-1", DeviceState.ROLLED_BACK, "1.0.0", 1, at.minusSeconds(60));
        assertEquals(DeviceState.ROLLED_BACK, older.state());
        assertEquals(at, older.lastSeen());

        RegistryException unknown = assertThrows(RegistryException.class,
                () -> registry.recordState("dev-9", DeviceState.FAILED, "1.0.0", 1, at));
        assertEquals("unknown-device", unknown.code());
        assertEquals("device 'dev-9' is not registered", unknown.getMessage());
        RegistryException version = assertThrows(RegistryException.class,
                () -> registry.recordState("dev-1", DeviceState.FAILED, "one", 1, at));
        assertEquals("invalid", version.code());
        assertEquals(DeviceState.ROLLED_BACK, registry.find("dev-1").orElseThrow().state());
    }

    @ParameterizedTest
    @MethodSource("databases")
    void timesSeenAreWrittenAtFlushAndNeverMoveBack(TestDatabase.Kind kind) throws Exception {
        SqlDeviceRegistry registry = open(kind);
        registry.registerAll(List.of(device("dev-1"), device("dev-2")));
        Instant t = Instant.parse("2025-03-04T00:00:00Z");

        registry.recordSeen("dev-1", t);
        registry.recordSeen("dev-1", t.minusSeconds(5));
        registry.recordSeen("ghost", t);
        assertEquals(t, registry.find("dev-1").orElseThrow().lastSeen(), "this node sees its own unflushed time");

        assertEquals(2, registry.flushSeen());
        assertEquals(0, registry.pendingSeen());
        // a second registry on the same database (another node) reads it from the database
        SqlDeviceRegistry other = db.registry();
        assertEquals(t, other.find("dev-1").orElseThrow().lastSeen());
        assertNull(other.find("dev-2").orElseThrow().lastSeen());
        assertEquals(Optional.empty(), other.find("ghost"));

        registry.recordSeen("dev-1", t.minusSeconds(60));
        registry.flushSeen();
        assertEquals(t, other.find("dev-1").orElseThrow().lastSeen());

        assertEquals("invalid", assertThrows(RegistryException.class,
                () -> registry.recordSeen("bad id", t)).code());
    }

    @ParameterizedTest
    @MethodSource("databases")
    void removeDeletesTheDeviceAndItsTags(TestDatabase.Kind kind) throws Exception {
        SqlDeviceRegistry registry = open(kind);
        Device d = registry.register(device("dev-1", "sensor", "eu", Set.of("beta", "x"), "1.0.0"));

        assertTrue(registry.remove("dev-1"));
        assertFalse(registry.remove("dev-1"));
        assertEquals(0, registry.count(DeviceFilter.ALL.withTags(Set.of("beta"))));

        // the id and the key are free again
        Device again = registry.register(new Device("dev-1", d.publicKey(), "acme", "sensor", null, Set.of("y"), null,
                "2.0.0", 3, DeviceState.IDLE, null, Devices.REGISTERED));
        assertEquals(Set.of("y"), registry.find("dev-1").orElseThrow().tags());
        assertEquals(again, registry.find("dev-1").orElseThrow());
    }

    @ParameterizedTest
    @MethodSource("databases")
    void statusNamesSchemaVersionAndCount(TestDatabase.Kind kind) throws Exception {
        SqlDeviceRegistry registry = open(kind);
        registry.registerAll(List.of(device("a"), device("b")));
        assertEquals("jdbc registry " + kind.name() + ": schema version 1, 2 devices", registry.status());
    }

    private static Device withId(Device d, String id) {
        return new Device(id, d.publicKey(), d.vendor(), d.deviceClass(), d.profile(), d.tags(), d.region(),
                d.installedVersion(), d.installedSequence(), d.state(), d.lastSeen(), d.registered());
    }

    private static Device withKey(Device d, String key) {
        return new Device(d.id(), key, d.vendor(), d.deviceClass(), d.profile(), d.tags(), d.region(),
                d.installedVersion(), d.installedSequence(), d.state(), d.lastSeen(), d.registered());
    }

    private static Device withVersion(Device d, String version) {
        return new Device(d.id(), d.publicKey(), d.vendor(), d.deviceClass(), d.profile(), d.tags(), d.region(),
                version, d.installedSequence(), d.state(), d.lastSeen(), d.registered());
    }

    private static Device withTags(Device d, Set<String> tags) {
        return new Device(d.id(), d.publicKey(), d.vendor(), d.deviceClass(), d.profile(), tags, d.region(),
                d.installedVersion(), d.installedSequence(), d.state(), d.lastSeen(), d.registered());
    }
}
