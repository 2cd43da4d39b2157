package org.updraft.platform.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.backend.BackendChoice;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.RegistryException;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.trust.TrustException;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.LedgerFollower;
import org.updraft.ledger.local.internal.FileLedger;
import org.updraft.testing.Configs;

/** The one switch: calls reach the chosen backend, whatever comes and goes, and say what is missing. */
class BackendSwitchTest {

    @TempDir
    Path dir;

    private FileLedger local;
    private FileLedger chain;
    private BackendSwitch backends;

    @BeforeEach
    void start() throws Exception {
        local = FileLedger.open(dir.resolve("local"), dir.resolve("local.pem"), "local-log", false);
        // another log, with its own key, registered as another kind
        chain = FileLedger.open(dir.resolve("chain"), dir.resolve("chain.pem"), "chain-log", false);
        backends = new BackendSwitch();
        backends.activate(config("local", "ledger", "jdbc"), null);
    }

    @AfterEach
    void stop() {
        backends.deactivate();
        local.close();
        chain.close();
    }

    @Test
    void callsFailNamingTheFeatureUntilTheChosenBackendRunsThenReachIt() throws Exception {
        Ledger selected = backends.selectedLedger();
        LedgerException missing = assertThrows(LedgerException.class, selected::size);
        assertEquals("the ledger backend 'local' is not running: install feature updraft-ledger-local (and configure "
                + "it), or choose another with ledger in org.updraft.backends", missing.getMessage());

        backends.bindLedger(local, properties(Ledger.KIND, "local", 1));
        selected.append(event("one"));
        assertEquals(1, local.size());
        assertEquals(local.logKey(), selected.logKey());
        BackendChoice choice = backends.choices().get(1);
        assertEquals("ledger", choice.capability());
        assertTrue(choice.running(), choice.detail());
    }

    @Test
    void switchingSendsTheNextCallToTheOtherBackendAndAViewReplaysTheOtherLog() throws Exception {
        backends.bindLedger(local, properties(Ledger.KIND, "local", 1));
        backends.bindLedger(chain, properties(Ledger.KIND, "evm", 2));
        Ledger selected = backends.selectedLedger();
        selected.append(event("a"));
        selected.append(event("b"));
        List<String> view = new ArrayList<>();
        LedgerFollower follower = new LedgerFollower(selected, e -> view.add(text(e.event())), view::clear);
        follower.catchUp();
        assertEquals(List.of("a", "b"), view);

        backends.modified(config("evm", "ledger", "jdbc"));
        selected.append(event("c"));
        assertEquals(2, local.size(), "the local log got nothing after the switch");
        assertEquals(1, chain.size());
        follower.catchUp();
        assertEquals(List.of("c"), view, "another log (another key) is replayed from its start, not appended to");

        backends.unbindLedger(chain);
        LedgerException gone = assertThrows(LedgerException.class, () -> selected.append(event("d")));
        assertTrue(gone.getMessage().startsWith("the ledger backend 'evm' is not running: install feature "
                + "updraft-ledger-evm"), gone.getMessage());
        assertFalse(backends.choices().get(1).running());
    }

    @Test
    void aBadValueIsRefusedAndChangesNothing() throws Exception {
        backends.bindLedger(local, properties(Ledger.KIND, "local", 1));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> backends.modified(config("evm", "Ledger Chain", "jdbc")));
        assertEquals("trust in org.updraft.backends is 'Ledger Chain': name a trust.kind such as ledger",
                bad.getMessage());
        assertEquals("local", backends.choices().get(1).kind(), "the valid ledger value was not applied either");
        backends.selectedLedger().append(event("still local"));
        assertEquals(1, local.size());
    }

    @Test
    void trustAndRegistryFailClosedWhileTheirBackendIsMissing() throws Exception {
        TrustException trust = assertThrows(TrustException.class,
                () -> backends.selectedTrust().find("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"));
        assertTrue(trust.getMessage().contains("install feature updraft-core"), trust.getMessage());

        RegistryException registry = assertThrows(RegistryException.class,
                () -> backends.selectedRegistry().count(DeviceFilter.ALL));
        assertEquals("unavailable", registry.code());
        assertTrue(registry.getMessage().contains("updraft-registry-jdbc"), registry.getMessage());

        // the trust store on the ledger, behind the switch, over the selected ledger
        backends.bindLedger(local, properties(Ledger.KIND, "local", 1));
        LedgerTrustStore onLedger = new LedgerTrustStore(backends.selectedLedger());
        backends.bindTrustStore(onLedger, properties("trust.kind", "ledger", 3));
        String did = SigningKey.generate(KeyAlgorithm.ED25519).did();
        backends.selectedTrust().register(did, "acme", Set.of());
        assertTrue(backends.selectedTrust().find(did).isPresent());
        assertEquals(1, local.size(), "the trust event is on the selected ledger");
    }

    private static BackendSwitch.Config config(String ledger, String trust, String registry) {
        return Configs.of(BackendSwitch.Config.class, Map.of("ledger", ledger, "trust", trust, "registry", registry));
    }

    private static Map<String, Object> properties(String kindProperty, String kind, long serviceId) {
        return Map.of(kindProperty, kind, "service.id", serviceId);
    }

    private static LedgerEvent event(String text) {
        return new LedgerEvent("test.event", Instant.now(), "platform", text.getBytes(StandardCharsets.UTF_8), null);
    }

    private static String text(LedgerEvent e) {
        return new String(e.payload(), StandardCharsets.UTF_8);
    }
}
