package org.updraft.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.updraft.api.delta.Delta;
import org.updraft.api.delta.ReleaseDeltas;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.rollout.RolloutState;
import org.updraft.core.event.RolloutEvents;

/**
 * Delta rollouts over CoAP in the distribution, as an operator runs them: {@code updraft:demo --delta bsdiff} with
 * the fixture pair ({@code ../shared/fixtures/delta}: old.bin, and new.bin with 300 scattered bytes changed and
 * 2 KiB inserted). The platform's records are checked against the fixture itself: the release's digest, the
 * recorded delta, the ledger's offers carrying its patch, and the bytes the CoAP transport served.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DeltaRolloutIT extends UpdraftTestSupport {

    private static final String FIXTURES_PROPERTY = "updraft.delta.fixtures";

    @Override
    protected Option[] additionalOptions() {
        // the repository's root, from failsafe; the fixtures are beside it, read there
        Path fixtures = Path.of(System.getProperty("updraft.repository", ".."), "..", "shared", "fixtures", "delta")
                .toAbsolutePath().normalize();
        return new Option[] { systemProperty(FIXTURES_PROPERTY).value(fixtures.toString()),
            editConfigurationFilePut("etc/org.updraft.ledger.local.cfg", "fsync", "false") };
    }

    private static Path fixture(String name) {
        Path file = Path.of(System.getProperty(FIXTURES_PROPERTY)).resolve(name);
        assertTrue("delta fixture missing: " + file, Files.isRegularFile(file));
        return file;
    }

    /**
     * 100 devices running old.bin rebuild new.bin from the patch: the CoAP transport served less than 20% of the
     * image per device (patch blocks count for the release they build), every device runs an image hashing to the
     * release's SHA-256, which is new.bin's, and the ledger's offer to each device names the recorded patch.
     */
    @Test
    public void aHundredDevicesRebuildTheNewImageFromTheFixturePatchOverCoap() throws Exception {
        byte[] next = Files.readAllBytes(fixture("new.bin"));
        String out = executeCommand("updraft:demo --devices 100 --delta bsdiff --base-image " + fixture("old.bin")
                + " --image " + fixture("new.bin") + " --success 100 --loss 0 --offline 0 --boot-failures 0 --quiet",
                Duration.ofMinutes(4));
        assertTrue(out, out.contains("consistent: "));

        Rollout rollout = latestRollout();
        assertEquals(out, RolloutState.COMPLETED, rollout.state());
        Release release = waitForService(ReleaseService.class).find(rollout.releaseId()).orElseThrow();
        assertArrayEquals("the release is new.bin", sha256(next), release.sha256());
        assertEquals(next.length, release.size());
        Delta delta = onlyDelta(release);
        assertEquals("bsdiff", delta.codec());
        assertArrayEquals("the base is old.bin", sha256(Files.readAllBytes(fixture("old.bin"))), delta.fromSha256());

        // the server's side: every byte the transport served for the release, patch blocks included
        long served = waitForService(RolloutService.class).progress(rollout.id()).bytesServed();
        double perDevice = served / 100.0;
        System.out.printf("DeltaRolloutIT: patch %d bytes; served %d bytes for 100 devices, %.0f per device, "
                + "%.2f%% of the %d-byte image%n", delta.patchSize(), served, perDevice, 100 * perDevice / next.length,
                next.length);
        assertTrue("served " + served + " bytes for 100 devices: " + out, perDevice < 0.2 * next.length);
        assertTrue("every device got the whole patch: " + served + " bytes served: " + out, served >= 100 * delta.patchSize());

        // the devices' side, as the demo hashes their flash
        assertTrue(out, out.contains("100 devices used the patch, 0 fell back"));
        assertTrue(out, out.contains("images     100 of 100 devices that installed run an image with the release's "
                + "SHA-256 " + HexFormat.of().formatHex(sha256(next))));
        Matcher mean = Pattern.compile("per device (\\d+) bytes downloaded on average").matcher(out);
        assertTrue(out, mean.find());
        assertTrue(out, Long.parseLong(mean.group(1)) < 0.2 * next.length);

        Map<String, String> offers = offeredPatches(rollout.id());
        assertEquals("devices offered the release", 100, offers.size());
        assertTrue("every offer carries the patch " + delta.patch() + ": " + offers,
                offers.values().stream().allMatch(delta.patch().toString()::equals));
        DeviceRegistry registry = waitForService(DeviceRegistry.class);
        assertEquals(100, registry.count(new DeviceFilter(release.vendor(), release.deviceClass(), null, Set.of(),
                null, "[2.0.0,)")));
    }

    /**
     * Devices registered as running the base but holding another build of it (one byte differs) are offered the
     * patch like the others, see that it was not made from their image, and download the full image instead; the
     * rest use the patch. Every device ends with the signed image.
     */
    @Test
    public void devicesHoldingAnotherBuildOfTheBaseDownloadTheFullImage() throws Exception {
        byte[] next = Files.readAllBytes(fixture("new.bin"));
        String out = executeCommand("updraft:demo --devices 40 --delta bsdiff --other-base 0.3 --base-image "
                + fixture("old.bin") + " --image " + fixture("new.bin")
                + " --success 100 --loss 0 --offline 0 --boot-failures 0 --quiet", Duration.ofMinutes(3));
        Rollout rollout = latestRollout();
        assertEquals(out, RolloutState.COMPLETED, rollout.state());
        Release release = waitForService(ReleaseService.class).find(rollout.releaseId()).orElseThrow();
        Delta delta = onlyDelta(release);

        Matcher sources = Pattern.compile("(\\d+) devices used the patch, 0 fell back to the full image after it "
                + "failed \\(delta-mismatch\\), (\\d+) downloaded the full image").matcher(out);
        assertTrue(out, sources.find());
        int patched = Integer.parseInt(sources.group(1));
        int full = Integer.parseInt(sources.group(2));
        assertEquals(out, 40, patched + full);
        assertTrue("some devices hold another build: " + out, full > 0 && patched > 0);
        assertTrue(out, out.contains("images     40 of 40 devices that installed run an image with the release's "
                + "SHA-256 " + HexFormat.of().formatHex(sha256(next))));

        long served = waitForService(RolloutService.class).progress(rollout.id()).bytesServed();
        assertTrue("served " + served + " bytes: " + full + " full images and " + patched + " patches",
                served >= (long) full * next.length + (long) patched * delta.patchSize());
        Map<String, String> offers = offeredPatches(rollout.id());
        assertEquals(40, offers.size());
        assertTrue("the platform offered every device the patch: " + offers,
                offers.values().stream().allMatch(delta.patch().toString()::equals));
    }

    /** Bad options and files are refused before anything is published or recorded. */
    @Test
    public void badDeltaOptionsAreRefusedBeforeAnythingIsRecorded() throws Exception {
        int releases = waitForService(ReleaseService.class).list().size();
        int events = ledgerEvents(EventTypes.KEY_REGISTERED).size();
        String missing = executeCommandExpectingFailure("updraft:demo --devices 5 --delta bsdiff --base-image "
                + fixture("old.bin") + " --image " + fixture("old.bin").resolveSibling("no-such.bin"));
        assertTrue(missing, missing.contains("no-such.bin does not exist"));
        String same = executeCommandExpectingFailure("updraft:demo --devices 5 --delta bsdiff --base-image "
                + fixture("old.bin") + " --image " + fixture("old.bin"));
        assertTrue(same, same.contains("are the same image"));
        String alone = executeCommandExpectingFailure("updraft:demo --devices 5 --delta bsdiff --image "
                + fixture("new.bin"));
        assertTrue(alone, alone.contains("--base-image and --image go together"));
        String vcdiff = executeCommandExpectingFailure("updraft:demo --devices 5 --delta vcdiff");
        assertTrue(vcdiff, vcdiff.contains("offered bsdiff deltas only"));
        assertTrue(vcdiff, vcdiff.contains("or --profile with --delta vcdiff"));
        String unknown = executeCommandExpectingFailure("updraft:demo --devices 5 --delta zstd");
        assertTrue(unknown, unknown.contains("--delta is bsdiff, not 'zstd'"));
        String noDelta = executeCommandExpectingFailure("updraft:demo --devices 5 --image " + fixture("new.bin"));
        assertTrue(noDelta, noDelta.contains("add --delta bsdiff"));
        assertEquals("no release published", releases, waitForService(ReleaseService.class).list().size());
        assertEquals("no key registered", events, ledgerEvents(EventTypes.KEY_REGISTERED).size());
    }

    /**
     * A VCDIFF delta between two MCUboot images: the demo builds 1.0.0 and 2.0.0 (the same program with about 1%
     * changed, each signed with the run's image key) for a class whose profile lists vcdiff; 20 MCUboot devices
     * rebuild 2.0.0 from the patch into their secondary slot, and their bootloader checks its signature and swaps it
     * in.
     */
    @Test
    public void mcubootDevicesRebuildASignedImageFromAVcdiffPatch() throws Exception {
        installFeatures("updraft-profile-mcuboot");
        try {
            String out = rollOutProfile("mcuboot", "org.updraft.profile.mcuboot", 20, "--delta vcdiff");
            Rollout rollout = latestRollout();
            Release release = waitForService(ReleaseService.class).find(rollout.releaseId()).orElseThrow();
            Delta delta = onlyDelta(release);
            assertEquals("vcdiff", delta.codec());
            System.out.printf("DeltaRolloutIT: MCUboot images, vcdiff patch %d bytes for the %d-byte image (%.2f%%)%n",
                    delta.patchSize(), release.size(), 100.0 * delta.patchSize() / release.size());
            assertTrue(out, delta.patchSize() < 0.2 * release.size());
            assertTrue(out, out.contains("20 devices used the patch, 0 fell back"));
            assertTrue(out, out.matches("(?s).*installed  \\S+: primary slot runs 2\\.0\\.0 \\[magic good, "
                    + "swap test, copy_done, image_ok\\].*"));
        } finally {
            uninstallFeatures("updraft-profile-mcuboot");
        }
    }

    private Rollout latestRollout() {
        List<Rollout> all = waitForService(RolloutService.class).list();
        return all.get(all.size() - 1);
    }

    private Delta onlyDelta(Release release) {
        List<Delta> deltas = waitForService(ReleaseDeltas.class).to(release.id());
        assertEquals(deltas.toString(), 1, deltas.size());
        Delta delta = deltas.get(0);
        assertEquals(release.vendor() + "/" + release.deviceClass() + "/1", delta.fromRelease());
        assertNotNull(delta.patch());
        return delta;
    }

    /** The patch CID each device's offer carries, by device, from the ledger's rollout.offered events. */
    private Map<String, String> offeredPatches(String rolloutId) throws Exception {
        Map<String, String> patches = new HashMap<>();
        for (LedgerEntry entry : ledgerEvents(EventTypes.ROLLOUT_OFFERED)) {
            RolloutEvents.Offered offered = (RolloutEvents.Offered) RolloutEvents.decode(entry.event().type(),
                    entry.event().payload());
            if (offered.rollout().equals(rolloutId)) {
                patches.put(offered.device(), String.valueOf(offered.delta()));
            }
        }
        return patches;
    }

    private static byte[] sha256(byte[] bytes) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }
}
