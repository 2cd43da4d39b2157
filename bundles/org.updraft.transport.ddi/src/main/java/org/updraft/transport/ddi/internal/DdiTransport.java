package org.updraft.transport.ddi.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Hashtable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.servlet.Servlet;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.transport.TransportStatus;
import org.updraft.api.update.UpdateService;
import org.updraft.core.config.DataPaths;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.KeyFileException;
import org.updraft.core.identity.KeyFiles;
import org.updraft.core.identity.SigningKey;

/**
 * The hawkBit DDI device API: registers {@link ControllerServlet} with the OSGi HTTP Whiteboard (Pax Web in Karaf)
 * at {@code /{tenant}/controller/v1/*}. It registers the servlet itself, as the pattern comes from the configured
 * tenant.
 */
@Component(service = {TransportStatus.class, DdiTransport.class}, configurationPid = DdiTransport.PID, immediate = true)
@Designate(ocd = DdiConfig.class)
public final class DdiTransport implements TransportStatus {

    /** Configuration PID: etc/org.updraft.transport.ddi.cfg. */
    public static final String PID = "org.updraft.transport.ddi";

    private static final Logger LOG = LoggerFactory.getLogger(DdiTransport.class);
    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern SLEEP = Pattern.compile("(\\d{2,}):([0-5]\\d):([0-5]\\d)");

    private final AtomicReference<FirmwareStore> store = new AtomicReference<>();
    private final AtomicReference<DeviceRegistry> registry = new AtomicReference<>();
    private final AtomicReference<RolloutService> rollouts = new AtomicReference<>();
    private final ControllerServlet servlet;
    private final TokenFiles tokens;
    private final String pattern;
    private final DeviceKeys deviceKeys;
    private final ServiceRegistration<Servlet> registration;

    @Activate
    public DdiTransport(DdiConfig config, BundleContext context, @Reference(name = "updates") UpdateService updates)
            throws IOException {
        String tenant = config.tenant() == null ? "" : config.tenant().strip();
        if (!TENANT.matcher(tenant).matches()) {
            throw new IllegalArgumentException("tenant '" + tenant + "' of " + PID
                    + " must be 1 to 64 letters, digits, '-' or '_'");
        }
        this.pattern = "/" + tenant + "/controller/v1";
        this.tokens = new TokenFiles(tokenFile(config.target_tokens_file(), "target.tokens.file"),
                tokenFile(config.gateway_token_file(), "gateway.token.file"), System::nanoTime);
        Tokens read = tokens.get();
        if (read.targetTokenCount() == 0 && !read.hasGatewayToken()) {
            LOG.warn("The DDI API {} has no target token and no gateway token: every request is refused "
                    + "(set target.tokens.file or gateway.token.file of {})", pattern, PID);
        }
        if (config.max_request_bytes() < 256) {
            throw new IllegalArgumentException("max.request.bytes of " + PID + " must be at least 256, not "
                    + config.max_request_bytes());
        }
        this.deviceKeys = new DeviceKeys(transportKey(DataPaths.resolve(config.key_file())));
        this.servlet = new ControllerServlet(new ControllerServlet.Platform(updates, registry::get, store::get,
                rollouts::get, tokens, deviceKeys, pollingSleep(config.polling_sleep()), config.signed_artifacts(),
                config.request_config_data(), config.max_request_bytes(),
                new RateLimit(config.max_requests_per_second(), System::nanoTime), Clock.systemUTC()));
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("osgi.http.whiteboard.servlet.pattern", pattern + "/*");
        props.put("osgi.http.whiteboard.servlet.name", "updraft-ddi-" + tenant);
        // the context is null outside a framework: tests serve the servlet themselves
        this.registration = context == null ? null : context.registerService(Servlet.class, servlet, props);
        LOG.info("hawkBit DDI API at {}/{{controllerId}} ({} target tokens, gateway token {})", pattern,
                read.targetTokenCount(), read.hasGatewayToken() ? "set" : "not set");
    }

