package org.updraft.storage.local.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

import org.updraft.core.work.Workers;

/**
 * Forces many files to disk at once. One fsync at a time waits for one journal commit each (about 10 ms per
 * 256 KiB block on the test machines); several in flight share commits, which made a put's sync phase four
 * to five times faster there. The threads only block in fsync and go away when idle.
 *
 * <p>Each put keeps at most {@value #IN_FLIGHT} of its files in flight; concurrent puts share the
 * {@value #IN_FLIGHT} threads, and when {@value #WAITING} files wait, a put forces its next file itself.
 */
final class DiskSync implements AutoCloseable {

    static final int IN_FLIGHT = 8;
    static final int WAITING = 4 * IN_FLIGHT;
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    private final ExecutorService executor;

    DiskSync(String name) {
        executor = Workers.pool(name + "-fsync", IN_FLIGHT, WAITING);
    }

    /** Forces every file (or directory) to disk; returns when all are, or throws the first failure. */
    void force(Iterable<Path> paths) throws IOException {
        CompletionService<Void> done = new ExecutorCompletionService<>(executor);
        int inFlight = 0;
        IOException failure = null;
        for (Path path : paths) {
            if (inFlight == IN_FLIGHT) {
                failure = first(failure, take(done));
                inFlight--;
            }
            if (failure != null) {
                break;
            }
            try {
                done.submit(() -> {
                    forceNow(path);
                    return null;
                });
            } catch (RejectedExecutionException stopped) {
                failure = new IOException("the store is stopping: " + path + " was not forced to disk");
                break;
            }
            inFlight++;
        }
        while (inFlight-- > 0) {
            failure = first(failure, take(done));
        }
        if (failure != null) {
            throw failure;
        }
    }

    static void forceNow(Path path) throws IOException {
        // READ opens directories as well as files; fsync needs no write access on Linux
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private static IOException take(CompletionService<Void> done) throws InterruptedIOException {
        try {
            done.take().get();
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while forcing blocks to disk");
        } catch (CancellationException e) {
            return new IOException("the store is stopping: a file was not forced to disk");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            return cause instanceof IOException io ? io : new IOException("fsync failed: " + cause, cause);
        }
    }

    private static IOException first(IOException current, IOException next) {
        return current != null ? current : next;
    }

    /** Stops the threads; the store calls it once no put is forcing files any more. */
    @Override
    public void close() {
        Workers.stop(executor, STOP_GRACE);
    }
}
