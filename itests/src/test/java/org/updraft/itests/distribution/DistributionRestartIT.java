package org.updraft.itests.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The distribution as an operator runs it: it starts from its bin/ scripts with no JAVA_HOME, an operator
 * made with bin/updraft-admin can log in with bin/client (and nobody with a wrong password), and after
 * bin/stop it starts again on the same directory with Updraft still installed.
 */
public class DistributionRestartIT {

    private static final List<String> EMBEDDED_DEFAULTS = List.of(
            "org.updraft.api", "org.updraft.core", "org.updraft.storage.local", "org.updraft.ledger.local",
            "org.updraft.shell");

    private static KarafProcess karaf;

    @BeforeClass
    public static void unpack() throws Exception {
        karaf = KarafProcess.unpack("restart");
    }

    @AfterClass
    public static void cleanUp() throws Exception {
        if (karaf != null) {
            karaf.close();
        }
    }

    @Test
    public void startsRunsCommandsStopsAndStartsAgain() throws Exception {
        karaf.start();
        assertUpdraftActive("first start");
        assertFalse("bin/setenv supplied JAVA_HOME:\n" + karaf.consoleTail(),
                karaf.consoleTail().contains("JAVA_HOME not set"));
        KarafProcess.Result intruder = karaf.runIn(List.of(karaf.home().resolve("bin/client").toString(),
                "-h", "127.0.0.1", "-a", Integer.toString(karaf.sshPort()), "-u", "itest", "-p", "wrong-password",
                "-r", "1", "bundle:list"), null, KarafProcess.COMMAND_TIMEOUT);
        assertNotEquals("a wrong password does not log in:\n" + intruder.output(), 0, intruder.exitCode());
        assertFalse(intruder.output().contains("org.updraft"));

        karaf.stop();
        assertFalse("Karaf stopped", karaf.isRunning());
        assertNotEquals("SSH is closed after stop", 0, karaf.client("bundle:list", Duration.ofSeconds(20)).exitCode());

        karaf.start();
        assertUpdraftActive("second start");
        String features = karaf.execute("feature:list -i");
        assertTrue("updraft is still installed after a restart:\n" + features,
                features.matches("(?s).*\\bupdraft\\s.*"));
        karaf.awaitCommand("updraft:release-list", Duration.ofSeconds(30));
        karaf.execute("updraft:release-list");
        karaf.stop();
    }

    /** Reads `bundle:list -s` (columns ID | State | Lvl | Version | Symbolic name) and checks Updraft's bundles. */
    private static void assertUpdraftActive(String when) throws Exception {
        String listing = karaf.execute("bundle:list -t 0 -s --no-ellipsis");
        Map<String, String> states = new TreeMap<>();
        for (String line : listing.split("\\R")) {
            String[] columns = line.split("\\|");
            if (columns.length == 5 && columns[4].trim().startsWith("org.updraft.")) {
                states.put(columns[4].trim(), columns[1].trim());
            }
        }
        for (String bundle : EMBEDDED_DEFAULTS) {
            assertEquals(when + ": state of " + bundle + " in\n" + listing, "Active", states.get(bundle));
        }
        assertTrue(when + ": every Updraft bundle is Active: " + states,
                states.values().stream().allMatch("Active"::equals));
    }
}
