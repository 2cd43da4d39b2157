package org.updraft.device;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.delta.DeltaCodec;
import org.updraft.api.delta.DeltaException;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.api.release.Release;
import org.updraft.core.delta.DeltaCodecs;
import org.updraft.core.delta.Deltas;
import org.updraft.core.event.TrustHistory;
import org.updraft.core.identity.VerificationKey;
import org.updraft.core.manifest.Expectations;
import org.updraft.core.manifest.Failure;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.MeasuredImage;
import org.updraft.core.manifest.VerificationException;
import org.updraft.core.manifest.VerifiedManifest;
import org.updraft.core.update.AnswerStatements;
import org.updraft.core.update.DeviceAnswer;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.DeviceReports;
import org.updraft.core.update.Enrollments;
import org.updraft.core.update.OfferVerifier;
import org.updraft.core.update.TrustedCheckpoint;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.core.update.UpdateFormatException;
import org.updraft.device.internal.Exchanges;

/**
 * The reference device: what a device does to update itself, step by step, over a {@link DeviceLink} (CoAP or
 * MQTT; the link frames the requests, docs/coap-api.md and docs/mqtt-api.md).
 * <ol>
 * <li>Check, telling the sequence it runs; check again after the answer's retry-after or the poll interval while
 * nothing is offered, or as soon as the platform pushes an offer (MQTT's retained offer topic). A pushed offer
 * refused only as {@code sequence-not-newer} is a stale retained one: the device checks instead of reporting.</li>
 * <li>Verify the offer with the shared {@link OfferVerifier} <em>before</em> downloading anything: checkpoint
 * under the provisioned log key, inclusion proof, manifest (signature, trusted signer, class, profile,
 * sequence newer than installed). A refusal is reported as {@code failed} with the failure code.</li>
 * <li>Report {@code downloading}; download the image by CID block by block into the inactive slot, resuming
 * at the first missing byte after lost exchanges or a spell offline, never from zero. When the offer carries a
 * delta whose base is the running image, whose codec the agent has and whose memory fits its delta memory, it
 * downloads the patch instead (into RAM) and applies it, reading the base by position from the running slot and
 * writing the new image into the inactive slot. A patch the codec refuses, or a rebuilt image that fails the
 * check below, is given up: the agent reports {@code downloading} again with reason {@code delta-mismatch} and
 * downloads the full image.</li>
 * <li>Report {@code downloaded}; check the image in the slot (size, SHA-256, CID) with
 * {@link VerifiedManifest#checkImage}; report {@code verified} or {@code failed}.</li>
 * <li>Hand the image to the device's bootloader ({@link DeviceFlash}: generic A/B, MCUboot, Linux A/B rootfs) and
 * reboot into it; the new image confirms itself and the device reports {@code installed} with the new version, or
 * the bootloader reverts and it reports {@code rolled-back}. An installer that refuses the image (a {@code .swu}
 * whose signature fails) is reported as {@code failed} with its reason, a bootloader that refuses to boot it (an
 * MCUboot image whose signature fails under the device's image key) as {@code failed} with
 * {@code boot-refused}.</li>
 * </ol>
 * Reports are signed with the device key and numbered by the device's persistent counter; a report whose
 * answer is lost is resent byte for byte. Agents are asynchronous: thousands share a link's few threads.
 */
public final class DeviceAgent {

    private static final Logger LOG = LoggerFactory.getLogger(DeviceAgent.class);
    private static final Duration MIN_WAIT = Duration.ofMillis(50);
    /** A check's nonce: 16 random bytes cannot be guessed ahead, so a recorded answer cannot be replayed. */
    private static final int NONCE_BYTES = 16;
    private static final SecureRandom NONCES = new SecureRandom();
    /** What {@link Builder#maxRetryAfter} is unless set: long enough to honour a platform shedding load. */
    public static final Duration DEFAULT_MAX_RETRY_AFTER = Duration.ofMinutes(10);
    /**
     * What {@link Builder#staleAfter} is unless set: a day without a vouched-for answer, many times the platform's
     * statement lifetime (an hour) and any wait it can ask for.
     */
    public static final Duration DEFAULT_STALE_AFTER = Duration.ofDays(1);
    /** The working memory an agent gives a delta codec unless told otherwise (as the platform's default). */
    private static final long DEFAULT_DELTA_MEMORY = 4L * 1024 * 1024;

    private final SimulatedDevice device;
    private final DeviceLink link;
    private final DeviceLink.Session session;
    private final OfferVerifier verifier;
    /** The platform's statement key, or {@code null} for a device that acts on unsigned answers. */
    private final VerificationKey statementKey;
    private final AtomicLong refusedAnswers = new AtomicLong();
    private final int blockSize;
    private final Duration pollInterval;
    private final Duration retryDelay;
    private final Duration maxRetryAfter;
    private final int maxBlockFailures;
    private final int maxReportAttempts;
    private final AgentFaults faults;
    private final Map<String, byte[]> sharedImages;
    private final long deltaMemory;
    private final Duration staleAfter;
    private final AtomicLong staleReports = new AtomicLong();

