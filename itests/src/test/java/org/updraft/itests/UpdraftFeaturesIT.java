package org.updraft.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.apache.karaf.features.Feature;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/**
 * The distribution boots with Updraft's embedded defaults — the parts of the {@code updraft} feature, each
 * installed on its own so that each can be uninstalled — and its features can be removed, put back and swapped
 * while Karaf runs, leaving nothing behind. Every test leaves the booted parts installed.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class UpdraftFeaturesIT extends UpdraftTestSupport {

    /** The bundles the `updraft` feature must bring; later features may add more org.updraft.* bundles. */
    private static final Set<String> EMBEDDED_DEFAULTS = Set.of(
            "org.updraft.api", "org.updraft.core", "org.updraft.storage.local", "org.updraft.ledger.local",
            "org.updraft.registry.jdbc", "org.updraft.rollout", "org.updraft.transport.coap", "org.updraft.device",
            "org.updraft.demo", "org.updraft.shell");

    private static final Duration SETTLE = Duration.ofSeconds(30);

    // By name, not class: these tests uninstall org.updraft.api (see UpdraftTestSupport#waitForService).
    private static final String RELEASE_SERVICE = "org.updraft.api.release.ReleaseService";
    private static final String FIRMWARE_STORE = "org.updraft.api.store.FirmwareStore";

    @Test
    public void bootInstallsTheEmbeddedDefaultsWithEveryBundleActive() throws Exception {
        Set<String> parts = partsOfUpdraft();
        assertTrue("updraft names its parts: " + parts, parts.contains("updraft-storage-local"));
        assertEquals("boot asks for each part of updraft on its own", parts, requestedUpdraftFeatures());
        assertTrue("scr is installed", isFeatureInstalled("scr"));
        awaitBundlesActive(EMBEDDED_DEFAULTS, SETTLE);
        Map<String, String> states = updraftBundleStates();
        assertTrue("every Updraft bundle is Active: " + states, states.values().stream().allMatch("Active"::equals));

        String listed = executeCommand("feature:list -i");
        assertTrue("feature:list -i shows updraft-storage-local:\n" + listed,
                listed.matches("(?s).*\\bupdraft-storage-local\\s.*"));
        executeCommand("updraft:release-list");
    }

    /** The embedded defaults are complete: every component finds the services it needs, none fails to start. */
    @Test
    public void embeddedDefaultsSatisfyEveryComponent() {
        awaitBundlesActive(EMBEDDED_DEFAULTS, SETTLE);
        await("every Updraft component to be satisfied", SETTLE, () -> brokenUpdraftComponents().isEmpty(),
                () -> "broken: " + brokenUpdraftComponents() + "\n" + componentReport());
    }

    @Test
    public void uninstallRemovesEveryUpdraftBundleAndReinstallRestoresThem() throws Exception {
        Set<String> withUpdraft = installedBundles();
        try {
            uninstallFeatures(partsOfUpdraft().toArray(String[]::new));
            assertEquals("no Updraft bundle is left after uninstalling the booted features", Map.of(),
                    updraftBundleStates());
            Set<String> without = installedBundles();

            for (int cycle = 1; cycle <= 2; cycle++) {
                installFeatures("updraft");
                awaitBundlesActive(EMBEDDED_DEFAULTS, SETTLE);
                assertEquals("cycle " + cycle + ": reinstalling brings back exactly the same bundles",
                        withUpdraft, installedBundles());
                assertEquals("cycle " + cycle + ": no component fails to activate", List.of(), failedUpdraftComponents());

                uninstallFeatures("updraft");
                assertEquals("cycle " + cycle + ": uninstalling leaves exactly what was there without Updraft",
                        without, installedBundles());
            }
        } finally {
            restoreBootedParts();
        }
        assertEquals(withUpdraft, installedBundles());
    }

    /**
     * Hot swap: the firmware store is removed and added back while the release service keeps running as the
     * same service (its store reference is dynamic), and core is neither reinstalled nor restarted.
     */
    @Test
    public void storageBackendCanBeRemovedAndAddedWhileReleaseServiceRuns() throws Exception {
        Set<String> before = installedBundles();
        try {
            long releaseService = serviceId(RELEASE_SERVICE);
            waitForService(FIRMWARE_STORE, "(store.kind=local)", SETTLE);
            Bundle core = findBundle("org.updraft.core");
            long coreLastModified = core.getLastModified();

            uninstallFeatures("updraft-storage-local");
            assertEquals("the store bundle goes with its feature", null, findBundle("org.updraft.storage.local"));
            assertEquals("no store backend while the store feature is out", 0,
                    serviceReferences(FIRMWARE_STORE, "(store.kind=*)").size());
            assertEquals("core's serving store stays, with nothing to serve from", 1,
                    serviceReferences(FIRMWARE_STORE, "(store.role=serving)").size());
            assertEquals("removing the store does not restart the release service",
                    releaseService, serviceId(RELEASE_SERVICE));

            installFeatures("updraft-storage-local");
            awaitBundlesActive(Set.of("org.updraft.storage.local"), SETTLE);
            waitForService(FIRMWARE_STORE, "(store.kind=local)", SETTLE);
            assertEquals("adding the store does not restart the release service",
                    releaseService, serviceId(RELEASE_SERVICE));

            Bundle coreAfter = findBundle("org.updraft.core");
            assertEquals("core was not reinstalled", core.getBundleId(), coreAfter.getBundleId());
            assertEquals("core was not updated", coreLastModified, coreAfter.getLastModified());
            assertEquals(Bundle.ACTIVE, coreAfter.getState());
        } finally {
            restoreBootedParts();
        }
        assertEquals("back to the same bundles", before, installedBundles());
    }

    /** service.id of the one service of {@code objectClass}, once it is there: a new id means it was re-registered. */
    private long serviceId(String objectClass) {
        waitForService(objectClass, null, SETTLE);
        List<ServiceReference<?>> references = serviceReferences(objectClass, null);
        assertEquals("one " + objectClass + " service", 1, references.size());
        return (Long) references.get(0).getProperty(Constants.SERVICE_ID);
    }

    /** Updraft features installed because someone asked for them, not as another feature's dependency. */
    private Set<String> requestedUpdraftFeatures() throws Exception {
        Set<String> names = new TreeSet<>();
        for (Feature feature : featuresService.listInstalledFeatures()) {
            if (feature.getName().startsWith("updraft") && featuresService.isRequired(feature)) {
                names.add(feature.getName());
            }
        }
        return names;
    }

    /** The features `updraft` names: what the distribution boots, each on its own. */
    private Set<String> partsOfUpdraft() throws Exception {
        Feature updraft = featuresService.getFeature("updraft");
        assertTrue("the repository defines updraft", updraft != null);
        Set<String> parts = new TreeSet<>();
        updraft.getDependencies().forEach(dependency -> parts.add(dependency.getName()));
        return parts;
    }

    /** Back to the booted state: the parts of `updraft` asked for on their own, `updraft` itself not. */
    private void restoreBootedParts() throws Exception {
        Set<String> parts = partsOfUpdraft();
        installFeatures(parts.toArray(String[]::new));
        if (isFeatureInstalled("updraft")) {
            uninstallFeatures("updraft");
        }
        assertEquals(parts, requestedUpdraftFeatures());
        awaitBundlesActive(EMBEDDED_DEFAULTS, SETTLE);
    }
}
