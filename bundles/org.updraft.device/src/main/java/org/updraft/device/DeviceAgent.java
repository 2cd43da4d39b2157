package org.updraft.device;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.BlockOption;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.network.Endpoint;
import org.eclipse.californium.elements.AddressEndpointContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.device.DeviceState;
import org.updraft.core.manifest.Expectations;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.MeasuredImage;
import org.updraft.core.manifest.VerificationException;
import org.updraft.core.manifest.VerifiedManifest;
import org.updraft.core.update.DeviceAnswer;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.DeviceReports;
import org.updraft.core.update.Enrollments;
import org.updraft.core.update.OfferVerifier;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.core.update.UpdateFormatException;
import org.updraft.device.internal.Exchanges;

/**
 * The reference device: what a device does to update itself over CoAP, step by step.
 * <ol>
 * <li>Check: {@code GET /check/{id}?seq=N}, sending the ETag of the last answer (a 2.03 Valid costs no
 * payload); poll again after the answer's Max-Age or the poll interval while nothing is offered.</li>
 * <li>Verify the offer with the shared {@link OfferVerifier} <em>before</em> downloading anything: checkpoint
 * under the provisioned log key, inclusion proof, manifest (signature, trusted signer, class, profile,
 * sequence newer than installed). A refusal is reported as {@code failed} with the failure code.</li>
 * <li>Report {@code downloading}; download {@code GET /fw/{cid}} block by block into the inactive slot, resuming
 * at the first missing block after lost exchanges or a spell offline, never from zero.</li>
 * <li>Report {@code downloaded}; check the image in the slot (size, SHA-256, CID) with
 * {@link VerifiedManifest#checkImage}; report {@code verified} or {@code failed}.</li>
 * <li>Mark the slot pending, reboot into it; the new image confirms itself and the device reports
 * {@code installed} with the new version, or the bootloader reverts and it reports {@code rolled-back}.</li>
 * </ol>
 * Reports are signed with the device key and numbered by the device's persistent counter; a report whose
 * answer is lost is resent byte for byte. Agents are asynchronous: thousands share a link's few threads.
 */
public final class DeviceAgent {

    private static final Logger LOG = LoggerFactory.getLogger(DeviceAgent.class);
    private static final Duration MIN_WAIT = Duration.ofMillis(50);

    private final SimulatedDevice device;
    private final CoapLink link;
    private final Endpoint endpoint;
    private final AddressEndpointContext platform;
    private final OfferVerifier verifier;
    private final int blockSize;
    private final int szx;
    private final Duration pollInterval;
    private final Duration retryDelay;
    private final int maxBlockFailures;
    private final int maxReportAttempts;
    private final AgentFaults faults;
    private final Map<String, byte[]> sharedImages;

    private volatile DeviceState state = DeviceState.IDLE;
    private volatile boolean stopped;
    private volatile boolean offlineSpellDone;
    private byte[] etag;
    private DeviceAnswer lastAnswer;

    private final AtomicLong bytesDownloaded = new AtomicLong();
    private final AtomicLong blockRequests = new AtomicLong();
    private final AtomicLong blockRetries = new AtomicLong();
    private final AtomicLong retransmissions = new AtomicLong();
    private final AtomicLong checks = new AtomicLong();
    private volatile int reportsUndelivered;

    private DeviceAgent(Builder b) {
        this.device = b.device;
        this.link = b.link;
        this.endpoint = link.assignEndpoint();
        this.platform = new AddressEndpointContext(link.platform());
        Provisioning p = device.provisioning();
        this.verifier = b.verifier != null ? b.verifier : new OfferVerifier(p.logKeyDid(), p.trust());
        this.blockSize = b.blockSize;
        this.szx = BlockOption.size2Szx(b.blockSize);
        this.pollInterval = b.pollInterval;
        this.retryDelay = b.retryDelay;
        this.maxBlockFailures = b.maxBlockFailures;
        this.maxReportAttempts = b.maxReportAttempts;
        this.faults = b.faults;
        this.sharedImages = b.sharedImages;
    }

