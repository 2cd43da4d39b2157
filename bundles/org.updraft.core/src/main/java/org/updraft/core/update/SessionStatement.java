package org.updraft.core.update;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What the platform vouches for when it sends one offer to several devices at once, in a session that carries the
 * same bytes to all of them (a LoRaWAN FUOTA session's data block, where no device asks and each answer cannot be
 * its own): this offer, of this release in this rollout, is for exactly these devices, in the session
 * {@code sessionId}, and is not to be believed after {@code expiresAt}. It is to a session what an
 * {@link AnswerStatement} is to one answer: a captured block cannot be passed to a device it was not for, nor later.
 *
 * @param deviceIds the devices the offer is for, each once
 * @param rolloutId the rollout of the offer
 * @param releaseId the release offered
 * @param sessionId the transport's id of the session, 0 to {@value AnswerStatements#MAX_NONCE_BYTES} bytes
 * @param issuedAt when the platform signed it
 * @param expiresAt after when a device must not act on it
 */
public record SessionStatement(List<String> deviceIds, String rolloutId, String releaseId, byte[] sessionId,
        Instant issuedAt, Instant expiresAt) {

    public SessionStatement {
        deviceIds = List.copyOf(deviceIds);
        Objects.requireNonNull(rolloutId, "rolloutId");
        Objects.requireNonNull(releaseId, "releaseId");
        Objects.requireNonNull(issuedAt, "issuedAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        if (deviceIds.isEmpty()) {
            throw new IllegalArgumentException("a session statement names at least one device");
        }
        if (deviceIds.stream().distinct().count() != deviceIds.size()) {
            throw new IllegalArgumentException("a session statement names each device once");
        }
        sessionId = sessionId == null ? new byte[0] : sessionId.clone();
        if (sessionId.length > AnswerStatements.MAX_NONCE_BYTES) {
            throw new IllegalArgumentException("a session id has at most " + AnswerStatements.MAX_NONCE_BYTES
                    + " bytes, not " + sessionId.length);
        }
        if (expiresAt.isBefore(issuedAt)) {
            throw new IllegalArgumentException("a statement cannot expire (" + expiresAt + ") before it is issued ("
                    + issuedAt + ")");
        }
    }

    @Override
    public byte[] sessionId() {
        return sessionId.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SessionStatement s && s.deviceIds.equals(deviceIds) && s.rolloutId.equals(rolloutId)
                && s.releaseId.equals(releaseId) && Arrays.equals(s.sessionId, sessionId)
                && s.issuedAt.equals(issuedAt) && s.expiresAt.equals(expiresAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(deviceIds, rolloutId, releaseId, Arrays.hashCode(sessionId), issuedAt, expiresAt);
    }

    @Override
    public String toString() {
        return "SessionStatement[" + deviceIds.size() + " devices, " + releaseId + " of " + rolloutId + ", issued "
                + issuedAt + ", expires " + expiresAt + "]";
    }
}
