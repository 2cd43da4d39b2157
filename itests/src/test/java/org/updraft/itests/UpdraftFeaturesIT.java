package org.updraft.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
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

/**
 * The distribution boots with Updraft's embedded defaults, and its features can be removed, put back and
 * swapped while Karaf runs, leaving nothing behind. Every test leaves {@code updraft} installed.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class UpdraftFeaturesIT extends UpdraftTestSupport {

    /** The bundles the `updraft` feature must bring; later features may add more org.updraft.* bundles. */
    private static final Set<String> EMBEDDED_DEFAULTS = Set.of(
            "org.updraft.api", "org.updraft.core", "org.updraft.storage.local", "org.updraft.ledger.local",
            "org.updraft.shell");

    private static final Duration SETTLE = Duration.ofSeconds(30);

    @Test
    public void bootInstallsTheEmbeddedDefaultsWithEveryBundleActive() throws Exception {
        for (String feature : new String[] {"updraft", "updraft-core", "updraft-storage-local", "updraft-ledger-local", "scr"}) {
            assertTrue("boot should install feature " + feature, isFeatureInstalled(feature));
        }
        awaitBundlesActive(EMBEDDED_DEFAULTS, SETTLE);
        Map<String, String> states = updraftBundleStates();
        assertTrue("every Updraft bundle is Active: " + states, states.values().stream().allMatch("Active"::equals));

        String listed = executeCommand("feature:list -i");
        assertTrue("feature:list -i shows updraft:\n" + listed, listed.matches("(?s).*\\bupdraft\\s.*"));
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
            uninstallFeatures("updraft");
            assertEquals("no Updraft bundle is left after uninstalling updraft", Map.of(), updraftBundleStates());
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
            restoreUpdraft();
        }
        assertEquals(withUpdraft, installedBundles());
    }

    @Test
    public void storageBackendCanBeRemovedAndAddedWhileCoreRuns() throws Exception {
        try {
            uninstallFeatures("updraft");
            installFeatures("updraft-core", "updraft-ledger-local");
            awaitBundlesActive(Set.of("org.updraft.api", "org.updraft.core", "org.updraft.ledger.local"), SETTLE);
            assertFalse("updraft-storage-local was not asked for", isFeatureInstalled("updraft-storage-local"));
            assertEquals("no store bundle without its feature", null, findBundle("org.updraft.storage.local"));

            Bundle core = findBundle("org.updraft.core");
            long coreId = core.getBundleId();
            installFeatures("updraft-storage-local");
            awaitBundlesActive(Set.of("org.updraft.storage.local"), SETTLE);
            Bundle coreAfter = findBundle("org.updraft.core");
            assertNotNull(coreAfter);
            assertEquals("core is the same bundle, not reinstalled", coreId, coreAfter.getBundleId());
            assertEquals(Bundle.ACTIVE, coreAfter.getState());

            uninstallFeatures("updraft-storage-local");
            assertEquals("the store bundle goes with its feature", null, findBundle("org.updraft.storage.local"));
            awaitBundlesActive(Set.of("org.updraft.api", "org.updraft.core", "org.updraft.ledger.local"), SETTLE);
        } finally {
            String[] partial = requestedUpdraftFeatures();
            if (partial.length > 0 && !isFeatureInstalled("updraft")) {
                uninstallFeatures(partial);
            }
            restoreUpdraft();
        }
    }

    /** Updraft features installed because someone asked for them, not as another feature's dependency. */
    private String[] requestedUpdraftFeatures() throws Exception {
        Set<String> names = new TreeSet<>();
        for (Feature feature : featuresService.listInstalledFeatures()) {
            if (feature.getName().startsWith("updraft") && featuresService.isRequired(feature)) {
                names.add(feature.getName());
            }
        }
        return names.toArray(new String[0]);
    }

    private void restoreUpdraft() throws Exception {
        if (!isFeatureInstalled("updraft")) {
            installFeatures("updraft");
        }
        awaitBundlesActive(EMBEDDED_DEFAULTS, SETTLE);
    }
}