    private volatile DeviceState state = DeviceState.IDLE;
    private volatile boolean stopped;
    private volatile boolean offlineSpellDone;

    private final AtomicLong bytesDownloaded = new AtomicLong();
    private final AtomicLong blockRequests = new AtomicLong();
    private final AtomicLong blockRetries = new AtomicLong();
    private final AtomicLong checks = new AtomicLong();
    private volatile int reportsUndelivered;

    private DeviceAgent(Builder b) {
        this.device = b.device;
        this.link = b.link;
        this.session = link.open(device);
        Provisioning p = device.provisioning();
        this.verifier = b.verifier != null ? b.verifier : new OfferVerifier(p.logKeyDid(), p.trust());
        this.statementKey = p.statementKeyDid() == null ? null : VerificationKey.fromDid(p.statementKeyDid());
        this.blockSize = b.blockSize;
        this.pollInterval = b.pollInterval;
        this.retryDelay = b.retryDelay;
        this.maxRetryAfter = b.maxRetryAfter;
        this.maxBlockFailures = b.maxBlockFailures;
        this.maxReportAttempts = b.maxReportAttempts;
        this.faults = b.faults;
        this.sharedImages = b.sharedImages;
        this.deltaMemory = b.deltaMemory;
        this.staleAfter = b.staleAfter;
        if (statementKey != null && device.lastVouched() == null) {
            device.vouched(Instant.now()); // a device counts from its first run
        }
    }

