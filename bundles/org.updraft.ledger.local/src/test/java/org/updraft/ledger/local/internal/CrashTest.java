package org.updraft.ledger.local.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.core.log.CheckpointCodec;
import org.updraft.core.log.LedgerEventCodec;
import org.updraft.core.log.MerkleFrontier;
import org.updraft.core.log.MerkleTree;

/**
 * An acknowledged append survives kill -9: a child JVM appends from several threads and prints each acknowledged
 * index; it is killed with SIGKILL in full flight; the reopened log must hold every acknowledged event intact,
 * and the whole tree must match a fresh checkpoint and every checkpoint issued before the kill.
 */
class CrashTest {

    static final String ORIGIN = "crash-log";
    private static final int ROUNDS = 3;
    private static final int THREADS = 8;
    private static final int ACKS_BEFORE_KILL = 2000;

    @TempDir
    Path dir;

    private record Ack(long index, String tag, long seq) {
    }

    @Test
    void acknowledgedAppendsSurviveSigkill() throws Exception {
        String logKey = null;
        long acknowledgedTotal = 0;
        for (int round = 0; round < ROUNDS; round++) {
            List<String> lines = runAndKill("r" + round);
            List<Ack> acks = new ArrayList<>();
            Set<Long> checkpointSizes = new HashSet<>();
            for (String line : lines) {
                String[] f = line.split(" ");
                if (f[0].equals("ACK")) {
                    acks.add(new Ack(Long.parseLong(f[1]), f[2], Long.parseLong(f[3])));
                } else if (f[0].equals("CP")) {
                    checkpointSizes.add(Long.parseLong(f[1]));
                }
            }
            assertTrue(acks.size() >= ACKS_BEFORE_KILL, "round " + round + ": only " + acks.size() + " acks");
            acknowledgedTotal += acks.size();

            try (FileLedger ledger = FileLedger.open(dir, dir.resolve("log-key.pem"), ORIGIN, true)) {
                if (logKey == null) {
                    logKey = ledger.logKey();
                }
                assertEquals(logKey, ledger.logKey(), "the log key survives");

                Set<Long> seen = new HashSet<>();
                for (Ack ack : acks) {
                    assertTrue(seen.add(ack.index()), "index " + ack.index() + " acknowledged twice");
                    assertTrue(ack.index() < ledger.size(), "acknowledged event " + ack.index()
                            + " is missing: the reopened log holds " + ledger.size());
                    LedgerEntry entry = ledger.get(ack.index());
                    assertEquals(Frames.event(ack.tag(), ack.seq()), entry.event(), "event " + ack.index());
                }
                verifyWholeTree(ledger, checkpointSizes);
                System.out.printf("crash round %d: %d appends and %d checkpoints acknowledged before SIGKILL;"
                        + " the reopened log holds %d events, all acknowledged ones intact, %d checkpoints verified%n",
                        round, acks.size(), checkpointSizes.size(), ledger.size(),
                        ledger.checkpoints(0, Integer.MAX_VALUE).size());
            }
        }
        assertTrue(acknowledgedTotal >= ROUNDS * ACKS_BEFORE_KILL);
    }

    /** Recomputes the tree from every event and checks it against all issued checkpoints and a fresh one. */
    private static void verifyWholeTree(FileLedger ledger, Set<Long> acknowledgedCheckpoints) throws Exception {
        List<Checkpoint> issued = ledger.checkpoints(0, Integer.MAX_VALUE);
        Set<Long> issuedSizes = new HashSet<>();
        issued.forEach(c -> issuedSizes.add(c.treeSize()));
        assertTrue(issuedSizes.containsAll(acknowledgedCheckpoints), "every acknowledged checkpoint was kept");

        Checkpoint fresh = ledger.checkpoint();
        assertEquals(ledger.size(), fresh.treeSize());
        Checkpoint checked = CheckpointCodec.verify(fresh.envelope(), ledger.logKey());
        assertArrayEquals(fresh.rootHash(), checked.rootHash());

        MerkleFrontier frontier = new MerkleFrontier();
        int next = 0;
        while (next < issued.size() && issued.get(next).treeSize() == 0) {
            assertArrayEquals(frontier.rootHash(), issued.get(next).rootHash(), "checkpoint of the empty log");
            next++;
        }
        for (long from = 0; from < ledger.size();) {
            List<LedgerEntry> page = ledger.read(from, 5000);
            for (LedgerEntry entry : page) {
                assertArrayEquals(LedgerEventCodec.leafHash(entry.event()), entry.leafHash());
                frontier.append(entry.leafHash());
                while (next < issued.size() && issued.get(next).treeSize() == frontier.size()) {
                    Checkpoint old = issued.get(next);
                    assertArrayEquals(old.rootHash(), frontier.rootHash(), "checkpoint at " + old.treeSize());
                    CheckpointCodec.verify(old.envelope(), ledger.logKey());
                    MerkleTree.verifyConsistency(ledger.consistencyProof(old.treeSize(), fresh.treeSize()),
                            old.rootHash(), fresh.rootHash());
                    next++;
                }
            }
            from += page.size();
        }
        assertArrayEquals(fresh.rootHash(), frontier.rootHash());
        assertEquals(issued.size(), next, "every issued checkpoint was checked");
    }

    /** Starts the child, lets it acknowledge appends for a while, kills it with SIGKILL, returns its whole lines. */
    private List<String> runAndKill(String round) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path stderr = dir.resolveSibling(dir.getFileName() + "-" + round + ".stderr");
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                CrashingAppender.class.getName(), dir.toString(), round, Integer.toString(THREADS))
                .redirectError(stderr.toFile()).start();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> copy(child.getInputStream(), output));
        reader.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (acks(output) < ACKS_BEFORE_KILL) {
            if (!child.isAlive()) {
                fail("the appender died on its own (exit " + child.exitValue() + "): " + Files.readString(stderr));
            }
            if (System.nanoTime() > deadline) {
                child.destroyForcibly();
                fail("the appender acknowledged only " + acks(output) + " appends in 60 s: " + Files.readString(stderr));
            }
            Thread.sleep(5);
        }
        child.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no flushing
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        reader.join();
        String text;
        synchronized (output) {
            text = output.toString(StandardCharsets.US_ASCII);
        }
        // Only whole lines count: a line the child had not finished writing was not acknowledged to anyone.
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        lines.remove(lines.size() - 1);
        assertTrue(lines.get(0).startsWith("OPEN "), lines.get(0));
        return lines;
    }

    private static long acks(ByteArrayOutputStream output) {
        synchronized (output) {
            return output.toString(StandardCharsets.US_ASCII).lines().filter(l -> l.startsWith("ACK ")).count();
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] buffer = new byte[8192];
        try {
            for (int n; (n = in.read(buffer)) > 0;) {
                synchronized (out) {
                    out.write(buffer, 0, n);
                }
            }
        } catch (IOException e) {
            // the child's end of the pipe closed
        }
    }
}
