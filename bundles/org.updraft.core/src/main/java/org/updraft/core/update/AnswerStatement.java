package org.updraft.core.update;

import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * What the platform vouches for when it answers a device ({@link AnswerStatements}): this answer is for this
 * device, offers this release of this rollout (or nothing), answers the request that carried this nonce, and is
 * not to be believed after {@code expiresAt}. An offer alone proves only that a release was published; the
 * statement proves that the platform offers it to this device now, so a captured offer or "nothing new" cannot be
 * replayed to another device or later.
 *
 * @param deviceId the device answered
 * @param rolloutId the rollout of the offer, or {@code null} for "nothing new"
 * @param releaseId the release offered, or {@code null} for "nothing new"
 * @param nonce the nonce of the device's request, 0 to {@value AnswerStatements#MAX_NONCE_BYTES} bytes; empty for
 *        an answer nobody asked for (a notification, a retained MQTT offer)
 * @param issuedAt when the platform signed it
 * @param expiresAt after when the device must not act on it
 */
public record AnswerStatement(String deviceId, String rolloutId, String releaseId, byte[] nonce, Instant issuedAt,
        Instant expiresAt) {

    public AnswerStatement {
        Objects.requireNonNull(deviceId, "deviceId");
        Objects.requireNonNull(issuedAt, "issuedAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        nonce = nonce == null ? new byte[0] : nonce.clone();
        if (nonce.length > AnswerStatements.MAX_NONCE_BYTES) {
            throw new IllegalArgumentException("a nonce has at most " + AnswerStatements.MAX_NONCE_BYTES
                    + " bytes, not " + nonce.length);
        }
        if ((rolloutId == null) != (releaseId == null)) {
            throw new IllegalArgumentException("an offer names its rollout and its release, nothing new neither");
        }
        if (expiresAt.isBefore(issuedAt)) {
            throw new IllegalArgumentException("a statement cannot expire (" + expiresAt + ") before it is issued ("
                    + issuedAt + ")");
        }
    }

    @Override
    public byte[] nonce() {
        return nonce.clone();
    }

    /** Whether this vouches for an offer (rather than for "nothing new"). */
    public boolean isOffer() {
        return releaseId != null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AnswerStatement s && s.deviceId.equals(deviceId) && Objects.equals(s.rolloutId, rolloutId)
                && Objects.equals(s.releaseId, releaseId) && Arrays.equals(s.nonce, nonce)
                && s.issuedAt.equals(issuedAt) && s.expiresAt.equals(expiresAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(deviceId, rolloutId, releaseId, Arrays.hashCode(nonce), issuedAt, expiresAt);
    }

    @Override
    public String toString() {
        return "AnswerStatement[" + deviceId + ", " + (isOffer() ? releaseId + " of " + rolloutId : "nothing new")
                + ", nonce " + HexFormat.of().formatHex(nonce) + ", " + issuedAt + " to " + expiresAt + "]";
    }
}
