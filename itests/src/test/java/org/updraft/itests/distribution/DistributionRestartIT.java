package org.updraft.itests.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The distribution as an operator and a manufacturer use it: it starts from its bin/ scripts with no
 * JAVA_HOME; an operator made with bin/updraft-admin logs in with bin/client (nobody with a wrong password);
 * the manufacturer's key and manifest come from bin/updraft; the release published through the shell is
 * there again after bin/stop and a new start on the same directory — its CID, its ledger entry and a proof
 * that verifies — and the ledger audit passes.
 */
public class DistributionRestartIT {

    private static final List<String> EMBEDDED_DEFAULTS = List.of(
            "org.updraft.api", "org.updraft.core", "org.updraft.storage.local", "org.updraft.ledger.local",
            "org.updraft.shell");
    private static final Pattern DID = Pattern.compile("did:key:z[1-9A-HJ-NP-Za-km-z]+");
    private static final String RELEASE = "acme/thermo-v2/1";

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
    public void aReleasePublishedBeforeARestartIsThereAfterIt() throws Exception {
        // the manufacturer's side, offline, with the distribution's own tool
        Path work = Files.createDirectories(karaf.home().resolve("manufacturer"));
        Path key = work.resolve("acme.key");
        Path image = work.resolve("thermo-1.0.0.bin");
        byte[] bytes = new byte[700_000];
        new Random(11).nextBytes(bytes);
        Files.write(image, bytes);
        String did = didIn(ok(karaf.run("bin/updraft", "keygen", "--out", key.toString())));
        Path manifest = work.resolve("thermo-1.0.0.manifest");
        ok(karaf.run("bin/updraft", "sign", "--key", key.toString(), "--firmware", image.toString(), "--vendor",
                "acme", "--class", "thermo-v2", "--version", "1.0.0", "--sequence", "1", "--out", manifest.toString()));
        String cid = ok(karaf.run("bin/updraft", "cid", image.toString())).strip();
        String valid = ok(karaf.run("bin/updraft", "verify", "--manifest", manifest.toString(), "--firmware",
                image.toString(), "--trust", key + ".pub"));
        assertTrue(valid, valid.startsWith("valid: " + RELEASE));

        // the operator's side
        karaf.start();
        assertUpdraftActive("first start");
        assertFalse("bin/setenv supplied JAVA_HOME:\n" + karaf.consoleTail(),
                karaf.consoleTail().contains("JAVA_HOME not set"));
        KarafProcess.Result intruder = karaf.runIn(List.of(karaf.home().resolve("bin/client").toString(),
                "-h", "127.0.0.1", "-a", Integer.toString(karaf.sshPort()), "-u", "itest", "-p", "wrong-password",
                "-r", "1", "bundle:list"), null, KarafProcess.COMMAND_TIMEOUT);
        assertNotEquals("a wrong password does not log in:\n" + intruder.output(), 0, intruder.exitCode());
        assertFalse(intruder.output().contains("org.updraft"));

        karaf.awaitCommand("updraft:release-publish", Duration.ofSeconds(30));
        karaf.execute("updraft:trust-add --vendor acme " + key + ".pub");
        String published = karaf.execute("updraft:release-publish -q " + manifest + " " + image);
        assertTrue(published, published.contains("Published " + RELEASE) && published.contains(cid));
        String proofBefore = karaf.execute("updraft:ledger-proof --release " + RELEASE);

        karaf.stop();
        assertFalse("Karaf stopped", karaf.isRunning());
        assertNotEquals("SSH is closed after stop", 0, karaf.client("bundle:list", Duration.ofSeconds(20)).exitCode());

        karaf.start();
        assertUpdraftActive("second start");
        String features = karaf.execute("feature:list -i");
        for (String feature : List.of("updraft-core", "updraft-storage-local", "updraft-ledger-local", "updraft-shell")) {
            assertTrue(feature + " is still installed after a restart:\n" + features,
                    features.matches("(?s).*\\b" + feature + "\\s.*"));
        }
        karaf.awaitCommand("updraft:release-show", Duration.ofSeconds(30));
        String show = karaf.execute("updraft:release-show " + RELEASE);
        assertTrue(show, show.contains(cid) && show.contains(did));
        String ledgerLine = ledgerIndex(proofBefore);
        assertTrue("the same ledger entry: " + show, show.contains(ledgerLine));
        String proofAfter = karaf.execute("updraft:ledger-proof --release " + RELEASE);
        assertTrue(proofAfter, proofAfter.contains("Proof verified"));
        assertTrue(proofAfter, proofAfter.contains(ledgerLine));
        String stat = karaf.execute("updraft:store-stat " + cid);
        assertTrue(stat, stat.contains("pinned"));
        String audit = karaf.execute("updraft:ledger-verify");
        assertTrue(audit, audit.contains("Ledger consistent"));
        String trust = karaf.execute("updraft:trust-list");
        assertTrue(trust, trust.contains(did) && trust.contains("active"));
        karaf.stop();
    }

    private static String ok(KarafProcess.Result result) {
        assertEquals(result.output(), 0, result.exitCode());
        return result.output();
    }

    private static String didIn(String output) {
        Matcher m = DID.matcher(output);
        assertTrue("keygen prints the did:key: " + output, m.find());
        return m.group();
    }

    /** "Event #N" as ledger-proof prints it. */
    private static String ledgerIndex(String proofOutput) {
        Matcher m = Pattern.compile("Event #(\\d+)").matcher(proofOutput);
        assertTrue(proofOutput, m.find());
        return "#" + m.group(1);
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
