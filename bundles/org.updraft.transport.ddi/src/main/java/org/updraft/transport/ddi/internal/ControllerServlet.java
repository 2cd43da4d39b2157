package org.updraft.transport.ddi.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.DeviceState;
import org.updraft.api.device.RegistryException;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.ObjectNotFoundException;
import org.updraft.api.store.StoreException;
import org.updraft.api.update.ReportReceipt;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.api.update.UpdateException;
import org.updraft.api.update.UpdateService;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.json.JsonReader;
import org.updraft.core.serving.CountedRefusals;
import org.updraft.core.update.DeviceIds;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.DeviceReports;
import org.updraft.core.update.UpdateAnswers;

/**
 * The hawkBit DDI v1 controller API of one tenant, below {@code /{tenant}/controller/v1/} (docs/ddi-api.md). Every
 * request carries a TargetToken of its device or the tenant's GatewayToken; the device must be registered. The
 * base poll asks the {@link UpdateService} what the device should install, as a CoAP or MQTT check does (the
 * sequence it runs is the registry's: DDI clients do not say), and shows a rollout's offer as an action. Feedback
 * becomes a device report signed with the transport's report key, which DDI devices are registered with, and which
 * names the token that let the feedback in.
 *
 * <p>Errors are {@code application/problem+json} with the platform's reason code; nothing is written for a request
 * that is refused.
 */
