package org.updraft.shell.internal.migration;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.CorruptObjectException;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.ObjectNotFoundException;
import org.updraft.api.store.ObjectStat;
import org.updraft.api.store.StoreException;
import org.updraft.api.store.StoreStatus;
import org.updraft.api.store.StoredObject;
import org.updraft.shell.internal.migration.MigratedObject.Outcome;
import org.updraft.core.unixfs.BlockSink;
import org.updraft.core.unixfs.UnixFsImporter;

/**
 * Copies every pinned object of a source store to a target store, so that the target serves the same CIDs.
 *
 * <p>For each object, in CID order:
 * <ol>
 * <li>If the target already holds it ({@link FirmwareStore#stat}), it is skipped (and pinned in the target if
 * it was not). This is what makes a run resumable: a put is atomic, so an object interrupted half-way (Ctrl-C,
 * a node going down, a crash) is not in the target, and the next run copies it again.</li>
 * <li>The {@link CidOptions} that reproduce its CID are derived ({@link CidRecipes}); an object whose options
 * cannot be derived fails, named, and is not copied.</li>
 * <li>Its bytes are streamed from the source into the target's put with those options, and hashed on the way
 * under every candidate option. At the end of the stream, before the target may commit, the bytes must hash
 * to the object's CID; if they do not, the stream fails, so the target's put fails and keeps nothing. A
 * corrupt source object therefore never reaches the target. Should a later candidate be the one that matches
 * (a CIDv1 made without raw leaves), the object is copied once more with it.</li>
 * <li>The CID the target returns must be the object's CID.</li>
 * </ol>
 * A failed object does not stop the run. The run stops early when its thread is interrupted or when the
 * target (or source) reports itself unavailable after a failure; the objects left are reported as not
 * attempted. A dry run only looks: it stats the target and derives options, reads and writes nothing.
 */
public final class StoreMigration {

    private final FirmwareStore source;
    private final String sourceName;
    private final FirmwareStore target;
    private final String targetName;

    /**
     * @param sourceName how messages name the source, e.g. {@code local}
     * @param targetName how messages name the target, e.g. {@code ipfs}
     */
    public StoreMigration(FirmwareStore source, String sourceName, FirmwareStore target, String targetName) {
        this.source = Objects.requireNonNull(source, "source");
        this.sourceName = Objects.requireNonNull(sourceName, "sourceName");
        this.target = Objects.requireNonNull(target, "target");
        this.targetName = Objects.requireNonNull(targetName, "targetName");
        if (source == target) {
            throw new IllegalArgumentException("the source and the target are the same store (" + sourceName + ")");
        }
    }

    /**
     * Runs the migration on the calling thread. Interrupting the thread stops it at once; the object being
     * copied is then not in the target, and the thread's interrupt flag is set again on return.
     *
     * @param progress told after each object and while bytes are copied; may be {@code null}
     * @throws StoreException when the run cannot start: a store is unavailable or the source cannot list its
     *         objects
     */
    public MigrationReport run(boolean dryRun, MigrationProgress progress) throws StoreException {
        MigrationProgress listener = progress == null ? MigrationProgress.NONE : progress;
        long started = System.nanoTime();
        checkAvailable(source, "source", sourceName);
        checkAvailable(target, "target", targetName);
        List<ObjectStat> objects = new ArrayList<>(source.list());
        objects.sort(Comparator.comparing(ObjectStat::cid));
        long bytesTotal = objects.stream().mapToLong(ObjectStat::size).sum();

        Run run = new Run(started, objects.size(), bytesTotal, listener);
        List<MigratedObject> results = new ArrayList<>();
        String stopped = null;
        for (ObjectStat object : objects) {
            if (stopped == null && Thread.currentThread().isInterrupted()) {
                stopped = "interrupted";
                run.interrupted = true;
            }
            if (stopped != null) {
                results.add(new MigratedObject(object.cid(), object.size(), Outcome.NOT_ATTEMPTED, null, stopped));
                continue;
            }
            run.current = object.cid();
            MigratedObject result = migrate(object, dryRun, run);
            results.add(result);
            if (result.outcome() == Outcome.COPIED) {
                run.bytesCopied += object.size();
            }
            run.objectsDone++;
            run.current = null;
            run.tell();
            if (run.interrupted) {
                stopped = "interrupted";
            } else if (run.targetFailed) {
                stopped = unavailable(target, "target", targetName);
            } else if (run.sourceFailed) {
                stopped = unavailable(source, "source", sourceName);
            }
            run.targetFailed = false;
            run.sourceFailed = false;
        }
        if (run.interrupted) {
            Thread.currentThread().interrupt();
        }
        return new MigrationReport(results, stopped, run.bytesCopied, run.elapsed(), dryRun);
    }

