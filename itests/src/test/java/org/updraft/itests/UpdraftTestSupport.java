package org.updraft.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.keepRuntimeFolder;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.logLevel;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import javax.inject.Inject;

import org.apache.karaf.features.BootFinished;
import org.apache.karaf.features.Feature;
import org.apache.karaf.features.FeaturesService;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.junit.After;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.ProbeBuilder;
import org.ops4j.pax.exam.TestProbeBuilder;
import org.ops4j.pax.exam.karaf.options.LogLevelOption.LogLevel;
import org.ops4j.pax.exam.options.extra.VMOption;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.util.tracker.ServiceTracker;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutService;

/**
 * Base class for Pax Exam tests that run inside the Updraft distribution (karaf-assembly's archive).
 *
 * <p>Subclasses are annotated {@code @RunWith(PaxExam.class)} and {@code @ExamReactorStrategy(PerClass.class)}:
 * Karaf starts once per test class, so a test that changes installed features puts them back before it
 * ends. {@link #additionalOptions()} adds Pax Exam options (configuration, extra bundles) to the defaults.
 *
 * <p>Fields are injected inside Karaf once its boot features are installed. The helpers: shell commands
 * ({@link #executeCommand(String)}), features ({@link #installFeatures}, {@link #uninstallFeatures}),
 * services ({@link #waitForService}), bundles and Declarative Services components.
 */
public abstract class UpdraftTestSupport {

    /** The system property (set by the itests pom) holding the path of the distribution archive. */
    public static final String DISTRIBUTION_PROPERTY = "updraft.distribution";

    protected static final Duration SERVICE_TIMEOUT = Duration.ofSeconds(30);
    protected static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

    /**
     * The CoAP port chosen for the container's device API (loopback). Only meaningful where the options are
     * built, outside the container: inside it this class is loaded again and draws another number, so tests
     * ask {@link #coapPort()}.
     */
    private static final int COAP_PORT = freeUdpPort();

    /** Prefix of every Updraft bundle's symbolic name. */
    protected static final String UPDRAFT_BUNDLE_PREFIX = "org.updraft.";

    @Inject
    protected BundleContext bundleContext;

    @Inject
    protected FeaturesService featuresService;

    @Inject
    protected SessionFactory sessionFactory;

    @Inject
    protected ConfigurationAdmin configurationAdmin;

    /** Injected only once Karaf has installed its boot features, so tests never see a half-booted Karaf. */
    @Inject
    protected BootFinished bootFinished;

    private final List<ServiceTracker<?, ?>> trackers = new ArrayList<>();
    private final ExecutorService commandRunner = Executors.newCachedThreadPool();

    @ProbeBuilder
    public TestProbeBuilder probeConfiguration(TestProbeBuilder probe) {
        // The test classes run in a bundle of their own; let them see whatever the container exports.
        probe.setHeader(Constants.DYNAMICIMPORT_PACKAGE, "*");
        return probe;
    }

    @Configuration
    public Option[] config() {
        return OptionUtils.combine(distributionOptions(), additionalOptions());
    }

    /** Options a test class adds to the defaults, e.g. {@code editConfigurationFilePut(...)}. */
    protected Option[] additionalOptions() {
        return new Option[0];
    }

    @After
    public void releaseTestResources() {
        trackers.forEach(ServiceTracker::close);
        trackers.clear();
        commandRunner.shutdownNow();
    }

    // ---------------------------------------------------------------- container

