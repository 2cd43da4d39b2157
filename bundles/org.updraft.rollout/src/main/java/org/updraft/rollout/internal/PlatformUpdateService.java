package org.updraft.rollout.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.device.Device;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.ReleaseAnchor;
import org.updraft.api.ledger.ReleaseAnchors;
import org.updraft.api.profile.DeviceProfile;
import org.updraft.api.profile.ProfileLimits;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.update.ReportReceipt;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.api.update.UpdateException;
import org.updraft.api.update.UpdateService;
import org.updraft.core.config.DataPaths;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.KeyFileException;
import org.updraft.core.identity.KeyFiles;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.update.AnswerStatement;
import org.updraft.core.update.SessionStatement;
import org.updraft.core.update.SessionStatements;
import org.updraft.core.update.AnswerStatements;

/**
 * What every transport asks, on this node's rollout engine: update decisions ({@link OfferDecisions}), signed
 * reports and enrollments ({@link ReportIntake}); offers say where their release is on chain when a
 * {@link ReleaseAnchors} service is there (a ledger that anchors releases on a blockchain), looked up in the
 * background ({@link AnchorLookup}).
 */
@Component(service = UpdateService.class, configurationPid = PlatformUpdateService.PID)
@Designate(ocd = PlatformUpdateService.Config.class)
public final class PlatformUpdateService implements UpdateService {

    private static final Logger LOG = LoggerFactory.getLogger(PlatformUpdateService.class);

    /** Configuration PID: etc/org.updraft.update.cfg. */
    public static final String PID = "org.updraft.update";

    @ObjectClassDefinition(name = "Updraft update service",
            description = "Update decisions, device reports and enrollments for every transport.")
    public @interface Config {
        @AttributeDefinition(name = "Release anchors", description = "Filter choosing where offers learn that "
                + "their release is on a blockchain (e.g. (ledger.kind=evm)); any such service by default, and "
                + "offers carry no anchor when there is none.")
        String anchors_target() default "(objectClass=*)";

        @AttributeDefinition(name = "Anchor lookup interval (seconds)",
                description = "How often the chain is asked again about a release not found anchored yet.")
        long anchor_retry_seconds() default 15;

        @AttributeDefinition(name = "Silent download timeout (seconds)",
                description = "How long a device that was offered a release, or reported progress, keeps its "
                        + "download slot under a wave's cap without reporting anything.")
        long offer_timeout_seconds() default 600;

        @AttributeDefinition(name = "Retry after download cap (seconds)",
                description = "When a device over its wave's download cap should check again.")
        long cap_retry_seconds() default 30;

        @AttributeDefinition(name = "Retry while waiting (seconds)",
                description = "When a device of a paused rollout, or of a wave not started yet, should check again.")
        long wait_retry_seconds() default 600;

        @AttributeDefinition(name = "Statement key file",
                description = "The platform's statement key (PKCS#8 PEM), which signs every answer to a device; "
                        + "generated at first start when missing. Devices are provisioned with its did:key. Every "
                        + "node of one platform needs the same file. Never the log key.")
        String statement_key_file() default "${karaf.data}/updraft/statement-key.pem";

        @AttributeDefinition(name = "Enrollments need an attestation",
                description = "Whether a device that registers itself (a transport's auto.register) must carry the "
                        + "device certificate a trusted manufacturer key signed for its key (updraft attest). Turn it "
                        + "off only for a closed test network: any key could then enroll.")
        boolean enrollment_attestation_required() default true;

        @AttributeDefinition(name = "Statement lifetime (seconds)",
                description = "How long a device may act on an answer after the platform signed it.")
        long statement_lifetime_seconds() default 3600;
    }

    private final RolloutEngine engine;
    private final AnchorLookup anchors;
    private final OfferDecisions offers;
    private final ReportIntake reports;
    private final SigningKey statementKey;
    private final Duration statementLifetime;
    private final Clock clock;
    /** The running device profiles and their ids, for the delta updates their classes accept. */
    private final Map<DeviceProfile, String> profiles = new ConcurrentHashMap<>();

    @Activate
    public PlatformUpdateService(Config config, @Reference(name = "engine") RolloutEngineComponent engine,
            @Reference(name = "releases") ReleaseService releases,
            @Reference(name = "trust", target = TrustStore.SELECTED) TrustStore trust) {
        this.engine = engine.engine();
        this.anchors = new AnchorLookup(engine.scheduler(), seconds(config.anchor_retry_seconds()));
        this.offers = new OfferDecisions(this.engine, releases, trust, anchors,
                new DeltaChoice(releases, this::limitsOf), seconds(config.offer_timeout_seconds()),
                seconds(config.cap_retry_seconds()), seconds(config.wait_retry_seconds()));
        this.reports = new ReportIntake(this.engine, trust, config.enrollment_attestation_required());
        if (config.statement_lifetime_seconds() < 1) {
            throw new IllegalArgumentException("statement.lifetime.seconds must be at least 1, not "
                    + config.statement_lifetime_seconds());
        }
        this.statementLifetime = seconds(config.statement_lifetime_seconds());
        this.statementKey = statementKey(DataPaths.resolve(config.statement_key_file()));
        this.clock = Clock.systemUTC();
        anchors.onFound(offers::anchorFound);
    }