    /** An agent for {@code device}, talking to the platform through {@code link}. */
    public static Builder builder(SimulatedDevice device, CoapLink link) {
        return new Builder(device, link);
    }

    public SimulatedDevice device() {
        return device;
    }

    /** Where the device stands: {@link DeviceState#IDLE} while it waits for an offer. */
    public DeviceState state() {
        return state;
    }

    /** Image bytes received so far, repeats included. */
    public long bytesDownloaded() {
        return bytesDownloaded.get();
    }

    /** Block requests repeated after CoAP gave up on an exchange. */
    public long blockRetries() {
        return blockRetries.get();
    }

    /** CoAP-level retransmissions of this device's requests. */
    public long retransmissions() {
        return retransmissions.get();
    }

    /** Update checks sent. */
    public long checks() {
        return checks.get();
    }

    /** Stops the agent at its next step; a running {@link #update()} completes exceptionally. */
    public void stop() {
        stopped = true;
    }

    /**
     * Registers the device with the platform by itself ({@code POST /enroll}, signed by its own key), for
     * platforms that register devices on request.
     *
     * @return completes when the platform created (or already had) the device; exceptionally with
     *         {@link DeviceAgentException} when it refuses (auto-registration off, id taken by another key)
     */
    public CompletableFuture<Void> enroll() {
        byte[] signed = Enrollments.sign(device.toEnrollment(Instant.now()), device.provisioning().key());
        return enrollAttempt(signed, 0);
    }

    private CompletableFuture<Void> enrollAttempt(byte[] signed, int attempt) {
        Request request = Request.newPost();
        request.getOptions().setUriPath("enroll");
        request.setPayload(signed);
        request.getOptions().setContentFormat(MediaTypeRegistry.APPLICATION_COSE_SIGN1);
        return send(request).handle((response, error) -> {
            if (error != null) {
                if (attempt + 1 >= maxReportAttempts) {
                    return CompletableFuture.<Void>failedFuture(new DeviceAgentException(
                            device.id() + ": enrollment unanswered after " + (attempt + 1) + " attempts"));
                }
                return after(retryDelay, () -> enrollAttempt(signed, attempt + 1));
            }
            if (response.isSuccess()) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            if (response.getCode() == ResponseCode.SERVICE_UNAVAILABLE && attempt + 1 < maxReportAttempts) {
                return after(maxAge(response, retryDelay), () -> enrollAttempt(signed, attempt + 1));
            }
            return CompletableFuture.<Void>failedFuture(new DeviceAgentException(device.id()
                    + ": the platform refused the enrollment: " + Exchanges.diagnostic(response)));
        }).thenCompose(f -> f);
    }

    /**
     * Runs one update: checks until a release is offered, then verifies, downloads, installs and reports it.
     *
     * @return completes with how it ended: installed, failed (refused or broken image, nothing installed) or
     *         rolled back; exceptionally with {@link DeviceAgentException} when the platform does not know the
     *         device or the agent was stopped
     */
    public CompletableFuture<UpdateOutcome> update() {
        stopped = false;
        return awaitOffer().thenCompose(this::install);
    }

    // ---- check ----

    private CompletableFuture<DeviceAnswer.Offer> awaitOffer() {
        state = DeviceState.IDLE;
        return check().thenCompose(answer -> {
            if (answer.answer() instanceof DeviceAnswer.Offer offer) {
                return CompletableFuture.completedFuture(offer);
            }
            return after(answer.pause(), this::awaitOffer);
        });
    }

    private record Checked(DeviceAnswer answer, Duration pause) {
    }

    private Request checkRequest(long sequence) {
        Request request = Request.newGet();
        request.getOptions().setUriPath("check/" + device.id());
        request.getOptions().addUriQuery("seq=" + sequence);
        return request;
    }

