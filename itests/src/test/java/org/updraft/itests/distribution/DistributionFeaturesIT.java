package org.updraft.itests.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Updraft's features on the distribution as shipped, unpacked the way a user unpacks it ({@code tar -xzf
 * updraft-karaf-*.tar.gz -C DIR}) into a directory whose path has a space, and with no Maven repository but
 * its own {@code system/} (no remote repository, an empty {@code user.home}):
 * <ul>
 * <li>every feature of the Updraft features repository, with everything it names, is in {@code system/};</li>
 * <li>every feature the distribution does not boot (found with {@code feature:list}, so that features added
 *     later are covered) installs with its bundles started, and uninstalls leaving exactly the bundles that ran
 *     before, none of them refreshed, with {@code updraft:status} answering;</li>
 * <li>the embedded defaults boot as the parts of {@code updraft}, so that a backend can be uninstalled while
 *     the rest keeps running, and installed again.</li>
 * </ul>
 *
 * <p>What "started" means for a feature's bundles: OSGi state ACTIVE, which {@code bundle:list} shows as
 * {@code Active}, or {@code Waiting} when a Declarative Services component of the started bundle lacks what it
 * needs — a backend that talks to a server (an EVM chain, an IPFS node) without one configured here. The test
 * prints {@code bundle:diag} of such bundles.
 */
public class DistributionFeaturesIT {

    private static final String FEATURES_REPOSITORY = "mvn:org.updraft/updraft-features/";
    /** The pattern karaf-assembly's installedFeatures puts into system/. */
    private static final String INSTALLED_PATTERN = "updraft";
    private static final String UMBRELLA = "updraft";
    private static final Duration SETTLE = Duration.ofSeconds(30);

    private static KarafProcess karaf;

    @BeforeClass
    public static void unpackAndStart() throws Exception {
        Path parent = Files.createTempDirectory(KarafProcess.distributionsDirectory(), "unpacked anywhere ");
        karaf = KarafProcess.unpackInto(parent);
        karaf.start();
    }

    @AfterClass
    public static void cleanUp() throws Exception {
        if (karaf != null) {
            karaf.close();
        }
    }

    /** The copy resolves artifacts from system/ only; KarafProcess's settings must really be in force. */
    @Test
    public void resolvesArtifactsFromItsSystemFolderOnly() throws Exception {
        assertTrue("the copy's path has a space: " + karaf.home(), karaf.home().toString().contains(" "));
        assertEquals(karaf.userHome().toString(), karaf.execute("system:property user.home").strip());
        String repositories = karaf.execute(
                "config:property-get -p org.ops4j.pax.url.mvn org.ops4j.pax.url.mvn.repositories");
        assertEquals("no remote repository", "", repositories.strip());
        String local = karaf.execute(
                "config:property-get -p org.ops4j.pax.url.mvn org.ops4j.pax.url.mvn.localRepository");
        assertTrue("the local repository is the copy's own: " + local, local.contains("data"));
        assertFalse("nothing made a Maven repository in the empty user.home",
                Files.exists(karaf.userHome().resolve(".m2")));

        // The offline tool runs from the same path
        KarafProcess.Result cid = karaf.run("bin/updraft", "cid", karaf.home().resolve("etc/users.properties").toString());
        assertEquals(cid.output(), 0, cid.exitCode());
        assertTrue(cid.output(), cid.output().strip().startsWith("Qm"));
    }

    /**
     * Static check of the archive: every feature of the Updraft repository is booted or matches the pattern
     * installed into system/, and every bundle and file it (or a feature it depends on) names is in system/.
     */
    @Test
    public void everyFeatureOfTheRepositoryIsInTheSystemFolder() throws Exception {
        Repositories repositories = Repositories.load(karaf.home().resolve("system"));
        Set<String> booted = bootFeatures();
        List<String> problems = new ArrayList<>();
        for (String feature : repositories.updraftFeatureNames()) {
            if (!feature.startsWith(INSTALLED_PATTERN) && !booted.contains(feature)) {
                problems.add("feature " + feature + " is neither booted nor matched by installedFeatures ("
                        + INSTALLED_PATTERN + "*) in karaf-assembly/pom.xml");
            }
            for (String location : repositories.locationsNeededBy(feature, problems)) {
                Path file = karaf.home().resolve("system").resolve(mavenPath(location));
                if (!Files.isRegularFile(file)) {
                    problems.add("feature " + feature + " needs " + location + ", which is not in system/");
                }
            }
        }
        assertEquals("the distribution's system/ misses:\n" + String.join("\n", problems), List.of(), problems);
        assertTrue("the repository has features: " + repositories.updraftFeatureNames(),
                repositories.updraftFeatureNames().contains(UMBRELLA));
    }