    private MigratedObject migrate(ObjectStat object, boolean dryRun, Run run) {
        Cid cid = object.cid();
        Optional<ObjectStat> there;
        try {
            there = target.stat(cid);
        } catch (StoreException e) {
            run.targetFailed = true;
            return failed(object, "cannot ask the " + targetName + " store for " + cid + ": " + e.getMessage());
        }
        if (there.isPresent()) {
            if (!there.get().pinned() && !dryRun) {
                try {
                    target.pin(cid);
                } catch (StoreException e) {
                    run.targetFailed = true;
                    return failed(object, "the " + targetName + " store holds " + cid + " but cannot pin it: "
                            + e.getMessage());
                }
            }
            return new MigratedObject(cid, object.size(), Outcome.ALREADY_THERE, null, null);
        }
        CidRecipes.Derivation recipes = CidRecipes.derive(object);
        if (recipes.candidates().isEmpty()) {
            return failed(object, "cannot derive the CID options that reproduce " + cid + ": " + recipes.whyNone());
        }
        if (dryRun) {
            return new MigratedObject(cid, object.size(), Outcome.WOULD_COPY, recipes.candidates().get(0), null);
        }
        int choice = 0;
        long readBefore = run.bytesRead;
        for (int attempt = 1;; attempt++) {
            Copy copy = copy(object, recipes.candidates(), choice, run);
            if (copy.retryWith < 0) {
                return copy.result;
            }
            if (attempt == 2) {
                // the source gave other bytes the second time: it cannot be trusted for this object
                return failed(object, "the " + sourceName + " store returned different bytes for " + cid
                        + " on a second read");
            }
            // the bytes hash to the CID under another candidate: copy again with it (counted once in progress)
            choice = copy.retryWith;
            run.bytesRead = readBefore;
        }
    }

    /** One attempt: the result, or the candidate to try instead ({@code retryWith} not negative). */
    private record Copy(MigratedObject result, int retryWith) {
    }

    private Copy copy(ObjectStat object, List<CidOptions> candidates, int choice, Run run) {
        Cid cid = object.cid();
        CidOptions options = candidates.get(choice);
        InputStream in;
        try {
            in = source.get(cid);
        } catch (ObjectNotFoundException e) {
            return done(failed(object, cid + " is no longer in the " + sourceName + " store"));
        } catch (StoreException e) {
            run.sourceFailed = true;
            return done(failed(object, "reading " + cid + " from the " + sourceName + " store failed: "
                    + e.getMessage()));
        }
        Verifying verifying = new Verifying(in, cid, candidates, choice, run);
        StoredObject stored;
        try (in) {
            stored = target.put(verifying, options);
        } catch (IOException e) {
            if (verifying.interrupted || Thread.currentThread().isInterrupted()) {
                run.interrupted = true;
                return done(failed(object, "interrupted while copying " + cid + "; nothing of it is in the "
                        + targetName + " store"));
            }
            if (verifying.sourceFailure instanceof CorruptObjectException corrupt) {
                return done(failed(object, "source object " + cid + " is corrupt: " + corrupt.getMessage()));
            }
            if (verifying.sourceFailure != null) {
                run.sourceFailed = true;
                return done(failed(object, "reading " + cid + " from the " + sourceName + " store failed: "
                        + message(verifying.sourceFailure)));
            }
            if (verifying.mismatch) {
                if (verifying.match >= 0) {
                    return new Copy(null, verifying.match);
                }
                return done(failed(object, "the bytes read from the " + sourceName + " store do not hash to " + cid
                        + " with any options derived for it (" + candidates.stream().map(CidRecipes::describe)
                                .collect(Collectors.joining("; "))
                        + "): the source object is corrupt, or was made with options that cannot be derived"));
            }
            run.targetFailed = true;
            return done(failed(object, "the " + targetName + " store failed to store " + cid + ": " + message(e)));
        }
        if (!verifying.verified) {
            return done(failed(object, "the " + targetName + " store stopped reading " + cid + " after "
                    + verifying.read + " of " + object.size() + " bytes, so its CID was not checked"));
        }
        if (!stored.cid().equals(cid)) {
            return done(failed(object, "the " + targetName + " store computed CID " + stored.cid() + " for the bytes of "
                    + cid + " (" + CidRecipes.describe(options) + "); " + stored.cid() + " stays in that store"));
        }
        return done(new MigratedObject(cid, object.size(), Outcome.COPIED, options, null));
    }