    private CompletableFuture<Checked> check() {
        long sequence = device.flash().running().sequence();
        Request request = checkRequest(sequence);
        byte[] knownTag = etag;
        if (knownTag != null) {
            request.getOptions().addETag(knownTag);
        }
        checks.incrementAndGet();
        return send(request).thenCompose(first -> wholeBody(first, () -> checkRequest(sequence),
                new ByteArrayOutputStream())).handle((response, error) -> {
            if (error != null) {
                return CompletableFuture.completedFuture(new Checked(null, pollInterval));
            }
            ResponseCode code = response.getCode();
            if (code == ResponseCode.CONTENT) {
                try {
                    DeviceAnswer answer = UpdateAnswers.decode(response.getPayload());
                    List<byte[]> tags = response.getOptions().getETags();
                    etag = tags.isEmpty() ? null : tags.get(0);
                    lastAnswer = answer;
                    return CompletableFuture.completedFuture(new Checked(answer, waitAfter(answer, response)));
                } catch (UpdateFormatException e) {
                    LOG.warn("{}: malformed answer to its update check: {}", device.id(), e.getMessage());
                    etag = null;
                    return CompletableFuture.completedFuture(new Checked(null, pollInterval));
                }
            }
            if (code == ResponseCode.VALID && lastAnswer != null) {
                return CompletableFuture.completedFuture(new Checked(lastAnswer, waitAfter(lastAnswer, response)));
            }
            if (code == ResponseCode.VALID) {
                etag = null;
                return CompletableFuture.completedFuture(new Checked(null, MIN_WAIT));
            }
            if (code == ResponseCode.SERVICE_UNAVAILABLE) {
                return CompletableFuture.completedFuture(new Checked(null, maxAge(response, pollInterval)));
            }
            return CompletableFuture.<Checked>failedFuture(new DeviceAgentException(device.id()
                    + ": the platform refused its update check: " + Exchanges.diagnostic(response)));
        }).thenCompose(f -> f).thenApply(c -> c.answer() == null ? new Checked(new DeviceAnswer.None("no-answer",
                null), c.pause()) : c);
    }

    /** Check again at the latest when the platform says (retry-after, Max-Age), and no later than the poll interval. */
    private Duration waitAfter(DeviceAnswer answer, Response response) {
        Duration wait = pollInterval;
        if (answer instanceof DeviceAnswer.None none && none.retryAfter() != null
                && none.retryAfter().compareTo(wait) < 0) {
            wait = none.retryAfter();
        }
        return wait.compareTo(MIN_WAIT) < 0 ? MIN_WAIT : wait;
    }

    /**
     * An offer is larger than one block: the server sends it block-wise (RFC 7959), and the device fetches the
     * remaining blocks of the same representation (same ETag) before decoding it.
     */
    private CompletableFuture<Response> wholeBody(Response response, Supplier<Request> next,
            ByteArrayOutputStream body) {
        BlockOption block = response.getOptions().getBlock2();
        if (response.getCode() != ResponseCode.CONTENT || block == null) {
            return CompletableFuture.completedFuture(response);
        }
        if (block.getOffset() != body.size()) {
            return CompletableFuture.failedFuture(new TimeoutException("block at " + block.getOffset()
                    + " does not follow the " + body.size() + " bytes received"));
        }
        body.writeBytes(response.getPayload());
        if (!block.isM()) {
            response.setPayload(body.toByteArray());
            return CompletableFuture.completedFuture(response);
        }
        if (body.size() > UpdateAnswers.MAX_ANSWER_BYTES) {
            return CompletableFuture.failedFuture(new TimeoutException("the answer grows past "
                    + UpdateAnswers.MAX_ANSWER_BYTES + " bytes"));
        }
        byte[] tag = response.getOptions().getETagCount() > 0 ? response.getOptions().getETags().get(0) : null;
        Request request = next.get();
        request.getOptions().setBlock2(block.getSzx(), false, block.getNum() + 1);
        return send(request).thenCompose(more -> {
            byte[] moreTag = more.getOptions().getETagCount() > 0 ? more.getOptions().getETags().get(0) : null;
            if (more.getCode() == ResponseCode.CONTENT && !java.util.Arrays.equals(tag, moreTag)) {
                // the answer changed between blocks: start over at the next check
                return CompletableFuture.failedFuture(new TimeoutException("the answer changed while it was read"));
            }
            return wholeBody(more, next, body);
        });
    }