    /**
     * The distribution boots the parts of `updraft`, each asked for on its own, not `updraft`: each can then be
     * uninstalled, and `updraft` installed on top changes nothing.
     */
    @Test
    public void bootsThePartsOfTheUmbrellaFeature() throws Exception {
        Repositories repositories = Repositories.load(karaf.home().resolve("system"));
        Set<String> parts = repositories.dependencies(UMBRELLA);
        Set<String> bootedUpdraft = bootFeatures().stream().filter(f -> repositories.updraftFeatureNames().contains(f))
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals("featuresBoot names exactly the features `updraft` names (karaf-assembly/pom.xml bootFeatures)",
                parts, bootedUpdraft);

        Map<String, String> features = updraftFeatures();
        String required = karaf.execute("feature:list -r --no-format");
        for (String part : parts) {
            assertEquals(part + " runs", "Started", features.get(part));
            assertTrue(part + " is required on its own:\n" + required, required.matches("(?s)(.*\\n)?" + part + "\\s.*"));
        }
        assertEquals("`updraft` itself is not installed", "Uninstalled", features.get(UMBRELLA));
    }

    /** The operator swaps a backend out and in again: README "Features", on the shipped distribution. */
    @Test
    public void theLocalStoreCanBeUninstalledWhileTheRestRunsAndInstalledAgain() throws Exception {
        Map<Long, Bundle> before = bundles();
        assertTrue(karaf.execute("updraft:status").contains("local: available"));

        karaf.execute("feature:uninstall updraft-storage-local");
        try {
            swappedOut(before);
        } finally {
            // the other tests of the class expect the store back, whatever failed above
            karaf.client("feature:install updraft-storage-local", KarafProcess.COMMAND_TIMEOUT);
        }
    }

    private void swappedOut(Map<Long, Bundle> before) throws Exception {
        Map<Long, Bundle> without = bundles();
        Map<Long, Bundle> expected = new TreeMap<>(before);
        expected.values().removeIf(b -> b.symbolicName().equals("org.updraft.storage.local"));
        assertEquals("only the store's bundle went, the rest runs as before", expected, without);

        KarafProcess.Result status = karaf.client("updraft:status", KarafProcess.COMMAND_TIMEOUT);
        assertNotEquals("updraft:status fails while the preferred store is missing:\n" + status.output(),
                0, status.exitCode());
        assertTrue("it names the missing store and its feature:\n" + status.output(),
                status.output().contains("not running: store local (feature updraft-storage-local)"));
        assertTrue("and still reports the rest:\n" + status.output(), status.output().contains("ledger    local:"));

        karaf.execute("feature:install updraft-storage-local");
        await("the local store to serve again", () -> {
            KarafProcess.Result again = karaf.client("updraft:status", KarafProcess.COMMAND_TIMEOUT);
            return again.exitCode() == 0 && again.output().contains("local: available")
                    && again.output().contains("firmware store local serves");
        });
        Map<Long, Bundle> after = bundles();
        assertEquals("the others still the same bundles", expected,
                withoutSymbolicName(after, "org.updraft.storage.local"));
        assertEquals("the store is back and Active", "Active", bySymbolicName(after, "org.updraft.storage.local").state());
    }

    @Test
    public void everyOptionalFeatureInstallsWithItsBundlesStartedAndUninstallsLeavingTheRestRunning() throws Exception {
        Map<String, String> features = updraftFeatures();
        Set<String> optional = features.entrySet().stream().filter(e -> e.getValue().equals("Uninstalled"))
                .map(Map.Entry::getKey).collect(Collectors.toCollection(TreeSet::new));
        Set<String> inRepository = Repositories.load(karaf.home().resolve("system")).updraftFeatureNames();
        assertEquals("feature:list shows every feature of the repository", inRepository, features.keySet());
        assertFalse("some feature is not booted: " + features, optional.isEmpty());
        System.out.println("[DistributionFeaturesIT] optional features: " + optional);

        List<String> problems = new ArrayList<>();
        Map<Long, Bundle> running = bundles();
        for (String feature : optional) {
            long begin = System.nanoTime();
            running = installAndUninstall(feature, running, problems);
            System.out.println("[DistributionFeaturesIT] " + feature + ": install and uninstall in "
                    + (System.nanoTime() - begin) / 1_000_000 + " ms");
        }
        assertEquals(String.join("\n", problems), List.of(), problems);
        assertFalse("nothing made a Maven repository in the empty user.home",
                Files.exists(karaf.userHome().resolve(".m2")));
    }