    /** Outside a framework: the servlet is not registered; {@link #servlet()} gives it. */
    public DdiTransport(DdiConfig config, UpdateService updates) throws IOException {
        this(config, null, updates);
    }

    ControllerServlet servlet() {
        return servlet;
    }

    /**
     * The controller API's servlet, for serving it outside a framework (the benchmarks serve it on Jetty at
     * {@code /{tenant}/controller/v1/*}, as the whiteboard does).
     */
    public Servlet httpServlet() {
        return servlet;
    }

    /** The did:key a DDI device is registered with: the key its reports are signed with. */
    public String deviceKey(String deviceId) {
        return deviceKeys.of(deviceId).did();
    }

    static Duration pollingSleep(String text) {
        Matcher m = SLEEP.matcher(text == null ? "" : text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("polling.sleep of " + PID + " must be HH:MM:SS, not '" + text + "'");
        }
        Duration d = Duration.ofHours(Long.parseLong(m.group(1))).plusMinutes(Long.parseLong(m.group(2)))
                .plusSeconds(Long.parseLong(m.group(3)));
        if (d.isZero()) {
            throw new IllegalArgumentException("polling.sleep of " + PID + " must be at least 00:00:01");
        }
        return d;
    }

    private static Path tokenFile(String configured, String name) throws IOException {
        if (configured == null || configured.isBlank()) {
            return null;
        }
        Path file = DataPaths.resolveFromEtc(configured.strip());
        if (!Files.isReadable(file)) {
            throw new IOException(name + " of " + PID + ": cannot read " + file);
        }
        if (KeyFiles.openToOthers(file)) {
            LOG.warn("The DDI token file {} is readable by others; it should be readable by its owner only "
                    + "(chmod 600)", file);
        }
        return file;
    }

    private static SigningKey transportKey(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            KeyFiles.PlatformKey key = KeyFiles.readOrGenerate(file, KeyAlgorithm.ED25519);
            if (key.generated()) {
                LOG.info("Generated the DDI transport key {} into {}: DDI devices' report keys derive from it; "
                        + "back it up", key.key().did(), file);
            } else if (KeyFiles.openToOthers(file)) {
                LOG.warn("The DDI transport key file {} is readable by others; it should be readable by its owner "
                        + "only (chmod 600)", file);
            }
            return key.key();
        } catch (KeyFileException | IOException e) {
            throw new IllegalStateException("cannot use the DDI transport key " + file + ": " + e.getMessage(), e);
        }
    }

    @Reference(name = "store", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void bindStore(FirmwareStore bound) {
        store.set(bound);
    }

    public void unbindStore(FirmwareStore unbound) {
        store.compareAndSet(unbound, null);
    }

    @Reference(name = "registry", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, target = DeviceRegistry.SELECTED)
    public void bindRegistry(DeviceRegistry bound) {
        registry.set(bound);
    }

    public void unbindRegistry(DeviceRegistry unbound) {
        registry.compareAndSet(unbound, null);
    }

    @Reference(name = "rollouts", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void bindRollouts(RolloutService bound) {
        rollouts.set(bound);
    }

    public void unbindRollouts(RolloutService unbound) {
        rollouts.compareAndSet(unbound, null);
    }

    @Deactivate
    public void close() {
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException e) {
                // unregistered already: the bundle is stopping
            }
        }
    }

    @Override
    public String kind() {
        return "ddi";
    }

    @Override
    public String status() {
        String unauthorized = servlet.unauthorizedByKind();
        return "serving " + pattern + "/{controllerId} on the HTTP whiteboard; " + servlet.requests() + " requests, "
                + servlet.reports() + " reports; unauthorized " + servlet.unauthorized()
                + (unauthorized.isEmpty() ? "" : " (" + unauthorized + ")");
    }
}