    // ---- verify, download, install ----

    /** Everything one update attempt carries from step to step. */
    private final class Attempt {
        final DeviceAnswer.Offer offer;
        final long started = System.nanoTime();
        final AbFlash.Image before = device.flash().running();
        VerifiedManifest verified;
        int blockSizeNow = blockSize;
        int szxNow = szx;
        int consecutiveFailures;

        Attempt(DeviceAnswer.Offer offer) {
            this.offer = offer;
        }

        UpdateOutcome outcome(DeviceState end, String reason) {
            AbFlash.Image running = device.flash().running();
            return new UpdateOutcome(device.id(), end, offer.rolloutId(), offer.releaseId(), offer.anchor(), reason,
                    running.version(), running.sequence(), bytesDownloaded.get(), blockRequests.get(),
                    blockRetries.get(), retransmissions.get(), reportsUndelivered,
                    Duration.ofNanos(System.nanoTime() - started));
        }
    }

    private CompletableFuture<UpdateOutcome> install(DeviceAnswer.Offer offer) {
        Attempt attempt = new Attempt(offer);
        AbFlash.Image running = attempt.before;
        Provisioning p = device.provisioning();
        Expectations expectations = Expectations.none().deviceClass(p.deviceClass()).profile(p.profile())
                .installedSequence(running.sequence()).installedVersion(running.version());
        try {
            attempt.verified = verifier.verify(offer, expectations);
        } catch (VerificationException e) {
            LOG.info("{} refuses release {}: {} ({})", device.id(), offer.releaseId(), e.failure().code(),
                    e.getMessage());
            return fail(attempt, e.failure().code());
        }
        state = DeviceState.DOWNLOADING;
        return report(attempt, DeviceState.DOWNLOADING, null)
                .thenCompose(v -> download(attempt))
                .thenCompose(complete -> complete ? checkAndInstall(attempt) : fail(attempt, "download-failed"));
    }

    private CompletableFuture<UpdateOutcome> fail(Attempt attempt, String reason) {
        state = DeviceState.FAILED;
        device.flash().erase();
        return report(attempt, DeviceState.FAILED, reason).thenApply(v -> attempt.outcome(DeviceState.FAILED, reason));
    }

    /** Downloads the image into the inactive slot; completes with whether it is complete. */
    private CompletableFuture<Boolean> download(Attempt attempt) {
        Manifest m = attempt.verified.manifest();
        long resumeAt = device.flash().beginWrite(m.cid().toString(), m.size());
        if (resumeAt >= m.size()) {
            return CompletableFuture.completedFuture(true);
        }
        return fetchBlock(attempt, resumeAt / attempt.blockSizeNow);
    }