    private Option[] distributionOptions() {
        File archive = distributionArchive();
        String karafVersion = requiredProperty("karaf.version");
        String localRepository = System.getProperty("maven.repo.local",
                Paths.get(System.getProperty("user.home"), ".m2", "repository").toString());
        List<Option> options = new ArrayList<>(List.of(
                karafDistributionConfiguration()
                        .frameworkUrl(archive.toURI().toString())
                        .name("Updraft")
                        .unpackDirectory(new File("target/exam"))
                        .useDeployFolder(false),
                configureConsole().ignoreLocalConsole(),
                logLevel(LogLevel.INFO),
                CoreOptions.systemTimeout(Duration.ofMinutes(3).toMillis()),
                // Random ports: several containers may run on this machine at once.
                editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshPort", Integer.toString(freePort())),
                editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshHost", "127.0.0.1"),
                editConfigurationFilePut("etc/org.updraft.transport.coap.cfg", "port", Integer.toString(COAP_PORT)),
                editConfigurationFilePut("etc/org.updraft.transport.coap.cfg", "bind.address", "127.0.0.1"),
                // unencrypted CoAP for libcoap's notls client and the raw datagrams some tests send; the demo's
                // fleet speaks DTLS, the default
                editConfigurationFilePut("etc/org.updraft.transport.coap.cfg", "plain.enabled", "true"),
                // DTLS on a free port too: 5684 may be another container's
                editConfigurationFilePut("etc/org.updraft.transport.coap.cfg", "dtls.port", "0"),
                // Pax Exam's own bundles come from the build's local repository.
                editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg",
                        "org.ops4j.pax.url.mvn.localRepository", localRepository),
                editConfigurationFilePut("etc/org.apache.karaf.features.cfg", "updateSnapshots", "none"),
                editConfigurationFilePut("etc/branding.properties", "welcome", ""),
                editConfigurationFilePut("etc/branding-ssh.properties", "welcome", "")));
        if (Boolean.getBoolean("updraft.itest.keep")) {
            options.add(keepRuntimeFolder());
        }
        options.addAll(java17ModuleFlags(karafVersion));
        return options.toArray(new Option[0]);
    }

    /**
     * The flags Karaf's own bin/karaf passes on Java 9+: Pax Exam starts java itself, not the script.
     * Paths are relative to the unpacked distribution, the container's working directory.
     */
    private static List<Option> java17ModuleFlags(String karafVersion) {
        List<String> flags = List.of(
                "--add-reads=java.xml=java.logging",
                "--add-exports=java.base/org.apache.karaf.specs.locator=java.xml,ALL-UNNAMED",
                "--patch-module", "java.base=lib/endorsed/org.apache.karaf.specs.locator-" + karafVersion + ".jar",
                "--patch-module", "java.xml=lib/endorsed/org.apache.karaf.specs.java.xml-" + karafVersion + ".jar",
                "--add-opens", "java.base/java.security=ALL-UNNAMED",
                "--add-opens", "java.base/java.net=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "--add-opens", "java.base/java.util=ALL-UNNAMED",
                "--add-opens", "java.naming/javax.naming.spi=ALL-UNNAMED",
                "--add-opens", "java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.file=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.ftp=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.content.text=ALL-UNNAMED",
                "--add-exports=jdk.xml.dom/org.w3c.dom.html=ALL-UNNAMED",
                "--add-exports=jdk.naming.rmi/com.sun.jndi.url.rmi=ALL-UNNAMED",
                "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
                "--add-exports=java.security.sasl/com.sun.security.sasl=ALL-UNNAMED",
                "--add-exports=java.naming/com.sun.jndi.ldap=ALL-UNNAMED",
                // With -classpath among the VM options Pax Exam leaves the class path to us; jdk9plus holds JAXB.
                "-classpath", String.join(File.pathSeparator, "lib/jdk9plus/*", "lib/boot/*"));
        return flags.stream().map(VMOption::new).collect(Collectors.toList());
    }

    /** The distribution archive built by karaf-assembly. */
    public static File distributionArchive() {
        File archive = new File(requiredProperty(DISTRIBUTION_PROPERTY));
        if (!archive.isFile()) {
            throw new IllegalStateException(DISTRIBUTION_PROPERTY + " names " + archive
                    + ", which does not exist: build karaf-assembly first (./mvnw verify from the top directory)");
        }
        return archive;
    }

    static String requiredProperty(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank() || value.startsWith("${")) {
            throw new IllegalStateException("system property " + name
                    + " is not set: run the integration tests through Maven (./mvnw verify)");
        }
        return value;
    }

    /** A TCP port nobody listens on right now. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free TCP port", e);
        }
    }

    /** The port the container's CoAP device API was configured with. */
    protected int coapPort() throws IOException, InvalidSyntaxException {
        org.osgi.service.cm.Configuration[] found =
                configurationAdmin.listConfigurations("(service.pid=org.updraft.transport.coap)");
        if (found == null || found.length == 0 || found[0].getProperties() == null) {
            throw new AssertionError("the CoAP transport has no configuration in this container");
        }
        return Integer.parseInt(String.valueOf(found[0].getProperties().get("port")).trim());
    }

    /** A UDP port nobody uses right now. */
    public static int freeUdpPort() {
        try (java.net.DatagramSocket socket = new java.net.DatagramSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free UDP port", e);
        }
    }

    // ---------------------------------------------------------------- shell

    /** Runs a shell command as the console would and returns what it printed; fails the test if it fails. */
    protected String executeCommand(String command) {
        return executeCommand(command, COMMAND_TIMEOUT);
    }

    protected String executeCommand(String command, Duration timeout) {
        waitForCommand(command, timeout);
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
        Session session = sessionFactory.create(new ByteArrayInputStream(new byte[0]), out, out);
        Future<Object> running = commandRunner.submit(() -> session.execute(command));
        try {
            Object result = running.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (result != null) {
                out.println(result);
            }
            return output.toString(StandardCharsets.UTF_8);
        } catch (TimeoutException e) {
            running.cancel(true);
            throw new AssertionError("command '" + command + "' did not finish within " + timeout
                    + "; it printed:\n" + output.toString(StandardCharsets.UTF_8));
        } catch (ExecutionException e) {
            throw new AssertionError("command '" + command + "' failed: " + e.getCause()
                    + "\nit printed:\n" + output.toString(StandardCharsets.UTF_8), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running '" + command + "'", e);
        } finally {
            session.close();
        }
    }

    /**
     * Runs a shell command that must fail, as the console would, and returns the error message the operator
     * sees; fails the test if the command succeeds.
     */
    protected String executeCommandExpectingFailure(String command) {
        try {
            String output = executeCommand(command);
            throw new AssertionError("command '" + command + "' should have failed, but printed:\n" + output);
        } catch (AssertionError e) {
            if (e.getCause() == null) {
                throw e;
            }
            return String.valueOf(e.getCause().getMessage());
        }
    }

    /** Commands are services too: a feature's commands appear a moment after it is installed. */
    private void waitForCommand(String command, Duration timeout) {
        String first = command.trim().split("\\s+", 2)[0];
        int colon = first.indexOf(':');
        String scope = colon > 0 ? first.substring(0, colon) : "*";
        String name = colon > 0 ? first.substring(colon + 1) : first;
        await("command " + first + " to be registered", timeout,
                () -> sessionFactory.getRegistry().getCommand(scope, name) != null);
    }

    // ---------------------------------------------------------------- services

    /** Every event of {@code type} on the platform's ledger, oldest first. */
    protected List<LedgerEntry> ledgerEvents(String type) throws Exception {
        Ledger ledger = waitForService(Ledger.class);
        List<LedgerEntry> found = new ArrayList<>();
        long size = ledger.size();
        for (long i = 0; i < size; i += 1000) {
            for (LedgerEntry entry : ledger.read(i, 1000)) {
                if (entry.event().type().equals(type)) {
                    found.add(entry);
                }
            }
        }
        return found;
    }

    /**
     * Waits for a service of {@code type} matching {@code filter} (LDAP syntax, or null) and returns it.
     * The service stays tracked until the test ends.
     */
    /** The id of the one service of that class and filter (fails when there are none or several). */
    protected long serviceId(String objectClass, String filter) {
        List<ServiceReference<?>> refs = serviceReferences(objectClass, filter);
        if (refs.size() != 1) {
            fail(refs.size() + " services " + objectClass + " " + filter + "\n" + componentReport());
        }
        return (Long) refs.get(0).getProperty("service.id");
    }

    protected <T> T waitForService(Class<T> type, String filter, Duration timeout) {
        return type.cast(waitForService(type.getName(), filter, timeout));
    }

    /**
     * The same by class name. A test that uninstalls the bundle exporting the service's package must use
     * this form: once the test bundle loads a class of that package, uninstalling it makes Karaf refresh
     * the test bundle, and the test loses its BundleContext.
     */
    protected Object waitForService(String objectClass, String filter, Duration timeout) {
        String byClass = "(" + Constants.OBJECTCLASS + "=" + objectClass + ")";
        String combined = filter == null || filter.isBlank() ? byClass : "(&" + byClass + filter + ")";
        Filter osgiFilter;
        try {
            osgiFilter = FrameworkUtil.createFilter(combined);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("bad service filter " + combined + ": " + e.getMessage(), e);
        }
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(bundleContext, osgiFilter, null);
        tracker.open(true);
        trackers.add(tracker);
        try {
            Object service = tracker.waitForService(timeout.toMillis());
            if (service == null) {
                fail("no service " + combined + " within " + timeout + "\n" + componentReport());
            }
            return service;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + combined, e);
        }
    }

    /** References to the services registered under {@code objectClass} (matching {@code filter}, or null) now. */
    protected List<ServiceReference<?>> serviceReferences(String objectClass, String filter) {
        try {
            ServiceReference<?>[] references = bundleContext.getAllServiceReferences(objectClass, filter);
            return references == null ? List.of() : List.of(references);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("bad service filter " + filter + ": " + e.getMessage(), e);
        }
    }

    protected <T> T waitForService(Class<T> type) {
        return waitForService(type, null, SERVICE_TIMEOUT);
    }

    // ---------------------------------------------------------------- features and bundles

    /**
     * The features service running now, looked up each time: a feature install that refreshes Karaf's features bundle
     * restarts the service, and the instance injected at the start would refuse work with its executor terminated
     * (seen once in McubootProfileIT, which then left its feature installed for the next test).
     */
    protected FeaturesService features() {
        return waitForService(FeaturesService.class);
    }

    protected void installFeatures(String... names) throws Exception {
        features().installFeatures(new LinkedHashSet<>(Arrays.asList(names)), EnumSet.noneOf(FeaturesService.Option.class));
        for (String name : names) {
            assertTrue("feature " + name + " should be installed", isFeatureInstalled(name));
        }
        awaitFeatureConfigsSettled(names);
    }

    /**
     * Waits until file install has taken up the configurations the features wrote to etc/, and Declarative Services
     * has given them to the components. Karaf creates a feature's {@code <config>} in Config Admin and writes it to
     * etc/; up to a second later file install reads that file and updates the configuration once more (adding its
     * file name), and every component of that PID without a modified method is deactivated and activated again. A
     * test that calls such a component in between finds it gone for a moment (the REST API answered 200, then 404;
     * a shell command found the DDI transport not running).
     */
    private void awaitFeatureConfigsSettled(String... names) throws Exception {
        Set<String> pids = new TreeSet<>();
        for (String name : names) {
            Feature feature = features().getFeature(name);
            if (feature != null) {
                feature.getConfigurations().forEach(c -> pids.add(c.getName()));
            }
        }
        for (String pid : pids) {
            Path file = Paths.get(System.getProperty("karaf.etc"), pid + ".cfg");
            if (!Files.exists(file)) {
                continue;
            }
            await("file install to take up " + file + " and its components to have it", Duration.ofSeconds(30),
                    () -> {
                        try {
                            org.osgi.service.cm.Configuration[] found =
                                    configurationAdmin.listConfigurations("(service.pid=" + pid + ")");
                            return found != null && found[0].getProperties() != null
                                    && found[0].getProperties().get(FILE_INSTALL_NAME) != null
                                    && componentsHave(pid);
                        } catch (Exception e) {
                            return false;
                        }
                    }, this::componentReport);
        }
    }

    private static final String FILE_INSTALL_NAME = "felix.fileinstall.filename";

    /**
     * Sets properties in etc/{@code pid}.cfg, as an operator edits the file a feature wrote, and waits until Config
     * Admin has them. File install handles its configuration events after the fact: when the file changes while it
     * still handles its own last read of it, it writes Config Admin's state back over the edit (MqttTransportIT and
     * LorawanDemoIT found their broker settings gone, once, in the same CI run). So the edit is made again until it
     * holds.
     */
    protected void editConfigFile(String pid, Map<String, String> values) throws Exception {
        Path cfg = Paths.get(System.getProperty("karaf.etc"), pid + ".cfg");
        await("the feature's " + cfg, Duration.ofSeconds(30), () -> Files.exists(cfg));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            String text = Files.readString(cfg);
            for (Map.Entry<String, String> e : values.entrySet()) {
                String line = e.getKey() + " = " + e.getValue();
                java.util.regex.Pattern setting = java.util.regex.Pattern.compile(
                        "(?m)^" + java.util.regex.Pattern.quote(e.getKey()) + "\\s*=.*$");
                text = setting.matcher(text).find()
                        ? setting.matcher(text).replaceAll(java.util.regex.Matcher.quoteReplacement(line))
                        : text + (text.endsWith("\n") ? "" : "\n") + line + "\n";
            }
            Files.writeString(cfg, text);
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < until) {
                if (configurationHas(pid, values)) {
                    return;
                }
                Thread.sleep(100);
            }
            if (System.nanoTime() > deadline) {
                fail("Config Admin never took up " + values + " from " + cfg + ":\n" + Files.readString(cfg));
            }
        }
    }

    private boolean configurationHas(String pid, Map<String, String> values) throws Exception {
        org.osgi.service.cm.Configuration[] found = configurationAdmin.listConfigurations("(service.pid=" + pid + ")");
        if (found == null || found[0].getProperties() == null) {
            return false;
        }
        for (Map.Entry<String, String> e : values.entrySet()) {
            if (!e.getValue().equals(String.valueOf(found[0].getProperties().get(e.getKey())))) {
                return false;
            }
        }
        return true;
    }

    /** Whether every component configured by {@code pid} has its configuration as file install left it, and runs. */
    private boolean componentsHave(String pid) {
        ServiceComponentRuntime scr = waitForService(ServiceComponentRuntime.class);
        for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs()) {
            if (!Arrays.asList(description.configurationPid).contains(pid) || !scr.isComponentEnabled(description)) {
                continue;
            }
            for (ComponentConfigurationDTO configuration : scr.getComponentConfigurationDTOs(description)) {
                boolean running = configuration.state == ComponentConfigurationDTO.ACTIVE
                        || configuration.state == ComponentConfigurationDTO.SATISFIED && !description.immediate
                        || configuration.state == ComponentConfigurationDTO.UNSATISFIED_REFERENCE;
                if (configuration.properties.get(FILE_INSTALL_NAME) == null || !running) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Withdraws the request for these features; one that another installed feature needs stays installed. */
    protected void uninstallFeatures(String... names) throws Exception {
        features().uninstallFeatures(new LinkedHashSet<>(Arrays.asList(names)), EnumSet.noneOf(FeaturesService.Option.class));
        for (String name : names) {
            Feature feature = features().getFeature(name);
            assertTrue("feature " + name + " should no longer be requested",
                    feature == null || !features().isRequired(feature));
        }
    }

    protected boolean isFeatureInstalled(String name) throws Exception {
        for (Feature feature : features().listInstalledFeatures()) {
            if (feature.getName().equals(name)) {
                return true;
            }
        }
        return false;
    }

    protected Bundle findBundle(String symbolicName) {
        for (Bundle bundle : bundleContext.getBundles()) {
            if (symbolicName.equals(bundle.getSymbolicName())) {
                return bundle;
            }
        }
        return null;
    }

    /** Symbolic name → state of every installed Updraft bundle. */
    protected Map<String, String> updraftBundleStates() {
        Map<String, String> states = new TreeMap<>();
        for (Bundle bundle : bundleContext.getBundles()) {
            if (bundle.getSymbolicName() != null && bundle.getSymbolicName().startsWith(UPDRAFT_BUNDLE_PREFIX)) {
                states.put(bundle.getSymbolicName(), stateName(bundle.getState()));
            }
        }
        return states;
    }

    /** Symbolic name/version of every installed bundle: what a clean uninstall must return to. */
    protected Set<String> installedBundles() {
        Set<String> ids = new TreeSet<>();
        for (Bundle bundle : bundleContext.getBundles()) {
            ids.add(bundle.getSymbolicName() + "/" + bundle.getVersion());
        }
        return ids;
    }

    /** Waits until each named bundle is installed and ACTIVE. */
    protected void awaitBundlesActive(Set<String> symbolicNames, Duration timeout) {
        await("bundles " + symbolicNames + " to be Active", timeout, () -> symbolicNames.stream().allMatch(name -> {
            Bundle bundle = findBundle(name);
            return bundle != null && bundle.getState() == Bundle.ACTIVE;
        }), () -> "Updraft bundles: " + updraftBundleStates());
    }

    static String stateName(int state) {
        switch (state) {
            case Bundle.UNINSTALLED: return "Uninstalled";
            case Bundle.INSTALLED: return "Installed";
            case Bundle.RESOLVED: return "Resolved";
            case Bundle.STARTING: return "Starting";
            case Bundle.STOPPING: return "Stopping";
            case Bundle.ACTIVE: return "Active";
            default: return "State " + state;
        }
    }

    // ---------------------------------------------------------------- Declarative Services

    /**
     * Components of Updraft bundles that cannot work: activation threw, or a mandatory reference has no
     * service. Components waiting for a required configuration are not counted.
     */
    protected List<String> brokenUpdraftComponents() {
        ServiceComponentRuntime scr = waitForService(ServiceComponentRuntime.class);
        List<String> broken = new ArrayList<>();
        for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs()) {
            if (!description.bundle.symbolicName.startsWith(UPDRAFT_BUNDLE_PREFIX)) {
                continue;
            }
            if (!scr.isComponentEnabled(description)) {
                continue;
            }
            for (ComponentConfigurationDTO configuration : scr.getComponentConfigurationDTOs(description)) {
                if (configuration.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                    broken.add(description.name + ": activation failed: " + configuration.failure);
                } else if (configuration.state == ComponentConfigurationDTO.UNSATISFIED_REFERENCE) {
                    broken.add(description.name + ": unsatisfied references "
                            + Arrays.stream(configuration.unsatisfiedReferences)
                                    .map(r -> r.name + " " + r.target).collect(Collectors.toList()));
                }
            }
        }
        return broken;
    }

    /** Components of Updraft bundles whose activation threw. */
    protected List<String> failedUpdraftComponents() {
        return brokenUpdraftComponents().stream().filter(c -> c.contains(": activation failed: "))
                .collect(Collectors.toList());
    }

    /** Every component of every Updraft bundle, with its state: for failure messages. */
    protected String componentReport() {
        ServiceReference<ServiceComponentRuntime> reference = bundleContext.getServiceReference(ServiceComponentRuntime.class);
        ServiceComponentRuntime scr = reference == null ? null : bundleContext.getService(reference);
        if (scr == null) {
            return "(no ServiceComponentRuntime)";
        }
        try {
            StringBuilder report = new StringBuilder("Updraft components:");
            for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs()) {
                if (description.bundle.symbolicName.startsWith(UPDRAFT_BUNDLE_PREFIX)) {
                    report.append("\n  ").append(description.name).append(':');
                    for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(description)) {
                        report.append(' ').append(componentStateName(c.state));
                    }
                }
            }
            return report.toString();
        } finally {
            bundleContext.ungetService(reference);
        }
    }

    static String componentStateName(int state) {
        switch (state) {
            case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION: return "unsatisfied-configuration";
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE: return "unsatisfied-reference";
            case ComponentConfigurationDTO.SATISFIED: return "satisfied";
            case ComponentConfigurationDTO.ACTIVE: return "active";
            case ComponentConfigurationDTO.FAILED_ACTIVATION: return "failed-activation";
            default: return "state-" + state;
        }
    }

    // ---------------------------------------------------------------- waiting

    protected static void await(String what, Duration timeout, BooleanSupplier condition) {
        await(what, timeout, condition, () -> "");
    }

    protected static void await(String what, Duration timeout, BooleanSupplier condition,
            Supplier<String> diagnostics) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("gave up waiting " + timeout + " for " + what + ". " + diagnostics.get());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what, e);
            }
        }
    }

    /** Reads a file of the running Karaf (relative to karaf.base), e.g. {@code data/log/karaf.log}. */
    protected String readKarafFile(String relativePath) throws IOException {
        Path path = Paths.get(System.getProperty("karaf.base"), relativePath);
        return Files.readString(path);
    }

    /**
     * Rolls a release of device profile {@code profile} out to {@code devices} simulated devices of that profile,
     * as an operator does with {@code updraft:demo --profile}: the profile's feature must be installed. Checks
     * that every device installed the release through its bootloader and confirmed it, that the release was
     * published with the profile (checked by it at publish), that the registry has the devices on it, and that
     * the demo removed its class's configuration from the profile.
     *
     * @return the demo's output
     */
    protected String rollOutProfile(String profile, String configurationPid, int devices, String... options)
            throws Exception {
        String out = executeCommand("updraft:demo --profile " + profile + " --devices " + devices
                + " --quiet --loss 0 --offline 0 --boot-failures 0 --success 100 --timeout 300 "
                + String.join(" ", options),
                Duration.ofMinutes(6));
        assertTrue(out, out.contains("devices    " + devices + ": " + devices + " updated, 0 failed, 0 rolled back"));
        assertTrue(out, out.contains("images     " + devices + " of " + devices + " devices that installed run an "
                + "image with the release's SHA-256"));
        assertTrue(out, out.contains(", each confirmed"));
        Matcher rolloutLine = Pattern.compile("rollout    (\\S+) completed").matcher(out);
        assertTrue(out, rolloutLine.find());
        Rollout rollout = waitForService(RolloutService.class).find(rolloutLine.group(1)).orElseThrow();
        Release release = waitForService(ReleaseService.class).find(rollout.releaseId()).orElseThrow();
        assertEquals(profile, release.profile());
        DeviceRegistry registry = waitForService(DeviceRegistry.class);
        assertEquals(out, devices, registry.count(new DeviceFilter(release.vendor(), release.deviceClass(), profile,
                Set.of(), null, "[2.0.0,)")));
        org.osgi.service.cm.Configuration[] left = configurationAdmin.listConfigurations("(service.factoryPid="
                + configurationPid + ")");
        assertNull("the demo left its class's configuration", left);
        return out;
    }
}