    /** Returns the bundles afterwards. */
    private Map<Long, Bundle> installAndUninstall(String feature, Map<Long, Bundle> before, List<String> problems)
            throws Exception {
        int logMark = karaf.karafLog().size();

        Step install = step("feature:install " + feature);
        if (install.failure() != null) {
            problems.add(feature + ": " + install.failure());
            return bundles();
        }
        Map<Long, Bundle> added = new TreeMap<>(install.bundles());
        added.keySet().removeAll(before.keySet());
        for (Bundle bundle : added.values()) {
            if (bundle.state().equals("Waiting")) {
                System.out.println("[DistributionFeaturesIT] " + feature + ": " + bundle.symbolicName()
                        + " is started, a component waits:\n" + karaf.execute("bundle:diag " + bundle.id()));
            } else if (!bundle.state().equals("Active") && !isFragment(bundle)) {
                problems.add(feature + ": bundle " + bundle + " is not started:\n" + karaf.execute("bundle:diag " + bundle.id()));
            }
        }
        Map<Long, Bundle> kept = new TreeMap<>(install.bundles());
        kept.keySet().retainAll(before.keySet());
        if (!kept.equals(before)) {
            problems.add(feature + ": installing it changed bundles that ran before: before " + before.values()
                    + ", after " + kept.values());
        }
        Set<String> addedNames = added.values().stream().map(Bundle::symbolicName).collect(Collectors.toSet());
        List<String> log = karaf.karafLog();
        List<String> newLog = log.subList(logMark, log.size());
        List<String> disturbed = Stream.concat(DeploymentLog.stopped(newLog).stream(),
                        DeploymentLog.refreshed(newLog).stream())
                .filter(entry -> !addedNames.contains(DeploymentLog.symbolicName(entry))).toList();
        if (!disturbed.isEmpty()) {
            problems.add(feature + ": installing it stopped or refreshed bundles that ran before: " + disturbed);
        }

        logMark = log.size();
        Step uninstall = step("feature:uninstall " + feature);
        if (uninstall.failure() != null) {
            problems.add(feature + ": " + uninstall.failure());
            return bundles();
        }
        if (!uninstall.bundles().equals(before)) {
            problems.add(feature + ": uninstalling it does not leave the bundles that ran before: before "
                    + before.values() + ", after " + uninstall.bundles().values());
        }
        log = karaf.karafLog();
        newLog = log.subList(logMark, log.size());
        disturbed = Stream.concat(DeploymentLog.stopped(newLog).stream(), DeploymentLog.refreshed(newLog).stream())
                .filter(entry -> !addedNames.contains(DeploymentLog.symbolicName(entry))).toList();
        if (!disturbed.isEmpty()) {
            problems.add(feature + ": uninstalling it stopped or refreshed bundles that stay: " + disturbed);
        }
        return uninstall.bundles();
    }

    /** The bundles after a feature command, or why the command or the {@code updraft:status} after it failed. */
    private record Step(Map<Long, Bundle> bundles, String failure) {
    }

    private static final String BUNDLES_MARK = "UPDRAFT-ITEST-BUNDLES";
    private static final String STATUS_MARK = "UPDRAFT-ITEST-STATUS";

    /**
     * Runs {@code command}, then {@code bundle:list} and {@code updraft:status}, in one bin/client session: each
     * session starts a JVM, which costs seconds on a busy machine.
     */
    private static Step step(String command) throws Exception {
        KarafProcess.Result result = karaf.client(command + "; echo " + BUNDLES_MARK + "; bundle:list -t 0 -s --no-format; echo "
                + STATUS_MARK + "; updraft:status", KarafProcess.COMMAND_TIMEOUT);
        String out = result.output();
        int bundlesAt = out.indexOf(BUNDLES_MARK);
        int statusAt = out.indexOf(STATUS_MARK);
        if (bundlesAt < 0) {
            return new Step(Map.of(), "'" + command + "' failed (exit " + result.exitCode() + "): " + out.strip());
        }
        if (statusAt < 0) {
            return new Step(Map.of(), "bundle:list failed after '" + command + "': " + out.strip());
        }
        if (result.exitCode() != 0) {
            return new Step(Map.of(), "updraft:status fails after '" + command + "': " + out.substring(statusAt).strip());
        }
        return new Step(parseBundles(out.substring(bundlesAt, statusAt)), null);
    }