    private CompletableFuture<Boolean> fetchBlock(Attempt attempt, long num) {
        if (stopped) {
            return CompletableFuture.failedFuture(new DeviceAgentException(device.id() + ": stopped"));
        }
        if (!offlineSpellDone && faults.offlineAtBlock() >= 0 && num >= faults.offlineAtBlock()) {
            // the device drops off the network; its flash keeps what was written
            offlineSpellDone = true;
            return after(faults.offlineFor(), () -> fetchBlock(attempt, device.flash().written()
                    / attempt.blockSizeNow));
        }
        Manifest m = attempt.verified.manifest();
        Request request = Request.newGet();
        request.getOptions().setUriPath("fw/" + m.cid());
        request.getOptions().setBlock2(attempt.szxNow, false, (int) num);
        blockRequests.incrementAndGet();
        return send(request).handle((response, error) -> {
            if (error != null) {
                blockRetries.incrementAndGet();
                if (unwrap(error) instanceof Exchanges.LinkBusyException) {
                    return after(retryDelay, () -> fetchBlock(attempt, num));
                }
                return retryBlock(attempt, num, retryDelay, "no answer");
            }
            ResponseCode code = response.getCode();
            if (code == ResponseCode.SERVICE_UNAVAILABLE) {
                return retryBlock(attempt, num, maxAge(response, retryDelay), Exchanges.diagnostic(response));
            }
            if (code != ResponseCode.CONTENT) {
                LOG.warn("{}: block {} of {} refused: {}", device.id(), num, m.cid(), Exchanges.diagnostic(response));
                return CompletableFuture.completedFuture(false);
            }
            attempt.consecutiveFailures = 0;
            byte[] payload = response.getPayload();
            BlockOption block = response.getOptions().getBlock2();
            long offset;
            boolean more;
            if (block == null) {
                // the whole image fitted one response
                offset = 0;
                more = false;
            } else {
                if (block.getSzx() < attempt.szxNow) {
                    // the server may answer with smaller blocks than asked (RFC 7959 §2.4); follow it
                    attempt.szxNow = block.getSzx();
                    attempt.blockSizeNow = block.getSize();
                }
                offset = block.getOffset();
                more = block.isM();
            }
            if (offset > device.flash().written()) {
                return retryBlock(attempt, device.flash().written() / attempt.blockSizeNow, retryDelay,
                        "block at " + offset + " does not follow the written bytes");
            }
            if (offset + payload.length > m.size()) {
                LOG.warn("{}: the server sends more than the manifest's {} bytes", device.id(), m.size());
                return CompletableFuture.completedFuture(false);
            }
            if (faults.corruptBlock() >= 0 && offset / attempt.blockSizeNow == faults.corruptBlock()
                    && payload.length > 0) {
                payload[payload.length / 2] ^= 0x5a;
            }
            device.flash().write(offset, payload);
            bytesDownloaded.addAndGet(payload.length);
            long written = device.flash().written();
            if (written >= m.size()) {
                return CompletableFuture.completedFuture(true);
            }
            if (!more || payload.length == 0) {
                LOG.warn("{}: the image ended after {} of {} bytes", device.id(), written, m.size());
                return CompletableFuture.completedFuture(false);
            }
            return fetchBlock(attempt, written / attempt.blockSizeNow);
        }).thenCompose(f -> f);
    }

    private CompletableFuture<Boolean> retryBlock(Attempt attempt, long num, Duration wait, String why) {
        if (++attempt.consecutiveFailures > maxBlockFailures) {
            LOG.warn("{}: giving up the download at block {} after {} failures in a row ({})", device.id(), num,
                    maxBlockFailures, why);
            return CompletableFuture.completedFuture(false);
        }
        return after(wait, () -> fetchBlock(attempt, num));
    }

    private CompletableFuture<UpdateOutcome> checkAndInstall(Attempt attempt) {
        state = DeviceState.DOWNLOADED;
        return report(attempt, DeviceState.DOWNLOADED, null).thenCompose(v -> {
            VerifiedManifest verified = attempt.verified;
            Manifest m = verified.manifest();
            try (InputStream in = device.flash().readWritten()) {
                verified.checkImage(MeasuredImage.of(in, MeasuredImage.cidOptionsFor(m.cid())));
            } catch (VerificationException e) {
                LOG.info("{}: downloaded image of {} refused: {}", device.id(), attempt.offer.releaseId(),
                        e.failure().code());
                return fail(attempt, e.failure().code());
            } catch (IOException e) {
                return fail(attempt, "flash-read-failed");
            }
            state = DeviceState.VERIFIED;
            return report(attempt, DeviceState.VERIFIED, null).thenCompose(w -> boot(attempt));
        });
    }