    private static Copy done(MigratedObject result) {
        return new Copy(result, -1);
    }

    private static MigratedObject failed(ObjectStat object, String reason) {
        return new MigratedObject(object.cid(), object.size(), Outcome.FAILED, null, reason);
    }

    private static String message(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    private static void checkAvailable(FirmwareStore store, String role, String name) throws StoreException {
        StoreStatus status = store.status();
        if (!status.available()) {
            throw new StoreException("the " + role + " store " + name + " is unavailable: " + status.detail());
        }
    }

    /** Why to stop after a failure of {@code store}, or {@code null} when it says it is still available. */
    private static String unavailable(FirmwareStore store, String role, String name) {
        StoreStatus status = store.status();
        return status.available() ? null
                : "the " + role + " store " + name + " became unavailable (" + status.detail() + "); run again to "
                        + "copy the rest";
    }

    /** Counters of one run, reported to its progress listener. */
    private static final class Run {
        final long started;
        final long objectsTotal;
        final long bytesTotal;
        final MigrationProgress listener;
        long objectsDone;
        long bytesRead;
        long bytesCopied;
        Cid current;
        boolean interrupted;
        boolean targetFailed;
        boolean sourceFailed;

        Run(long started, long objectsTotal, long bytesTotal, MigrationProgress listener) {
            this.started = started;
            this.objectsTotal = objectsTotal;
            this.bytesTotal = bytesTotal;
            this.listener = listener;
        }

        Duration elapsed() {
            return Duration.ofNanos(System.nanoTime() - started);
        }

        void tell() {
            listener.update(new MigrationStatus(objectsDone, objectsTotal, bytesRead, bytesTotal, current, elapsed()));
        }
    }

    /**
     * The source's bytes on their way to the target, hashed under every candidate. At the end it fails instead
     * of reporting the end unless the chosen candidate reproduces the CID, so the target commits nothing else.
     */
    private static final class Verifying extends InputStream {
        private final InputStream in;
        private final Cid cid;
        private final List<CidOptions> candidates;
        private final UnixFsImporter[] importers;
        private final int choice;
        private final Run run;
        long read;
        boolean verified;
        boolean interrupted;
        boolean mismatch;
        int match = -1;
        IOException sourceFailure;

        Verifying(InputStream in, Cid cid, List<CidOptions> candidates, int choice, Run run) {
            this.in = in;
            this.cid = cid;
            this.candidates = candidates;
            this.choice = choice;
            this.run = run;
            this.importers = new UnixFsImporter[candidates.size()];
            for (int i = 0; i < importers.length; i++) {
                importers[i] = new UnixFsImporter(candidates.get(i), BlockSink.DISCARD);
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (Thread.currentThread().isInterrupted()) {
                interrupted = true;
                throw new InterruptedIOException("migration interrupted");
            }
            if (verified) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            int n;
            try {
                n = in.read(b, off, len);
            } catch (IOException e) {
                sourceFailure = e;
                throw e;
            }
            if (n < 0) {
                check();
                return -1;
            }
            for (UnixFsImporter importer : importers) {
                importer.write(b, off, n);
            }
            read += n;
            run.bytesRead += n;
            run.tell();
            return n;
        }

        private void check() throws IOException {
            for (int i = 0; i < importers.length; i++) {
                if (importers[i].finish().cid().equals(cid)) {
                    if (i == choice) {
                        verified = true;
                        return;
                    }
                    if (match < 0) {
                        match = i;
                    }
                }
            }
            mismatch = true;
            throw new IOException("the bytes read do not hash to " + cid + " with "
                    + CidRecipes.describe(candidates.get(choice)));
        }
    }
}
