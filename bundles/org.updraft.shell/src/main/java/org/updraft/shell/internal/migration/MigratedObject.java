package org.updraft.shell.internal.migration;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;

/**
 * What a migration did with one object of the source.
 *
 * @param cid the object's CID
 * @param size its size in bytes, as the source states it
 * @param outcome what happened
 * @param options the options that reproduce its CID (for {@link Outcome#COPIED} and {@link Outcome#WOULD_COPY},
 *        the first candidate for the latter), or {@code null}
 * @param reason why it failed or was not attempted, one line naming the object; {@code null} otherwise
 */
public record MigratedObject(Cid cid, long size, Outcome outcome, CidOptions options, String reason) {

    /** What happened to an object. */
    public enum Outcome {
        /** Copied; the target computed the same CID from bytes that hash to it. */
        COPIED,
        /** The target held it already (pinned again if it was not). */
        ALREADY_THERE,
        /** A dry run: it would be copied. */
        WOULD_COPY,
        /** Not copied; {@link MigratedObject#reason()} says why. Nothing of it is visible in the target. */
        FAILED,
        /** Not attempted: the run stopped before it (interrupted, or the target became unavailable). */
        NOT_ATTEMPTED
    }
}