    private CompletableFuture<UpdateOutcome> boot(Attempt attempt) {
        Manifest m = attempt.verified.manifest();
        AbFlash flash = device.flash();
        byte[] shared = null;
        if (sharedImages != null) {
            shared = sharedImages.computeIfAbsent(m.cid().toString(), k -> {
                try (InputStream in = flash.readWritten()) {
                    return in.readAllBytes();
                } catch (IOException e) {
                    return null;
                }
            });
        }
        flash.setPending(m.version(), m.sequence(), shared);
        AbFlash.Boot boot = flash.reboot(image -> !faults.imageFailsToBoot());
        if (boot == AbFlash.Boot.TRIAL) {
            // running the new image: it works, so it confirms itself before telling anyone
            flash.confirm();
            state = DeviceState.INSTALLED;
            return report(attempt, DeviceState.INSTALLED, null)
                    .thenApply(v -> attempt.outcome(DeviceState.INSTALLED, null));
        }
        state = DeviceState.ROLLED_BACK;
        return report(attempt, DeviceState.ROLLED_BACK, "boot-failed")
                .thenApply(v -> attempt.outcome(DeviceState.ROLLED_BACK, "boot-failed"));
    }

    // ---- reports ----

    private CompletableFuture<Void> report(Attempt attempt, DeviceState reported, String reason) {
        AbFlash.Image running = device.flash().running();
        DeviceReport report = new DeviceReport(device.id(), attempt.offer.rolloutId(), attempt.offer.releaseId(),
                reported, reason, running.version(), running.sequence(), Instant.now(), device.nextReportCounter());
        byte[] signed = DeviceReports.sign(report, device.provisioning().key());
        return postReport(signed, reported, 0);
    }

    /** Sends the same signed bytes until the platform answers: a resend is a retransmission, recorded once. */
    private CompletableFuture<Void> postReport(byte[] signed, DeviceState reported, int attempt) {
        Request request = Request.newPost();
        request.getOptions().setUriPath("report");
        request.getOptions().setContentFormat(MediaTypeRegistry.APPLICATION_COSE_SIGN1);
        request.setPayload(signed);
        return send(request).handle((response, error) -> {
            boolean retry = error != null || response.getCode() == ResponseCode.SERVICE_UNAVAILABLE;
            if (!retry) {
                if (!response.isSuccess()) {
                    reportsUndelivered++;
                    LOG.warn("{}: its {} report was refused: {}", device.id(), reported.wireName(),
                            Exchanges.diagnostic(response));
                }
                return CompletableFuture.<Void>completedFuture(null);
            }
            if (attempt + 1 >= maxReportAttempts) {
                reportsUndelivered++;
                LOG.warn("{}: its {} report went unanswered {} times", device.id(), reported.wireName(),
                        attempt + 1);
                return CompletableFuture.<Void>completedFuture(null);
            }
            Duration wait = error != null ? retryDelay : maxAge(response, retryDelay);
            return after(wait, () -> postReport(signed, reported, attempt + 1));
        }).thenCompose(f -> f);
    }

    // ---- plumbing ----