    // ---------------------------------------------------------------- reading the distribution

    /** A bundle as {@code bundle:list -t 0 -s} shows it. */
    record Bundle(long id, String state, String symbolicName, String version) {
        @Override
        public String toString() {
            return id + " " + symbolicName + "/" + version + " " + state;
        }
    }

    /** A fragment is never started: attached to its host, it stays Resolved. */
    private static boolean isFragment(Bundle bundle) throws Exception {
        return karaf.execute("bundle:headers " + bundle.id()).contains("Fragment-Host");
    }

    /** Every bundle by id ({@code bundle:list -t 0 -s --no-format}: id, state, level, version, symbolic name). */
    private static Map<Long, Bundle> bundles() throws Exception {
        return parseBundles(karaf.execute("bundle:list -t 0 -s --no-format"));
    }

    private static Map<Long, Bundle> parseBundles(String listing) {
        Map<Long, Bundle> bundles = new TreeMap<>();
        for (String line : listing.split("\\R")) {
            String[] columns = line.split("\t");
            if (columns.length == 5 && columns[0].strip().matches("\\d+")) {
                long id = Long.parseLong(columns[0].strip());
                bundles.put(id, new Bundle(id, columns[1].strip(), columns[4].strip(), columns[3].strip()));
            }
        }
        if (bundles.isEmpty()) {
            throw new AssertionError("bundle:list shows no bundle: " + listing);
        }
        return bundles;
    }

    private static Map<Long, Bundle> withoutSymbolicName(Map<Long, Bundle> bundles, String symbolicName) {
        Map<Long, Bundle> rest = new TreeMap<>(bundles);
        rest.values().removeIf(b -> b.symbolicName().equals(symbolicName));
        return rest;
    }

    private static Bundle bySymbolicName(Map<Long, Bundle> bundles, String symbolicName) {
        return bundles.values().stream().filter(b -> b.symbolicName().equals(symbolicName)).findFirst()
                .orElseThrow(() -> new AssertionError("no bundle " + symbolicName + " in " + bundles.values()));
    }

    /**
     * The features of the Updraft repository with their state, from {@code feature:list}: the repository is
     * found by its URL, so its name (updraft-VERSION) is not written here.
     */
    private static Map<String, String> updraftFeatures() throws Exception {
        String repositoryName = null;
        for (String line : karaf.execute("feature:repo-list --no-format").split("\\R")) {
            String[] columns = line.split("\t");
            if (columns.length == 2 && columns[1].strip().startsWith(FEATURES_REPOSITORY)) {
                repositoryName = columns[0].strip();
            }
        }
        if (repositoryName == null) {
            throw new AssertionError("no features repository " + FEATURES_REPOSITORY + "… in feature:repo-list");
        }
        Map<String, String> features = new TreeMap<>();
        for (String line : karaf.execute("feature:list --no-format --repository " + repositoryName).split("\\R")) {
            String[] columns = line.split("\t");
            if (columns.length >= 5 && columns[4].strip().equals(repositoryName)) {
                features.put(columns[0].strip(), columns[3].strip());
            }
        }
        return features;
    }

    /** Feature names in featuresBoot of etc/org.apache.karaf.features.cfg, versions dropped. */
    private static Set<String> bootFeatures() throws IOException {
        String cfg = Files.readString(karaf.home().resolve("etc/org.apache.karaf.features.cfg"));
        java.util.regex.Matcher boot = java.util.regex.Pattern.compile("(?m)^featuresBoot\\s*=((?:.*\\\\\\R)*.*)$").matcher(cfg);
        if (!boot.find()) {
            throw new AssertionError("no featuresBoot in etc/org.apache.karaf.features.cfg");
        }
        Set<String> names = new TreeSet<>();
        for (String entry : boot.group(1).replace("\\", " ").split("[,\\s]+")) {
            if (!entry.isBlank()) {
                names.add(entry.contains("/") ? entry.substring(0, entry.indexOf('/')) : entry);
            }
        }
        return names;
    }

