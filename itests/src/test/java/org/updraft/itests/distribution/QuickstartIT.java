package org.updraft.itests.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The README's first command ends in bin/updraft-quickstart: on a fresh distribution it makes a key, signs a
 * sample release, starts Updraft and publishes the release through the shell, proves it and audits the
 * ledger; the one-shot account it used is gone afterwards, and Updraft keeps running.
 */
public class QuickstartIT {

    private KarafProcess karaf;

    @Before
    public void unpack() throws Exception {
        karaf = KarafProcess.unpack("quickstart");
    }

    @After
    public void stop() throws Exception {
        if (karaf != null) {
            try {
                karaf.stopStartedByScripts();
            } finally {
                karaf.close();
            }
        }
    }

    @Test
    public void publishesAFirstReleaseAndLeavesUpdraftRunning() throws Exception {
        // the demo at its end with a smaller fleet than the 1000 devices a new user sees, to keep CI short
        KarafProcess.Result run = karaf.runWithEnv(List.of(karaf.home().resolve("bin/updraft-quickstart").toString()),
                Map.of("UPDRAFT_DEMO_DEVICES", "100"), Duration.ofMinutes(5));
        String out = run.output();
        assertEquals(out, 0, run.exitCode());
        assertTrue(out, out.contains("== Manufacturer, offline"));
        assertTrue(out, out.matches("(?s).*Published acme/demo-sensor/\\d+.*"));
        assertTrue(out, out.contains("Proof verified: the event is in the signed checkpoint."));
        assertTrue(out, out.contains("Ledger consistent: 2 events"));
        assertTrue(out, out.contains("== The main demo: a rollout in waves to 100 simulated devices over CoAP"));
        assertTrue(out, out.matches("(?s).*rollout +r-\\S+ completed.*"));
        assertTrue(out, out.contains("devices    100: "));
        assertTrue(out, out.contains("consistent: "));
        assertFalse("the one-shot account is removed",
                Files.readString(karaf.home().resolve("etc/users.properties")).contains("quickstart-"));

        // still running: the operator's own account reaches the release
        String list = karaf.execute("updraft:release-list");
        assertTrue(list, list.contains("acme/demo-sensor/"));
    }
}