    private CompletableFuture<Response> send(Request request) {
        if (stopped) {
            return CompletableFuture.failedFuture(new DeviceAgentException(device.id() + ": stopped"));
        }
        request.setDestinationContext(platform);
        return Exchanges.send(endpoint, request, retransmissions).exceptionallyCompose(e -> {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof DeviceAgentException) {
                return CompletableFuture.failedFuture(cause);
            }
            return CompletableFuture.failedFuture(cause instanceof TimeoutException ? cause
                    : new TimeoutException(cause.getMessage()));
        });
    }

    private <T> CompletableFuture<T> after(Duration wait, Supplier<CompletableFuture<T>> next) {
        CompletableFuture<T> result = new CompletableFuture<>();
        link.scheduler().schedule(() -> {
            if (stopped) {
                result.completeExceptionally(new DeviceAgentException(device.id() + ": stopped"));
                return;
            }
            try {
                next.get().whenComplete((value, error) -> {
                    if (error != null) {
                        result.completeExceptionally(error instanceof CompletionException && error.getCause() != null
                                ? error.getCause() : error);
                    } else {
                        result.complete(value);
                    }
                });
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }, Math.max(0, wait.toMillis()), TimeUnit.MILLISECONDS);
        return result;
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    private static Duration maxAge(Response response, Duration fallback) {
        return response.getOptions().hasMaxAge() ? Duration.ofSeconds(response.getOptions().getMaxAge()) : fallback;
    }

    @Override
    public String toString() {
        return "DeviceAgent[" + device.id() + ", " + state.wireName() + "]";
    }

    /**
     * The one rule for a download block size: a power of two from 16 to 1024 bytes (CoAP SZX 0-6).
     *
     * @throws IllegalArgumentException when {@code blockSize} breaks it
     */
    public static int checkBlockSize(int blockSize) {
        if (blockSize < 16 || blockSize > 1024 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("the block size must be a power of two from 16 to 1024, not "
                    + blockSize);
        }
        return blockSize;
    }

    /** How an agent behaves. */
    public static final class Builder {
        private final SimulatedDevice device;
        private final CoapLink link;
        private int blockSize = 1024;
        private Duration pollInterval = Duration.ofSeconds(60);
        private Duration retryDelay;
        private int maxBlockFailures = 20;
        private int maxReportAttempts = 20;
        private AgentFaults faults = AgentFaults.NONE;
        private Map<String, byte[]> sharedImages;
        private OfferVerifier verifier;

        private Builder(SimulatedDevice device, CoapLink link) {
            this.device = Objects.requireNonNull(device, "device");
            this.link = Objects.requireNonNull(link, "link");
            this.retryDelay = link.ackTimeout();
        }

        /** Download block size, a power of two from 16 to 1024 bytes (CoAP SZX 0-6). Default 1024. */
        public Builder blockSize(int blockSize) {
            this.blockSize = checkBlockSize(blockSize);
            return this;
        }

        /** How long to wait between update checks while nothing is offered, at most. Default 60 s. */
        public Builder pollInterval(Duration pollInterval) {
            if (pollInterval.compareTo(MIN_WAIT) < 0) {
                throw new IllegalArgumentException("the poll interval must be at least " + MIN_WAIT.toMillis()
                        + " ms, not " + pollInterval);
            }
            this.pollInterval = pollInterval;
            return this;
        }

        /** Pause before repeating a request that CoAP gave up on. Default the link's ACK timeout. */
        public Builder retryDelay(Duration retryDelay) {
            if (retryDelay.isNegative()) {
                throw new IllegalArgumentException("the retry delay must not be negative");
            }
            this.retryDelay = retryDelay;
            return this;
        }

        /** Failed block exchanges in a row before the download is given up (reported failed). Default 20. */
        public Builder maxBlockFailures(int maxBlockFailures) {
            if (maxBlockFailures < 0) {
                throw new IllegalArgumentException("maxBlockFailures must not be negative");
            }
            this.maxBlockFailures = maxBlockFailures;
            return this;
        }

        /** Sends of one report (and of an enrollment) before giving up on it. Default 20. */
        public Builder maxReportAttempts(int maxReportAttempts) {
            if (maxReportAttempts < 1) {
                throw new IllegalArgumentException("maxReportAttempts must be at least 1");
            }
            this.maxReportAttempts = maxReportAttempts;
            return this;
        }

        /** Faults to inject into this device. Default none. */
        public Builder faults(AgentFaults faults) {
            this.faults = Objects.requireNonNull(faults, "faults");
            return this;
        }

        /**
         * Agents run side by side in one process (a simulated fleet) keep one copy of each verified image, by CID,
         * instead of one each: the map is shared by all of them and must be thread-safe. Default none.
         */
        public Builder sharedImages(Map<String, byte[]> sharedImages) {
            this.sharedImages = sharedImages;
            return this;
        }

        /**
         * The verifier of offers, for agents provisioned alike to share one (it is thread-safe). It must hold the
         * device's provisioned log key and trust anchors. Default one made from the device's provisioning.
         */
        public Builder verifier(OfferVerifier verifier) {
            this.verifier = verifier;
            return this;
        }

        public DeviceAgent build() {
            return new DeviceAgent(this);
        }
    }
}