    private static SigningKey statementKey(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            KeyFiles.PlatformKey key = KeyFiles.readOrGenerate(file, KeyAlgorithm.ED25519);
            if (key.generated()) {
                LOG.info("Generated the platform's statement key {} into {}: provision devices with it",
                        key.key().did(), file);
            } else if (KeyFiles.openToOthers(file)) {
                LOG.warn("The statement key file {} is readable by others; it should be readable by its owner only "
                        + "(chmod 600)", file);
            }
            return key.key();
        } catch (KeyFileException | IOException e) {
            throw new IllegalStateException("cannot use the statement key " + file + ": " + e.getMessage(), e);
        }
    }

    @Deactivate
    public void deactivate() {
        anchors.close();
    }

    @Reference(name = "anchors", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void bindAnchors(ReleaseAnchors service) {
        anchors.bind(service);
    }

    public void unbindAnchors(ReleaseAnchors service) {
        anchors.unbind(service);
    }

    @Reference(name = "profile", cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    public void bindProfile(DeviceProfile profile, Map<String, Object> properties) {
        Object id = properties.get(DeviceProfile.ID);
        if (id instanceof String s) {
            profiles.put(profile, s);
        }
    }

    public void unbindProfile(DeviceProfile profile) {
        profiles.remove(profile);
    }

    /** What the device's running profile says its class takes; empty when that profile does not run. */
    private Optional<ProfileLimits> limitsOf(Device device) {
        for (Map.Entry<DeviceProfile, String> p : profiles.entrySet()) {
            if (p.getValue().equals(device.profile())) {
                return p.getKey().limits(device.deviceClass());
            }
        }
        return Optional.empty();
    }

    @Override
    public UpdateAnswer check(String deviceId, long installedSequence) throws UpdateException {
        return offers.check(deviceId, installedSequence, true);
    }

    @Override
    public UpdateAnswer check(String deviceId, long installedSequence, boolean authenticated)
            throws UpdateException {
        return offers.check(deviceId, installedSequence, authenticated);
    }

    @Override
    public ReportReceipt report(byte[] signedReport) throws UpdateException {
        return reports.report(signedReport);
    }

    @Override
    public Device enroll(byte[] signedEnrollment) throws UpdateException {
        return reports.enroll(signedEnrollment);
    }

    @Override
    public byte[] statement(String deviceId, UpdateAnswer answer, byte[] nonce) throws UpdateException {
        if (nonce != null && nonce.length > AnswerStatements.MAX_NONCE_BYTES) {
            throw new UpdateException("malformed", "a nonce has at most " + AnswerStatements.MAX_NONCE_BYTES
                    + " bytes, not " + nonce.length);
        }
        Instant now = clock.instant();
        UpdateAnswer.Offer offer = answer instanceof UpdateAnswer.Offer o ? o : null;
        return AnswerStatements.sign(new AnswerStatement(deviceId, offer == null ? null : offer.rolloutId(),
                offer == null ? null : offer.release().id(), nonce, now, now.plus(statementLifetime)), statementKey);
    }

    @Override
    public byte[] sessionStatement(Collection<String> deviceIds, UpdateAnswer.Offer offer, byte[] sessionId,
            Duration lifetime) throws UpdateException {
        if (lifetime == null || lifetime.isNegative() || lifetime.isZero()) {
            throw new UpdateException("malformed", "a session statement's lifetime must be positive, not " + lifetime);
        }
        Instant now = clock.instant();
        try {
            return SessionStatements.sign(new SessionStatement(List.copyOf(deviceIds), offer.rolloutId(),
                    offer.release().id(), sessionId, now, now.plus(lifetime)), statementKey);
        } catch (IllegalArgumentException e) {
            throw new UpdateException("malformed", e.getMessage());
        }
    }

    @Override
    public String statementKey() {
        return statementKey.did();
    }

    @Override
    public ConsistencyProof consistency(long firstSize, long secondSize) throws UpdateException {
        if (firstSize < 0 || firstSize > secondSize) {
            throw new UpdateException("bad-range", "no consistency proof leads from " + firstSize + " to "
                    + secondSize + " events");
        }
        try {
            long size = engine.ledger.size();
            if (secondSize > size) {
                throw new UpdateException("bad-range", "the ledger has " + size + " events, not " + secondSize);
            }
            return engine.ledger.consistencyProof(firstSize, secondSize);
        } catch (LedgerException e) {
            throw UpdateRefusals.unavailable("the ledger", e);
        }
    }

    @Override
    public void bytesServed(String releaseId, long bytes) {
        engine.bytesServed(releaseId, bytes);
    }

    /** The release's anchor when it has been found, for tests and status. */
    ReleaseAnchor anchorOf(String releaseId) {
        return anchors.anchorOf(releaseId);
    }

    private static Duration seconds(long configured) {
        return Duration.ofSeconds(Math.max(1, configured));
    }
}
