package org.updraft.core.log;

import java.util.function.Supplier;

import org.updraft.core.cbor.CborException;

/**
 * A view of the ledger whose state can be written down and read back, so that a {@link LedgerFollower} starts it from
 * a snapshot and replays only the events after it. Called under the owner's lock, like the view's event handler.
 */
public interface SnapshotView {

    /** The view's name, unique among the views of a node: lower-case letters, digits, dots and dashes. */
    String snapshotName();

    /** The version of the state's encoding: a snapshot of another version is not used (the view replays instead). */
    int snapshotVersion();

    /**
     * The view's whole state as a CBOR value (maps, lists, text, bytes, integers): deterministic, so that two views
     * that applied the same events give the same bytes.
     */
    Object snapshotState();

    /**
     * The state {@link #snapshotState()} gives now, taken under the owner's lock when a snapshot is due, for the
     * follower to encode and save later on another thread while the view goes on applying events (so that its callers
     * do not wait for the encoding). What the supplier holds must therefore not change with the view: copies, or
     * values that are never changed. The default takes {@link #snapshotState()} at once, which suits a view whose
     * state value is built of new collections of immutable values; a large view copies less and encodes later.
     */
    default Supplier<Object> captureState() {
        Object state = snapshotState();
        return () -> state;
    }

    /**
     * Replaces the view's state with one {@link #snapshotState()} gave. On any exception the follower empties the
     * view and replays the log from its start.
     */
    void restoreState(Object state) throws CborException;
}