final class ControllerServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ControllerServlet.class);
    static final String JSON = "application/json;charset=UTF-8";
    static final String PROBLEM = "application/problem+json";
    static final String MANIFEST_FILE = "manifest.cose";
    static final String OFFER_FILE = "offer.cbor";
    private static final int COPY_BYTES = 64 * 1024;

    /** What the servlet works with; the services may come and go while it runs (null when absent). */
    record Platform(UpdateService updates, Supplier<DeviceRegistry> registry, Supplier<FirmwareStore> store,
            Supplier<RolloutService> rollouts, Supplier<Tokens> tokens, DeviceKeys deviceKeys, Duration pollingSleep,
            boolean signedArtifacts, boolean requestConfigData, int maxRequestBytes, RateLimit rateLimit,
            Clock clock) {
    }

    /** A refusal: its HTTP status, the platform's reason code and a message for the device's log. */
    static final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;
        final String code;

        Refusal(int status, String code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }

    private final transient Platform platform;
    private final transient Actions actions = new Actions();
    private final transient ImageDigests digests = new ImageDigests();
    private final transient Map<String, Map<String, String>> configData = new ConcurrentHashMap<>();
    private final transient CountedRefusals unauthorized = new CountedRefusals(ControllerServlet.class,
            "DDI refused a request with a wrong or no token");
    private final transient CountedRefusals refused = new CountedRefusals(ControllerServlet.class,
            "DDI refused a request");
    private final transient LongAdder requests = new LongAdder();
    private final transient LongAdder reports = new LongAdder();
    /** The last report counter used: reports of one device must have rising counters, across restarts too. */
    private final transient AtomicLong counter = new AtomicLong();

    ControllerServlet(Platform platform) {
        this.platform = platform;
    }

    long requests() {
        return requests.sum();
    }

    long unauthorized() {
        return unauthorized.total();
    }

    String unauthorizedByKind() {
        return unauthorized.summary();
    }

    long reports() {
        return reports.sum();
    }

    /** The attributes a device last sent with PUT configData (kept in memory only). */
    Map<String, String> configData(String device) {
        return configData.getOrDefault(device, Map.of());
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        requests.increment();
        String path = req.getPathInfo() == null ? "" : req.getPathInfo();
        String[] parts = path.startsWith("/") ? path.substring(1).split("/", -1) : new String[] {""};
        try {
            String device = parts[0];
            if (device.isEmpty() || !DeviceIds.isValid(device)) {
                throw new Refusal(404, "not-found", "no controller id in " + req.getRequestURI());
            }
            Tokens.Caller caller;
            try {
                caller = platform.tokens().get().authorize(req.getHeader("Authorization"), device);
            } catch (Tokens.Unauthorized e) {
                unauthorized.refused(e.kind(), "for " + device + " from " + req.getRemoteAddr() + ": "
                        + e.getMessage());
                throw new Refusal(401, "unauthorized", e.getMessage());
            }
            if (!platform.rateLimit().admit(caller.label() + "/" + device)) {
                throw new Refusal(429, "rate-limited", "more requests than " + caller.kind()
                        + " may make a second for " + device + "; retry in a second");
            }
            route(req, resp, parts, device, caller);
        } catch (Refusal r) {
            if (r.status != 401) {
                refused.refused(r.code, req.getMethod() + " " + req.getRequestURI() + ": " + r.getMessage());
            }
            problem(resp, r);
        } catch (RuntimeException e) {
            LOG.warn("DDI request {} {} failed", req.getMethod(), req.getRequestURI(), e);
            problem(resp, new Refusal(500, "internal", "internal error (" + e.getClass().getSimpleName()
                    + "); the platform's log has the details"));
        }
    }

    private void route(HttpServletRequest req, HttpServletResponse resp, String[] p, String device,
            Tokens.Caller caller) throws Refusal, IOException {
        String method = req.getMethod();
        if (p.length == 1) {
            need(method, "GET");
            basePoll(req, resp, device);
        } else if (p.length == 3 && p[1].equals("deploymentBase")) {
            need(method, "GET");
            deployment(req, resp, device, actionId(p[2]), false);
        } else if (p.length == 4 && p[1].equals("deploymentBase") && p[3].equals("feedback")) {
            need(method, "POST");
            feedback(req, resp, device, actionId(p[2]), caller);
        } else if (p.length == 3 && p[1].equals("installedBase")) {
            need(method, "GET");
            deployment(req, resp, device, actionId(p[2]), true);
        } else if (p.length == 3 && p[1].equals("cancelAction")) {
            need(method, "GET");
            cancelAction(resp, device, actionId(p[2]));
        } else if (p.length == 4 && p[1].equals("cancelAction") && p[3].equals("feedback")) {
            need(method, "POST");
            cancelFeedback(req, resp, device, actionId(p[2]));
        } else if (p.length == 2 && p[1].equals("configData")) {
            need(method, "PUT");
            configData(req, resp, device);
        } else if (p.length == 5 && p[1].equals("softwaremodules") && p[3].equals("artifacts")) {
            if (!method.equals("GET") && !method.equals("HEAD")) {
                throw new Refusal(405, "method-not-allowed", method + " is not allowed here: GET or HEAD");
            }
            download(req, resp, device, actionId(p[2]), p[4], method.equals("HEAD"));
        } else {
            throw new Refusal(404, "not-found", "the DDI API has no resource " + req.getRequestURI());
        }
    }

    // --- the base poll ---

    private void basePoll(HttpServletRequest req, HttpServletResponse resp, String device)
            throws Refusal, IOException {
        Device d = registered(device);
        UpdateAnswer answer = check(d);
        String base = base(req, device);
        Map<String, Object> links = new LinkedHashMap<>();
        Duration sleep = platform.pollingSleep();
        if (answer instanceof UpdateAnswer.Offer offer) {
            Actions.Action action = actions.offered(device, offer);
            // the tag changes the link when the offer changes (a new checkpoint, say), as hawkBit's ?c= does
            links.put("deploymentBase", href(base + "/deploymentBase/" + action.id + "?c="
                    + ImageDigests.hex(offer.tag())));
        } else {
            UpdateAnswer.NoUpdate none = (UpdateAnswer.NoUpdate) answer;
            Duration retry = none.retryAfter();
            if (retry != null && retry.compareTo(sleep) < 0 && !retry.isNegative()) {
                sleep = retry.isZero() ? Duration.ofSeconds(1) : retry;
            }
            Optional<Actions.Action> last = actions.last(device);
            if (last.isPresent()) {
                Actions.Action a = last.get();
                if (!a.finished() && !a.cancelAcknowledged && cancelled(a.offer.rolloutId())) {
                    links.put("cancelAction", href(base + "/cancelAction/" + a.id));
                } else if (a.reported == DeviceState.INSTALLED) {
                    links.put("installedBase", href(base + "/installedBase/" + a.id));
                }
            }
        }
        if (platform.requestConfigData()) {
            links.put("configData", href(base + "/configData"));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("config", Map.of("polling", Map.of("sleep", sleep(sleep))));
        body.put("_links", links);
        json(req, resp, body);
    }

    private boolean cancelled(String rolloutId) {
        RolloutService rollouts = platform.rollouts().get();
        if (rollouts == null) {
            return false;
        }
        return rollouts.find(rolloutId).map(Rollout::state).filter(s -> s == RolloutState.CANCELLED).isPresent();
    }

    /** HH:MM:SS, hours beyond 99 kept as they are. */
    static String sleep(Duration d) {
        long s = Math.max(0, d.getSeconds());
        return String.format("%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }

    // --- deployments ---

    private void deployment(HttpServletRequest req, HttpServletResponse resp, String device, long actionId,
            boolean installed) throws Refusal, IOException {
        Device d = registered(device);
        Actions.Action action = installed ? installedAction(d, actionId) : action(d, actionId);
        Release release = action.offer.release();
        FirmwareStore store = store();
        ImageDigests.Digests image = digests(release, store);
        String base = base(req, device);
        String files = base + "/softwaremodules/" + action.id + "/artifacts/";
        List<Object> artifacts = new ArrayList<>();
        String imageName = imageName(release, image);
        artifacts.add(artifact(imageName, release.size(), image.sha1(), image.md5(), image.sha256(), files));
        if (platform.signedArtifacts()) {
            byte[] manifest = release.manifest();
            artifacts.add(artifact(MANIFEST_FILE, manifest, files));
            if (!installed) {
                artifacts.add(artifact(OFFER_FILE, offerBytes(d, action), files));
            }
        }
        Map<String, Object> chunk = new LinkedHashMap<>();
        chunk.put("part", "os");
        chunk.put("version", release.version());
        chunk.put("name", release.vendor() + "/" + release.deviceClass());
        chunk.put("artifacts", artifacts);
        Map<String, Object> deployment = new LinkedHashMap<>();
        deployment.put("download", "forced");
        deployment.put("update", "forced");
        deployment.put("chunks", List.of(chunk));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", Long.toString(action.id));
        body.put("deployment", deployment);
        json(req, resp, body);
    }

    static String imageName(Release release, ImageDigests.Digests image) {
        String name = release.vendor() + "-" + release.deviceClass() + "-" + release.version();
        return name.replaceAll("[^A-Za-z0-9._-]", "_") + image.extension();
    }

    private static Map<String, Object> artifact(String name, byte[] content, String files) {
        return artifact(name, content.length, ImageDigests.hex(ImageDigests.digest("SHA-1").digest(content)),
                ImageDigests.hex(ImageDigests.digest("MD5").digest(content)),
                ImageDigests.hex(ImageDigests.digest("SHA-256").digest(content)), files);
    }

    private static Map<String, Object> artifact(String name, long size, String sha1, String md5, String sha256,
            String files) {
        Map<String, Object> hashes = new LinkedHashMap<>();
        hashes.put("sha1", sha1);
        hashes.put("md5", md5);
        hashes.put("sha256", sha256);
        Map<String, Object> links = new LinkedHashMap<>();
        links.put("download", href(files + name));
        links.put("download-http", href(files + name));
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("filename", name);
        a.put("hashes", hashes);
        a.put("size", size);
        a.put("_links", links);
        return a;
    }

    /** The offer as a CoAP device receives it, with a statement for this device: what a verifying client checks. */
    private byte[] offerBytes(Device d, Actions.Action action) throws Refusal {
        UpdateException[] failed = new UpdateException[1];
        byte[] bytes = actions.offerBytes(action, platform.clock().instant(), () -> {
            try {
                return UpdateAnswers.encode(action.offer, platform.updates().statement(d.id(), action.offer,
                        new byte[0]));
            } catch (UpdateException e) {
                failed[0] = e;
                return null;
            }
        });
        if (failed[0] != null) {
            throw refusal(failed[0]);
        }
        return bytes;
    }

    /** The device's action with this id: its current offer, or the last one it was shown. */
    private Actions.Action action(Device d, long actionId) throws Refusal {
        Optional<Actions.Action> known = actions.find(d.id(), actionId);
        if (known.isPresent()) {
            return known.get();
        }
        UpdateAnswer answer = check(d);
        if (answer instanceof UpdateAnswer.Offer offer) {
            Actions.Action current = actions.offered(d.id(), offer);
            if (current.id == actionId) {
                return current;
            }
        }
        throw new Refusal(404, "no-action", "action " + actionId + " is not an action of device " + d.id());
    }

    private Actions.Action installedAction(Device d, long actionId) throws Refusal {
        Optional<Actions.Action> known = actions.find(d.id(), actionId);
        if (known.isPresent() && known.get().reported == DeviceState.INSTALLED) {
            return known.get();
        }
        throw new Refusal(404, "no-action", "action " + actionId + " is not an installed action of device "
                + d.id());
    }

    // --- feedback ---

    private void feedback(HttpServletRequest req, HttpServletResponse resp, String device, long actionId,
            Tokens.Caller caller) throws Refusal, IOException {
        byte[] body = body(req);
        Feedback feedback;
        DeviceState state;
        try {
            feedback = Feedback.parse(body);
            state = feedback.state().orElse(null);
        } catch (IllegalArgumentException e) {
            throw new Refusal(400, "malformed", "bad feedback: " + e.getMessage());
        }
        Device d = registered(device);
        Actions.Action action = action(d, actionId);
        SigningKey key = platform.deviceKeys().of(device);
        if (!d.publicKey().equals(key.did())) {
            // a device with a key of its own signs its reports itself; the transport must not speak for it
            throw new Refusal(403, "not-ddi-device", "device " + device + " is registered with a key of its own, "
                    + "not its DDI report key " + key.did() + " (updraft:ddi-device-key " + device
                    + "): its reports must be signed by it (CoAP or MQTT)");
        }
        if (state == null || !actions.advances(action, state)) {
            resp.setStatus(200);
            return;
        }
        Release release = action.offer.release();
        boolean installed = state == DeviceState.INSTALLED;
        String via = "(ddi " + caller.label() + ")";
        String reason = state.isFailure() ? feedback.reason(DeviceReport.MAX_REASON - via.length() - 1) + " " + via
                : via;
        Instant now = platform.clock().instant();
        DeviceReport report = new DeviceReport(device, action.offer.rolloutId(), release.id(), state, reason,
                installed ? release.version() : d.installedVersion(),
                installed ? release.sequence() : d.installedSequence(), now, nextCounter(now));
        ReportReceipt receipt;
        try {
            receipt = platform.updates().report(DeviceReports.sign(report, key));
        } catch (UpdateException e) {
            throw refusal(e);
        }
        actions.reported(action, state);
        reports.increment();
        LOG.info("DDI feedback of {} on action {} ({}): {} (ledger index {})", device, action.id, release.id(),
                state.wireName(), receipt.ledgerIndex());
        resp.setStatus(200);
    }

    /** Rising with every report, and above every counter of an earlier run: milliseconds since 1970 at least. */
    private long nextCounter(Instant now) {
        return counter.updateAndGet(last -> Math.max(last + 1, now.toEpochMilli()));
    }

    private void cancelAction(HttpServletResponse resp, String device, long actionId) throws Refusal, IOException {
        registered(device);
        Actions.Action a = actions.find(device, actionId).filter(x -> cancelled(x.offer.rolloutId()))
                .orElseThrow(() -> new Refusal(404, "no-action", "action " + actionId + " of device " + device
                        + " is not cancelled"));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", Long.toString(a.id));
        body.put("cancelAction", Map.of("stopId", Long.toString(a.id)));
        send(resp, 200, JSON, JsonText.write(body).getBytes(StandardCharsets.UTF_8));
    }

    private void cancelFeedback(HttpServletRequest req, HttpServletResponse resp, String device, long actionId)
            throws Refusal, IOException {
        byte[] body = body(req);
        try {
            Feedback.parse(body);
        } catch (IllegalArgumentException e) {
            throw new Refusal(400, "malformed", "bad feedback: " + e.getMessage());
        }
        registered(device);
        Actions.Action a = actions.find(device, actionId).orElseThrow(() -> new Refusal(404, "no-action",
                "action " + actionId + " is not an action of device " + device));
        actions.cancelAcknowledged(a);
        resp.setStatus(200);
    }

    private void configData(HttpServletRequest req, HttpServletResponse resp, String device)
            throws Refusal, IOException {
        byte[] body = body(req);
        Map<String, String> data = new LinkedHashMap<>();
        String mode;
        try {
            Map<String, Object> root = JsonReader.object(JsonReader.parse(body), "the configData");
            Object m = root.getOrDefault("mode", "merge");
            if (!(m instanceof String s) || !List.of("merge", "replace", "remove").contains(s)) {
                throw new IllegalArgumentException("mode must be merge, replace or remove");
            }
            mode = (String) m;
            Object dv = root.get("data");
            if (dv == null) {
                throw new IllegalArgumentException("the configData has no 'data'");
            }
            for (Map.Entry<String, Object> e : JsonReader.object(dv, "data").entrySet()) {
                if (!(e.getValue() instanceof String value)) {
                    throw new IllegalArgumentException("data." + e.getKey() + " is not a JSON string");
                }
                data.put(e.getKey(), value);
            }
        } catch (IllegalArgumentException e) {
            throw new Refusal(400, "malformed", "bad configData: " + e.getMessage());
        }
        registered(device);
        configData.compute(device, (k, old) -> {
            Map<String, String> next = new LinkedHashMap<>(old == null || mode.equals("replace") ? Map.of() : old);
            if (mode.equals("remove")) {
                data.keySet().forEach(next::remove);
            } else {
                next.putAll(data);
            }
            return Map.copyOf(next);
        });
        resp.setStatus(200);
    }

    // --- downloads ---

    private void download(HttpServletRequest req, HttpServletResponse resp, String device, long actionId,
            String file, boolean head) throws Refusal, IOException {
        Device d = registered(device);
        Actions.Action action = action(d, actionId);
        Release release = action.offer.release();
        if (file.equals(MANIFEST_FILE) && platform.signedArtifacts()) {
            sendRange(req, resp, release.manifest(), head);
            return;
        }
        if (file.equals(OFFER_FILE) && platform.signedArtifacts()) {
            byte[] shown = actions.offerBytesShown(action);
            sendRange(req, resp, shown != null ? shown : offerBytes(d, action), head);
            return;
        }
        FirmwareStore store = store();
        ImageDigests.Digests image = digests(release, store);
        if (!file.equals(imageName(release, image))) {
            throw new Refusal(404, "not-found", "action " + actionId + " has no artifact " + file);
        }
        long size = release.size();
        long[] range = range(req.getHeader("Range"), size);
        long from = range == null ? 0 : range[0];
        long length = range == null ? size : range[1] - range[0] + 1;
        resp.setHeader("Accept-Ranges", "bytes");
        resp.setHeader("ETag", "\"" + image.sha256() + "\"");
        resp.setContentType("application/octet-stream");
        resp.setContentLengthLong(length);
        if (range != null) {
            resp.setStatus(206);
            resp.setHeader("Content-Range", "bytes " + from + "-" + (from + length - 1) + "/" + size);
        } else {
            resp.setStatus(200);
        }
        if (head || length == 0) {
            return;
        }
        long sent = 0;
        try (InputStream in = store.get(release.cid(), from, length)) {
            OutputStream out = resp.getOutputStream();
            byte[] buffer = new byte[COPY_BYTES];
            int n;
            while (sent < length && (n = in.read(buffer, 0, (int) Math.min(buffer.length, length - sent))) > 0) {
                out.write(buffer, 0, n);
                sent += n;
            }
        } catch (ObjectNotFoundException e) {
            throw new Refusal(503, "unavailable", "the firmware store does not hold " + release.cid());
        } catch (StoreException e) {
            throw new Refusal(503, "unavailable", "the firmware store failed: " + e.getMessage());
        } finally {
            if (sent > 0) {
                try {
                    platform.updates().bytesServed(release.id(), sent);
                } catch (RuntimeException e) {
                    LOG.debug("Counting bytes served of {} failed", release.id(), e);
                }
            }
        }
    }

    private static void sendRange(HttpServletRequest req, HttpServletResponse resp, byte[] content, boolean head)
            throws Refusal, IOException {
        long[] range = range(req.getHeader("Range"), content.length);
        resp.setHeader("Accept-Ranges", "bytes");
        if (range == null) {
            if (head) {
                resp.setContentType("application/octet-stream");
                resp.setContentLength(content.length);
                return;
            }
            send(resp, 200, "application/octet-stream", content);
            return;
        }
        resp.setHeader("Content-Range", "bytes " + range[0] + "-" + range[1] + "/" + content.length);
        byte[] part = java.util.Arrays.copyOfRange(content, (int) range[0], (int) range[1] + 1);
        if (head) {
            resp.setStatus(206);
            resp.setContentType("application/octet-stream");
            resp.setContentLength(part.length);
            return;
        }
        send(resp, 206, "application/octet-stream", part);
    }

    /**
     * The one byte range a {@code Range} header asks for, as {first, last} inclusive; null for the whole (no
     * header, or several ranges, which a server may answer whole).
     *
     * @throws Refusal 416 when the range is not within the content, 400 when the header is not a byte range
     */
    static long[] range(String header, long size) throws Refusal {
        if (header == null) {
            return null;
        }
        String h = header.strip();
        if (!h.startsWith("bytes=")) {
            throw new Refusal(400, "malformed", "Range '" + header + "' is not a byte range (bytes=FIRST-LAST)");
        }
        String spec = h.substring(6).strip();
        if (spec.contains(",")) {
            return null;
        }
        int dash = spec.indexOf('-');
        if (dash < 0) {
            throw new Refusal(400, "malformed", "Range '" + header + "' has no '-'");
        }
        try {
            String a = spec.substring(0, dash).strip();
            String b = spec.substring(dash + 1).strip();
            long first;
            long last;
            if (a.isEmpty()) {
                long suffix = Long.parseLong(b);
                if (suffix <= 0) {
                    throw unsatisfiable(header, size);
                }
                first = Math.max(0, size - suffix);
                last = size - 1;
            } else {
                first = Long.parseLong(a);
                last = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
            }
            if (first < 0 || first >= size || last < first) {
                throw unsatisfiable(header, size);
            }
            return new long[] {first, last};
        } catch (NumberFormatException e) {
            throw new Refusal(400, "malformed", "Range '" + header + "' is not a byte range (bytes=FIRST-LAST)");
        }
    }

    private static Refusal unsatisfiable(String header, long size) {
        return new Refusal(416, "bad-range", "Range '" + header + "' is not within the " + size + " bytes");
    }

    // --- shared ---

    private static void need(String method, String allowed) throws Refusal {
        if (!method.equals(allowed)) {
            throw new Refusal(405, "method-not-allowed", method + " is not allowed here: " + allowed);
        }
    }

    private static long actionId(String text) throws Refusal {
        try {
            long id = Long.parseLong(text);
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new Refusal(404, "no-action", "'" + text + "' is not an action id");
    }

    private Device registered(String device) throws Refusal {
        DeviceRegistry registry = platform.registry().get();
        if (registry == null) {
            throw new Refusal(503, "unavailable", "no device registry is running; retry later");
        }
        try {
            return registry.find(device).orElseThrow(() -> new Refusal(404, "unknown-device", "device " + device
                    + " is not registered"));
        } catch (RegistryException e) {
            throw new Refusal(503, "unavailable", "the device registry failed: " + e.getMessage());
        }
    }

    private UpdateAnswer check(Device d) throws Refusal {
        try {
            return platform.updates().check(d.id(), d.installedSequence());
        } catch (UpdateException e) {
            throw refusal(e);
        }
    }

    private FirmwareStore store() throws Refusal {
        FirmwareStore store = platform.store().get();
        if (store == null) {
            throw new Refusal(503, "unavailable", "no firmware store is running; retry later");
        }
        return store;
    }

    private ImageDigests.Digests digests(Release release, FirmwareStore store) throws Refusal {
        try {
            return digests.of(release, store);
        } catch (ObjectNotFoundException e) {
            throw new Refusal(503, "unavailable", "the firmware store does not hold " + release.cid());
        } catch (StoreException e) {
            throw new Refusal(503, "unavailable", "the firmware store failed: " + e.getMessage());
        } catch (IOException e) {
            LOG.error("Refusing to offer {} over DDI: {}", release.id(), e.getMessage());
            throw new Refusal(503, "image-mismatch", e.getMessage());
        }
    }

    static Refusal refusal(UpdateException e) {
        int status = switch (e.code()) {
            case "unknown-device" -> 404;
            case "malformed", "bad-range" -> 400;
            case "bad-signature", "forbidden" -> 403;
            case "unavailable" -> 503;
            default -> 409;
        };
        return new Refusal(status, e.code(), e.getMessage());
    }

    private byte[] body(HttpServletRequest req) throws Refusal, IOException {
        int max = platform.maxRequestBytes();
        long declared = req.getContentLengthLong();
        if (declared > max) {
            throw new Refusal(413, "too-large", "the body has " + declared + " bytes, more than the " + max
                    + " accepted");
        }
        byte[] body = req.getInputStream().readNBytes(max + 1);
        if (body.length > max) {
            throw new Refusal(413, "too-large", "the body has more than the " + max + " bytes accepted");
        }
        if (body.length == 0) {
            throw new Refusal(400, "malformed", "the request has no body");
        }
        return body;
    }

    private static String base(HttpServletRequest req, String device) {
        String host = req.getHeader("Host");
        if (host == null || host.isBlank() || !host.matches("[A-Za-z0-9.:\\[\\]-]+")) {
            host = req.getServerName() + ":" + req.getServerPort();
        }
        return req.getScheme() + "://" + host + req.getContextPath() + req.getServletPath() + "/" + device;
    }

    private static Map<String, Object> href(String url) {
        return Map.of("href", url);
    }

    /** A JSON answer with its ETag; 304 when the device's If-None-Match names it. */
    private static void json(HttpServletRequest req, HttpServletResponse resp, Map<String, Object> body)
            throws IOException {
        byte[] bytes = JsonText.write(body).getBytes(StandardCharsets.UTF_8);
        String etag = "\"" + ImageDigests.hex(ImageDigests.digest("SHA-256").digest(bytes)).substring(0, 32) + "\"";
        resp.setHeader("ETag", etag);
        String ifNoneMatch = req.getHeader("If-None-Match");
        if (ifNoneMatch != null) {
            for (String t : ifNoneMatch.split(",")) {
                String tag = t.strip();
                if (tag.startsWith("W/")) {
                    tag = tag.substring(2);
                }
                if (tag.equals(etag) || tag.equals("*")) {
                    resp.setStatus(304);
                    return;
                }
            }
        }
        send(resp, 200, JSON, bytes);
    }

    private static void send(HttpServletResponse resp, int status, String type, byte[] bytes) throws IOException {
        resp.setStatus(status);
        resp.setContentType(type);
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }

    private static void problem(HttpServletResponse resp, Refusal r) throws IOException {
        if (resp.isCommitted()) {
            return; // a download cut off: the device resumes it with a Range request
        }
        resp.reset(); // no header of an answer begun (a Content-Range, an ETag) stays on the refusal
        switch (r.status) {
            case 401 -> resp.setHeader("WWW-Authenticate", "TargetToken");
            case 429 -> resp.setHeader("Retry-After", "1");
            case 503 -> resp.setHeader("Retry-After", "30");
            default -> {
                // no header to add
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("title", r.code);
        body.put("status", (long) r.status);
        body.put("detail", r.getMessage());
        send(resp, r.status, PROBLEM, JsonText.write(body).getBytes(StandardCharsets.UTF_8));
    }
}