    /** An agent for {@code device}, talking to the platform through {@code link}. */
    public static Builder builder(SimulatedDevice device, DeviceLink link) {
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

    /** Protocol-level retransmissions of this device's requests (CoAP's; none over MQTT). */
    public long retransmissions() {
        return session.retransmissions();
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
     * Registers the device with the platform by itself (an enrollment signed by its own key), for platforms that
     * register devices on request.
     *
     * @return completes when the platform created (or already had) the device; exceptionally with
     *         {@link DeviceAgentException} when it refuses (auto-registration off, id taken by another key)
     */
    public CompletableFuture<Void> enroll() {
        byte[] signed = Enrollments.sign(device.toEnrollment(Instant.now()), device.provisioning().key());
        return enrollAttempt(signed, 0);
    }

    private CompletableFuture<Void> enrollAttempt(byte[] signed, int attempt) {
        return send(() -> session.enroll(signed)).handle((reply, error) -> {
            if (error != null) {
                if (attempt + 1 >= maxReportAttempts) {
                    return CompletableFuture.<Void>failedFuture(new DeviceAgentException(
                            device.id() + ": enrollment unanswered after " + (attempt + 1) + " attempts"));
                }
                return after(retryDelay, () -> enrollAttempt(signed, attempt + 1));
            }
            if (reply.isOk()) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            if (reply.status() == DeviceLink.Status.UNAVAILABLE && attempt + 1 < maxReportAttempts) {
                return after(retryAfter(reply, retryDelay), () -> enrollAttempt(signed, attempt + 1));
            }
            return CompletableFuture.<Void>failedFuture(new DeviceAgentException(device.id()
                    + ": the platform refused the enrollment: " + reply.diagnostic()));
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

    /** An offer, and whether it came pushed by the platform (MQTT's retained offer topic) rather than checked. */
    private record Offered(DeviceAnswer.Offer offer, boolean pushed) {
    }

    private CompletableFuture<Offered> awaitOffer() {
        state = DeviceState.IDLE;
        return check().thenCompose(answer -> {
            if (answer.answer() instanceof DeviceAnswer.Offer offer) {
                return CompletableFuture.completedFuture(new Offered(offer, false));
            }
            return waitForOffer(answer.pause());
        });
    }

    /** Until the pause is over or the platform pushes an offer, whichever comes first. */
    private CompletableFuture<Offered> waitForOffer(Duration pause) {
        CompletableFuture<byte[]> wake = new CompletableFuture<>();
        session.pushedOffer().thenAccept(wake::complete);
        link.scheduler().schedule(() -> wake.complete(null), Math.max(0, pause.toMillis()), TimeUnit.MILLISECONDS);
        return wake.thenCompose(pushed -> {
            if (stopped) {
                return CompletableFuture.failedFuture(new DeviceAgentException(device.id() + ": stopped"));
            }
            if (pushed == null) {
                return awaitOffer();
            }
            try {
                if (UpdateAnswers.decode(pushed) instanceof DeviceAnswer.Offer offer
                        && vouchedFor(pushed, offer, new byte[0])) {
                    return noteVouched().thenApply(v -> new Offered(offer, true));
                }
            } catch (UpdateFormatException e) {
                LOG.warn("{}: malformed offer pushed by the platform: {}", device.id(), e.getMessage());
            }
            return awaitOffer();
        });
    }

    private record Checked(DeviceAnswer answer, Duration pause) {
    }

    private CompletableFuture<Checked> check() {
        long sequence = device.flash().running().sequence();
        checks.incrementAndGet();
        byte[] nonce = statementKey == null ? new byte[0] : newNonce();
        return send(() -> session.check(sequence, nonce)).handle((reply, error) -> {
            if (error != null) {
                return CompletableFuture.completedFuture(new Checked(null, pollInterval));
            }
            if (reply.status() == DeviceLink.Status.UNAVAILABLE) {
                return CompletableFuture.completedFuture(new Checked(null, retryAfter(reply, pollInterval)));
            }
            if (reply.status() == DeviceLink.Status.REFUSED) {
                throw new CompletionException(new DeviceAgentException(device.id()
                        + ": the platform refused its update check: " + reply.diagnostic()));
            }
            DeviceAnswer answer;
            try {
                answer = UpdateAnswers.decode(reply.payload());
            } catch (UpdateFormatException e) {
                LOG.warn("{}: malformed answer to its update check: {}", device.id(), e.getMessage());
                return CompletableFuture.completedFuture(new Checked(null, pollInterval));
            }
            if (!vouchedFor(reply.payload(), answer, nonce)) {
                // not a refusal to report: whoever sent it may not be the platform; ask again at the poll interval
                return CompletableFuture.completedFuture(new Checked(null, pollInterval));
            }
            Checked checked = new Checked(answer, waitAfter(answer));
            return noteVouched().thenApply(v -> checked);
        }).thenCompose(f -> f).thenApply(c -> c.answer() == null
                ? new Checked(new DeviceAnswer.None("no-answer", null), c.pause()) : c);
    }

    /**
     * Whether the platform's statement vouches for this answer, to this device, for this request, now
     * ({@link AnswerStatements#check}); always for a device provisioned without a statement key. A refused one is
     * logged and counted, never reported: it need not come from the platform.
     */
    private boolean vouchedFor(byte[] encoded, DeviceAnswer answer, byte[] nonce) {
        if (statementKey == null) {
            return true;
        }
        try {
            AnswerStatements.check(UpdateAnswers.decodeAnswer(encoded).statement(), statementKey, device.id(), nonce,
                    answer, Instant.now());
            return true;
        } catch (UpdateFormatException e) {
            refusedAnswers.incrementAndGet();
            LOG.warn("{}: ignores an answer the platform did not vouch for: {}", device.id(), e.getMessage());
            return false;
        }
    }

    /**
     * The platform vouched for an answer: when the one before was longer ago than {@code staleAfter}, the device
     * tells the platform now, in a signed {@code stale} report, before it acts on the answer (so that its reports
     * reach the platform in the order of their counters). Answers withheld or replaced on its path (a freeze) cannot
     * stop it: this answer came through.
     */
    private CompletableFuture<Void> noteVouched() {
        if (statementKey == null) {
            return CompletableFuture.completedFuture(null);
        }
        Instant now = Instant.now();
        Instant last = device.lastVouched();
        device.vouched(now);
        Duration gap = last == null ? Duration.ZERO : Duration.between(last, now);
        if (gap.compareTo(staleAfter) <= 0) {
            return CompletableFuture.completedFuture(null);
        }
        staleReports.incrementAndGet();
        String why = "no answer the platform vouched for in " + gap.toSeconds() + " s (limit " + staleAfter.toSeconds()
                + " s)";
        LOG.warn("{}: {}; reports stale", device.id(), why);
        DeviceFlash.Image running = device.flash().running();
        Provisioning p = device.provisioning();
        DeviceReport report = new DeviceReport(device.id(), null, Release.id(p.vendor(), p.deviceClass(),
                running.sequence()), DeviceState.STALE, why, running.version(), running.sequence(), now,
                device.nextReportCounter());
        // the update check goes on whatever becomes of the report (postReport completes either way)
        return postReport(DeviceReports.sign(report, p.key()), DeviceState.STALE, 0);
    }

    /** Stale reports sent: the times a vouched-for answer came after longer than the stale limit. */
    public long staleReports() {
        return staleReports.get();
    }

    private static byte[] newNonce() {
        byte[] nonce = new byte[NONCE_BYTES];
        NONCES.nextBytes(nonce);
        return nonce;
    }

    /** Answers ignored because no valid statement vouched for them. */
    public long refusedAnswers() {
        return refusedAnswers.get();
    }

    /** Check again at the latest when the platform says (retry-after), and no later than the poll interval. */
    private Duration waitAfter(DeviceAnswer answer) {
        Duration wait = pollInterval;
        if (answer instanceof DeviceAnswer.None none && none.retryAfter() != null
                && none.retryAfter().compareTo(wait) < 0) {
            wait = none.retryAfter();
        }
        return wait.compareTo(MIN_WAIT) < 0 ? MIN_WAIT : wait;
    }

    // ---- verify, download, install ----

    /** Everything one update attempt carries from step to step. */
    private final class Attempt {
        final DeviceAnswer.Offer offer;
        final long started = System.nanoTime();
        final DeviceFlash.Image before = device.flash().running();
        VerifiedManifest verified;
        int consecutiveFailures;
        /** The delta being applied, or null while the full image is downloaded. */
        DeviceAnswer.OfferedDelta delta;
        UpdateOutcome.Source source = UpdateOutcome.Source.IMAGE;

        Attempt(DeviceAnswer.Offer offer) {
            this.offer = offer;
        }

        UpdateOutcome outcome(DeviceState end, String reason) {
            DeviceFlash.Image running = device.flash().running();
            return new UpdateOutcome(device.id(), end, offer.rolloutId(), offer.releaseId(), offer.anchor(), reason,
                    running.version(), running.sequence(), bytesDownloaded.get(), blockRequests.get(),
                    blockRetries.get(), session.retransmissions(), reportsUndelivered,
                    Duration.ofNanos(System.nanoTime() - started), source);
        }
    }

    private CompletableFuture<UpdateOutcome> install(Offered offered) {
        DeviceAnswer.Offer offer = offered.offer();
        Attempt attempt = new Attempt(offer);
        DeviceFlash.Image running = attempt.before;
        Provisioning p = device.provisioning();
        Expectations expectations = Expectations.none().vendor(p.vendor()).deviceClass(p.deviceClass())
                .profile(p.profile()).installedSequence(running.sequence()).installedVersion(running.version());
        Checkpoint checkpoint;
        TrustHistory trust;
        try {
            OfferVerifier.VerifiedOffer verified = verifier.verifyOffer(offer, expectations, device.trust());
            attempt.verified = verified.manifest();
            checkpoint = verified.checkpoint();
            trust = verified.trust();
        } catch (VerificationException e) {
            if (offered.pushed() && e.failure() == Failure.SEQUENCE_NOT_NEWER) {
                // a retained offer left over from before the device installed it (docs/mqtt-api.md): not a
                // refusal to report; checking puts the current answer there
                LOG.debug("{}: ignores a stale pushed offer of {}", device.id(), offer.releaseId());
                return awaitOffer().thenCompose(this::install);
            }
            LOG.info("{} refuses release {}: {} ({})", device.id(), offer.releaseId(), e.failure().code(),
                    e.getMessage());
            return fail(attempt, e.failure().code());
        }
        return logConsistent(checkpoint, 0).thenCompose(verdict -> {
            if (verdict == LogVerdict.UNANSWERED) {
                // not a fork, and nothing proven either: nothing is installed now, the offer is checked again later
                LOG.info("{}: no consistency proof for the checkpoint of {} events yet; checks again later",
                        device.id(), checkpoint.treeSize());
                return after(pollInterval, this::awaitOffer).thenCompose(this::install);
            }
            if (verdict == LogVerdict.FORK) {
                return fail(attempt, Failure.LOG_FORK.code());
            }
            // the checkpoint that proves the offer's trust changes extends the log the device knows: they are facts
            device.keepTrust(trust);
            state = DeviceState.DOWNLOADING;
            DeviceAnswer.OfferedDelta delta = usableDelta(attempt);
            return report(attempt, DeviceState.DOWNLOADING, null)
                    .thenCompose(v -> delta != null ? viaDelta(attempt, delta) : downloadImage(attempt));
        });
    }

    /** Whether a checkpoint extends the log the device knows. */
    private enum LogVerdict {
        CONSISTENT, FORK, UNANSWERED
    }

    /**
     * Checks a verified checkpoint against the one the device verified before ({@link TrustedCheckpoint}), asking
     * the platform for the consistency proof between them when their sizes differ, and remembers the larger. The
     * first checkpoint a device sees is trusted as it is. A refused request is a fork (the platform says its log
     * has no tree of a size the device saw signed); an unanswered one is retried a few times, then left undecided.
     */
    private CompletableFuture<LogVerdict> logConsistent(Checkpoint seen, int attempt) {
        TrustedCheckpoint known = device.trustedCheckpoint();
        if (known == null || !known.needsProof(seen)) {
            return CompletableFuture.completedFuture(extendLog(known, seen, null));
        }
        long from = known.proofFrom(seen);
        long to = known.proofTo(seen);
        return send(() -> session.consistency(from, to)).handle((reply, error) -> {
            if (error != null || reply.status() == DeviceLink.Status.UNAVAILABLE) {
                if (attempt + 1 >= maxReportAttempts || stopped) {
                    return CompletableFuture.completedFuture(LogVerdict.UNANSWERED);
                }
                Duration wait = error != null ? retryDelay : retryAfter(reply, retryDelay);
                return after(wait, () -> logConsistent(seen, attempt + 1));
            }
            if (!reply.isOk()) {
                LOG.warn("{}: the platform refused the consistency proof from {} to {} events: {}", device.id(), from,
                        to, reply.diagnostic());
                return CompletableFuture.completedFuture(LogVerdict.FORK);
            }
            try {
                return CompletableFuture.completedFuture(extendLog(known, seen,
                        UpdateAnswers.decodeConsistency(reply.payload())));
            } catch (UpdateFormatException e) {
                LOG.warn("{}: a malformed consistency proof from {} to {} events: {}", device.id(), from, to,
                        e.getMessage());
                return CompletableFuture.completedFuture(LogVerdict.FORK);
            }
        }).thenCompose(f -> f);
    }

    private LogVerdict extendLog(TrustedCheckpoint known, Checkpoint seen, ConsistencyProof proof) {
        if (known == null) {
            device.trustCheckpoint(TrustedCheckpoint.of(seen));
            return LogVerdict.CONSISTENT;
        }
        try {
            device.trustCheckpoint(known.extend(seen, proof));
            return LogVerdict.CONSISTENT;
        } catch (VerificationException e) {
            LOG.warn("{}: {} ({})", device.id(), e.failure().code(), e.getMessage());
            return LogVerdict.FORK;
        }
    }

    private CompletableFuture<UpdateOutcome> downloadImage(Attempt attempt) {
        return download(attempt)
                .thenCompose(complete -> complete ? checkAndInstall(attempt) : fail(attempt, "download-failed"));
    }

    /**
     * The offer's delta, when this device can use it: a codec it has, memory within its delta memory, a patch
     * smaller than the image, made from exactly the image it runs. Otherwise null, and the full image is downloaded.
     */
    private DeviceAnswer.OfferedDelta usableDelta(Attempt attempt) {
        DeviceAnswer.OfferedDelta d = attempt.offer.delta();
        if (d == null || d.memory() > deltaMemory || DeltaCodecs.find(d.codec()).isEmpty()
                || d.size() <= 0 || d.size() >= attempt.verified.manifest().size()) {
            return null;
        }
        try {
            byte[] running = Deltas.sha256(Deltas.channel(attempt.before.bytes()));
            if (!MessageDigest.isEqual(running, d.baseSha256())) {
                LOG.debug("{}: the offered delta of {} is for another base image", device.id(), d.fromRelease());
                return null;
            }
        } catch (IOException e) {
            return null;
        }
        return d;
    }

    /** Downloads the patch into RAM, rebuilds the image into the inactive slot, and checks it as a download. */
    private CompletableFuture<UpdateOutcome> viaDelta(Attempt attempt, DeviceAnswer.OfferedDelta delta) {
        attempt.delta = delta;
        attempt.source = UpdateOutcome.Source.DELTA;
        PatchBuffer patch = new PatchBuffer(delta.patch().toString(), (int) delta.size());
        return fetchBlock(attempt, patch, 0).thenCompose(complete -> {
            if (!complete) {
                return fail(attempt, "download-failed");
            }
            try {
                rebuild(attempt, delta, patch.bytes);
            } catch (DeltaException e) {
                return fallBack(attempt, delta.codec() + " refused the patch (" + e.reason().code() + "): "
                        + e.getMessage());
            } catch (IOException e) {
                return fallBack(attempt, "the patch could not be applied: " + e.getMessage());
            }
            return checkAndInstall(attempt);
        });
    }

    /** Applies the patch: base read by position from the running slot, output written in order to the other. */
    private void rebuild(Attempt attempt, DeviceAnswer.OfferedDelta delta, byte[] patch)
            throws DeltaException, IOException {
        Manifest m = attempt.verified.manifest();
        DeltaCodec codec = DeltaCodecs.find(delta.codec()).orElseThrow();
        DeviceFlash flash = device.flash();
        flash.erase();
        flash.beginWrite("delta " + delta.patch(), m.size());
        try (OutputStream slot = new BufferedOutputStream(new SlotWriter(flash), 4096)) {
            // the manifest's size bounds the output: a patch cannot write past what the manufacturer signed
            Deltas.apply(codec, Deltas.channel(attempt.before.bytes()), delta.baseSha256(), Deltas.channel(patch),
                    slot, m.size(), deltaMemory);
        }
    }

    /** The delta failed: said in a report, then the full image, as if no delta had been offered. */
    private CompletableFuture<UpdateOutcome> fallBack(Attempt attempt, String why) {
        LOG.info("{}: gives up the delta of {} ({}); downloads the full image", device.id(),
                attempt.offer.releaseId(), why);
        attempt.delta = null;
        attempt.source = UpdateOutcome.Source.IMAGE_AFTER_DELTA;
        device.flash().erase();
        state = DeviceState.DOWNLOADING;
        return report(attempt, DeviceState.DOWNLOADING, Failure.DELTA_MISMATCH.code())
                .thenCompose(v -> downloadImage(attempt));
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
        return fetchBlock(attempt, new SlotTarget(m), resumeAt);
    }

    /** Where a download's bytes go: the inactive slot (an image) or RAM (a patch). */
    private interface Target {
        String cid();

        long size();

        long written();

        void write(long at, byte[] data);
    }

    private final class SlotTarget implements Target {
        private final Manifest manifest;

        SlotTarget(Manifest manifest) {
            this.manifest = manifest;
        }

        @Override
        public String cid() {
            return manifest.cid().toString();
        }

        @Override
        public long size() {
            return manifest.size();
        }

        @Override
        public long written() {
            return device.flash().written();
        }

        @Override
        public void write(long at, byte[] data) {
            device.flash().write(at, data);
        }
    }

    /** A patch in RAM, of the size the offer states (smaller than the image, see {@link #usableDelta}). */
    private static final class PatchBuffer implements Target {
        private final String cid;
        final byte[] bytes;
        private long written;

        PatchBuffer(String cid, int size) {
            this.cid = cid;
            this.bytes = new byte[size];
        }

        @Override
        public String cid() {
            return cid;
        }

        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public synchronized long written() {
            return written;
        }

        @Override
        public synchronized void write(long at, byte[] data) {
            System.arraycopy(data, 0, bytes, (int) at, data.length);
            written = Math.max(written, at + data.length);
        }
    }

    /** Writes a rebuilt image into the inactive slot in order, as a download writes it. */
    private static final class SlotWriter extends OutputStream {
        private final DeviceFlash flash;
        private long at;

        SlotWriter(DeviceFlash flash) {
            this.flash = flash;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            flash.write(at, java.util.Arrays.copyOfRange(b, off, off + len));
            at += len;
        }
    }

    /** Fetches the bytes from {@code offset} on: the device resumes at what it holds, never from zero. */
    private CompletableFuture<Boolean> fetchBlock(Attempt attempt, Target target, long offset) {
        if (stopped) {
            return CompletableFuture.failedFuture(new DeviceAgentException(device.id() + ": stopped"));
        }
        if (!offlineSpellDone && faults.offlineAtBlock() >= 0 && offset / blockSize >= faults.offlineAtBlock()) {
            // the device drops off the network; its flash keeps what was written
            offlineSpellDone = true;
            return after(faults.offlineFor(), () -> fetchBlock(attempt, target, target.written()));
        }
        String cid = target.cid();
        blockRequests.incrementAndGet();
        return send(() -> session.block(cid, offset, blockSize)).handle((reply, error) -> {
            if (error != null) {
                blockRetries.incrementAndGet();
                if (unwrap(error) instanceof Exchanges.LinkBusyException) {
                    return after(retryDelay, () -> fetchBlock(attempt, target, offset));
                }
                return retryBlock(attempt, target, offset, retryDelay, "no answer");
            }
            if (reply.status() == DeviceLink.Status.UNAVAILABLE) {
                return retryBlock(attempt, target, offset, retryAfter(reply, retryDelay), reply.diagnostic());
            }
            if (reply.status() == DeviceLink.Status.REFUSED) {
                LOG.warn("{}: block at {} of {} refused: {}", device.id(), offset, cid, reply.diagnostic());
                return CompletableFuture.completedFuture(false);
            }
            attempt.consecutiveFailures = 0;
            byte[] payload = reply.payload();
            long at = reply.offset();
            if (at > target.written()) {
                return retryBlock(attempt, target, target.written(), retryDelay,
                        "block at " + at + " does not follow the written bytes");
            }
            if (at + payload.length > target.size()) {
                LOG.warn("{}: the server sends more of {} than the offer's {} bytes", device.id(), cid,
                        target.size());
                return CompletableFuture.completedFuture(false);
            }
            if (faults.corruptBlock() >= 0 && at / blockSize == faults.corruptBlock() && payload.length > 0) {
                payload[payload.length / 2] ^= 0x5a;
            }
            target.write(at, payload);
            bytesDownloaded.addAndGet(payload.length);
            long written = target.written();
            if (written >= target.size()) {
                return CompletableFuture.completedFuture(true);
            }
            if (!reply.more() || payload.length == 0) {
                LOG.warn("{}: {} ended after {} of {} bytes", device.id(), cid, written, target.size());
                return CompletableFuture.completedFuture(false);
            }
            return fetchBlock(attempt, target, written);
        }).thenCompose(f -> f);
    }

    private CompletableFuture<Boolean> retryBlock(Attempt attempt, Target target, long offset, Duration wait,
            String why) {
        if (++attempt.consecutiveFailures > maxBlockFailures) {
            LOG.warn("{}: giving up the download at byte {} after {} failures in a row ({})", device.id(), offset,
                    maxBlockFailures, why);
            return CompletableFuture.completedFuture(false);
        }
        return after(wait, () -> fetchBlock(attempt, target, offset));
    }

    private CompletableFuture<UpdateOutcome> checkAndInstall(Attempt attempt) {
        state = DeviceState.DOWNLOADED;
        return report(attempt, DeviceState.DOWNLOADED, null).thenCompose(v -> {
            VerifiedManifest verified = attempt.verified;
            Manifest m = verified.manifest();
            try (InputStream in = device.flash().readWritten()) {
                verified.checkImage(MeasuredImage.of(in, MeasuredImage.cidOptionsFor(m.cid())));
            } catch (VerificationException e) {
                if (attempt.delta != null) {
                    // the patch is never trusted: what it built is not the signed image
                    return fallBack(attempt, "the rebuilt image is refused: " + e.failure().code());
                }
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
        DeviceFlash flash = device.flash();
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
        try {
            flash.setPending(m.version(), m.sequence(), shared);
        } catch (DeviceFlash.InstallException e) {
            LOG.info("{}: its installer refused {}: {}", device.id(), attempt.offer.releaseId(), e.getMessage());
            return fail(attempt, e.reason());
        }
        DeviceFlash.Boot boot = flash.reboot(image -> !faults.imageFailsToBoot());
        if (boot == DeviceFlash.Boot.REFUSED) {
            // the bootloader's own check refused the image before running it: the old one runs on
            LOG.info("{}: its bootloader refused {}: {}", device.id(), attempt.offer.releaseId(), flash.lastRefusal());
            state = DeviceState.FAILED;
            return report(attempt, DeviceState.FAILED, "boot-refused")
                    .thenApply(v -> attempt.outcome(DeviceState.FAILED, "boot-refused"));
        }
        if (boot == DeviceFlash.Boot.TRIAL) {
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
        DeviceFlash.Image running = device.flash().running();
        DeviceReport report = new DeviceReport(device.id(), attempt.offer.rolloutId(), attempt.offer.releaseId(),
                reported, reason, running.version(), running.sequence(), Instant.now(), device.nextReportCounter());
        byte[] signed = DeviceReports.sign(report, device.provisioning().key());
        return postReport(signed, reported, 0);
    }

    /** Sends the same signed bytes until the platform answers: a resend is a retransmission, recorded once. */
    private CompletableFuture<Void> postReport(byte[] signed, DeviceState reported, int attempt) {
        return send(() -> session.report(signed)).handle((reply, error) -> {
            boolean retry = error != null || reply.status() == DeviceLink.Status.UNAVAILABLE;
            if (!retry) {
                if (!reply.isOk()) {
                    reportsUndelivered++;
                    LOG.warn("{}: its {} report was refused: {}", device.id(), reported.wireName(),
                            reply.diagnostic());
                }
                return CompletableFuture.<Void>completedFuture(null);
            }
            if (attempt + 1 >= maxReportAttempts) {
                reportsUndelivered++;
                LOG.warn("{}: its {} report went unanswered {} times", device.id(), reported.wireName(),
                        attempt + 1);
                return CompletableFuture.<Void>completedFuture(null);
            }
            Duration wait = error != null ? retryDelay : retryAfter(reply, retryDelay);
            return after(wait, () -> postReport(signed, reported, attempt + 1));
        }).thenCompose(f -> f);
    }

    // ---- plumbing ----

    private CompletableFuture<DeviceLink.Reply> send(Supplier<CompletableFuture<DeviceLink.Reply>> request) {
        if (stopped) {
            return CompletableFuture.failedFuture(new DeviceAgentException(device.id() + ": stopped"));
        }
        return request.get();
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

    /**
     * The wait the platform asked for (a 5.03's Max-Age, MQTT's retry-after), cut to {@link Builder#maxRetryAfter}:
     * whoever answers at the platform's address must not be able to keep the device from asking again.
     */
    private Duration retryAfter(DeviceLink.Reply reply, Duration fallback) {
        Duration asked = reply.retryAfter();
        if (asked == null) {
            return fallback;
        }
        if (asked.compareTo(maxRetryAfter) > 0) {
            LOG.debug("{}: the platform asked it to wait {}; it waits its cap, {}", device.id(), asked, maxRetryAfter);
            return maxRetryAfter;
        }
        return asked;
    }

    @Override
    public String toString() {
        return "DeviceAgent[" + device.id() + ", " + state.wireName() + "]";
    }

    /** The largest block CoAP block-wise transfer carries (SZX 6). */
    public static final int COAP_MAX_BLOCK = 1024;
    /** The largest block an agent asks for over MQTT. */
    public static final int MQTT_MAX_BLOCK = 64 * 1024;

    /**
     * The one rule for a download block size over CoAP: a power of two from 16 to 1024 bytes (CoAP SZX 0-6).
     *
     * @throws IllegalArgumentException when {@code blockSize} breaks it
     */
    public static int checkBlockSize(int blockSize) {
        return checkBlockSize(blockSize, COAP_MAX_BLOCK);
    }

    /**
     * The one rule for a download block size: a power of two from 16 bytes to {@code max} (a link's
     * {@link DeviceLink#maxBlockSize()}).
     *
     * @throws IllegalArgumentException when {@code blockSize} breaks it
     */
    public static int checkBlockSize(int blockSize, int max) {
        if (blockSize < 16 || blockSize > max || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("the block size must be a power of two from 16 to " + max + ", not "
                    + blockSize);
        }
        return blockSize;
    }

    /** How an agent behaves. */
    public static final class Builder {
        private final SimulatedDevice device;
        private final DeviceLink link;
        private int blockSize = 1024;
        private Duration pollInterval = Duration.ofSeconds(60);
        private Duration retryDelay;
        private Duration maxRetryAfter = DEFAULT_MAX_RETRY_AFTER;
        private int maxBlockFailures = 20;
        private int maxReportAttempts = 20;
        private AgentFaults faults = AgentFaults.NONE;
        private Map<String, byte[]> sharedImages;
        private OfferVerifier verifier;
        private long deltaMemory = DEFAULT_DELTA_MEMORY;
        private Duration staleAfter = DEFAULT_STALE_AFTER;

        private Builder(SimulatedDevice device, DeviceLink link) {
            this.device = Objects.requireNonNull(device, "device");
            this.link = Objects.requireNonNull(link, "link");
            this.retryDelay = link.retryDelay();
        }

        /**
         * Download block size, a power of two from 16 bytes to the link's {@link DeviceLink#maxBlockSize()} (1024 for
         * CoAP, SZX 0-6). Default 1024.
         */
        public Builder blockSize(int blockSize) {
            this.blockSize = checkBlockSize(blockSize, link.maxBlockSize());
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

        /** Pause before repeating a request the link gave up on. Default the link's {@link DeviceLink#retryDelay()}. */
        public Builder retryDelay(Duration retryDelay) {
            if (retryDelay.isNegative()) {
                throw new IllegalArgumentException("the retry delay must not be negative");
            }
            this.retryDelay = retryDelay;
            return this;
        }

        /**
         * The longest the platform can make this device wait before it asks again: a longer 5.03 Max-Age or MQTT
         * retry-after is cut to it. An answer withheld behind an ever longer wait would otherwise freeze the device
         * on its current firmware without it noticing. Default 10 minutes.
         */
        public Builder maxRetryAfter(Duration maxRetryAfter) {
            if (maxRetryAfter.compareTo(MIN_WAIT) < 0) {
                throw new IllegalArgumentException("the longest wait must be at least " + MIN_WAIT.toMillis()
                        + " ms, not " + maxRetryAfter);
            }
            this.maxRetryAfter = maxRetryAfter;
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

        /**
         * The working memory in bytes the device gives a delta codec (besides the patch, held in RAM): offered
         * deltas needing more are ignored and the full image downloaded; 0 never applies deltas. Default 4 MiB.
         */
        public Builder deltaMemory(long deltaMemory) {
            if (deltaMemory < 0) {
                throw new IllegalArgumentException("the delta memory must not be negative");
            }
            this.deltaMemory = deltaMemory;
            return this;
        }

        /**
         * How long a device provisioned with the platform's statement key may go without an answer the platform
         * vouched for before it reports {@code stale}, at its next contact: answers withheld or replaced on its path
         * would otherwise freeze it on its firmware unseen. Default 1 day.
         */
        public Builder staleAfter(Duration staleAfter) {
            if (staleAfter.isNegative()) {
                throw new IllegalArgumentException("the stale limit must not be negative");
            }
            this.staleAfter = staleAfter;
            return this;
        }

        public DeviceAgent build() {
            return new DeviceAgent(this);
        }
    }
}