    /** {@code mvn:group/artifact/version[/type[/classifier]]} to its path in a Maven repository layout. */
    static Path mavenPath(String location) {
        String url = location.strip();
        int mvn = url.indexOf("mvn:");
        if (mvn < 0) {
            throw new AssertionError("not a mvn: location: " + location);
        }
        url = url.substring(mvn + "mvn:".length());
        int options = url.indexOf('$');
        if (options >= 0) {
            url = url.substring(0, options);
        }
        String[] parts = url.split("/");
        if (parts.length < 3) {
            throw new AssertionError("not group/artifact/version: " + location);
        }
        String type = parts.length > 3 && !parts[3].isEmpty() ? parts[3] : "jar";
        String classifier = parts.length > 4 && !parts[4].isEmpty() ? "-" + parts[4] : "";
        String file = parts[1] + "-" + parts[2] + classifier + "." + type;
        return Path.of(parts[0].replace('.', '/'), parts[1], parts[2], file);
    }

    private static void await(String what, Check condition) throws Exception {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.holds()) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("timed out after " + SETTLE + " waiting for " + what);
    }

    @FunctionalInterface
    private interface Check {
        boolean holds() throws Exception;
    }

    /**
     * The features repositories in a system/ folder: the Updraft repository and those it names, recursively,
     * as far as they are there.
     */
    static final class Repositories {
        private final Map<String, Element> updraft = new LinkedHashMap<>();
        private final Map<String, Element> all = new LinkedHashMap<>();

        static Repositories load(Path system) throws Exception {
            Path dir = system.resolve("org/updraft/updraft-features");
            List<Path> xml;
            try (Stream<Path> files = Files.walk(dir)) {
                xml = files.filter(p -> p.getFileName().toString().endsWith("-features.xml")).toList();
            }
            if (xml.size() != 1) {
                throw new AssertionError("one Updraft features repository expected under " + dir + ": " + xml);
            }
            Repositories repositories = new Repositories();
            repositories.read(system, xml.get(0), true, new LinkedHashSet<>());
            return repositories;
        }

        private void read(Path system, Path file, boolean isUpdraft, Set<Path> seen) throws Exception {
            if (!seen.add(file) || !Files.isRegularFile(file)) {
                return;
            }
            Element root = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile()).getDocumentElement();
            for (Element child : children(root)) {
                if (child.getTagName().equals("feature")) {
                    String name = child.getAttribute("name");
                    all.putIfAbsent(name, child);
                    if (isUpdraft) {
                        updraft.put(name, child);
                    }
                } else if (child.getTagName().equals("repository")) {
                    read(system, system.resolve(mavenPath(child.getTextContent())), false, seen);
                }
            }
        }

        Set<String> updraftFeatureNames() {
            return new TreeSet<>(updraft.keySet());
        }

        /** Names of the features {@code feature} names directly. */
        Set<String> dependencies(String feature) {
            Element element = updraft.get(feature);
            if (element == null) {
                throw new AssertionError("no feature " + feature + " in the Updraft repository");
            }
            return children(element).stream().filter(c -> c.getTagName().equals("feature"))
                    .map(c -> c.getTextContent().strip()).collect(Collectors.toCollection(TreeSet::new));
        }

        /**
         * Bundles and files of {@code feature} (with its conditional ones) and of the features it depends on,
         * recursively (their conditional parts only when they are Updraft's: Karaf's own features have
         * conditions, e.g. webconsole, that Updraft never meets).
         */
        Set<String> locationsNeededBy(String feature, List<String> problems) {
            Set<String> locations = new TreeSet<>();
            collect(feature, locations, new LinkedHashSet<>(), problems);
            return locations;
        }

        private void collect(String feature, Set<String> locations, Set<String> visited, List<String> problems) {
            if (!visited.add(feature)) {
                return;
            }
            Element element = all.get(feature);
            if (element == null) {
                problems.add("feature " + feature + " is defined in no repository in system/");
                return;
            }
            boolean own = updraft.containsKey(feature);
            for (Element child : children(element)) {
                switch (child.getTagName()) {
                    case "bundle", "configfile" -> locations.add(child.getTextContent().strip());
                    case "feature" -> collect(child.getTextContent().strip(), locations, visited, problems);
                    case "conditional" -> {
                        if (own) {
                            for (Element inner : children(child)) {
                                if (inner.getTagName().equals("bundle")) {
                                    locations.add(inner.getTextContent().strip());
                                } else if (inner.getTagName().equals("feature")) {
                                    collect(inner.getTextContent().strip(), locations, visited, problems);
                                }
                            }
                        }
                    }
                    default -> {
                        // config, capability, requirement, details: nothing to fetch
                    }
                }
            }
        }

        private static List<Element> children(Element parent) {
            List<Element> children = new ArrayList<>();
            for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
                if (node instanceof Element element) {
                    children.add(element);
                }
            }
            return children;
        }
    }
}
