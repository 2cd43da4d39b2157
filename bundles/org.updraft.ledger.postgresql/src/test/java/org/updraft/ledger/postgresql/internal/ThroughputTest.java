package org.updraft.ledger.postgresql.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.updraft.ledger.postgresql.internal.TestSchema.event;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A measurement that only prints (timing asserts nothing here): appends per second of one node from 1 thread
 * and from 16, both in this run against the same database. With group commit the 16 threads share
 * transactions, so their rate is close to the commit rate times the batch size; the ratio is what to read.
 */
class ThroughputTest {

    private static final long MILLIS = Long.getLong("updraft.bench.millis", 1500);

    private TestSchema db;

    @BeforeEach
    void schema() {
        db = TestSchema.fresh();
    }

    @AfterEach
    void drop() throws SQLException {
        db.close();
    }

    @Test
    void printsAppendsPerSecondFromOneAndSixteenThreads() throws Exception {
        SqlLedger ledger = db.node(0);
        run(ledger, 1, 300); // warm-up: connections, JIT, table pages
        long[] one = run(ledger, 1, MILLIS);
        long[] sixteen = run(ledger, 16, MILLIS);
        double oneRate = one[0] * 1e9 / one[2];
        double sixteenRate = sixteen[0] * 1e9 / sixteen[2];
        System.out.printf("postgresql ledger, one node: 1 thread %.0f appends/s (%.0f commits/s), 16 threads %.0f"
                + " appends/s (%.1fx) in %.0f commits/s of %.1f events each%n", oneRate, one[1] * 1e9 / one[2],
                sixteenRate, sixteenRate / oneRate, sixteen[1] * 1e9 / sixteen[2], (double) sixteen[0] / sixteen[1]);
    }

    /** Appends, commits and nanoseconds of {@code threads} appending for {@code millis}. */
    private long[] run(SqlLedger ledger, int threads, long millis) throws Exception {
        AtomicLong done = new AtomicLong();
        long commitsBefore = ledger.commits();
        List<Throwable> failures = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + millis * 1_000_000;
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String tag = "w" + threads + "." + t;
            Thread worker = new Thread(() -> {
                try {
                    for (int i = 0; System.nanoTime() < end; i++) {
                        ledger.append(event(tag, i));
                        done.incrementAndGet();
                    }
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            });
            worker.start();
            workers.add(worker);
        }
        for (Thread worker : workers) {
            worker.join();
        }
        assertEquals(List.of(), failures);
        return new long[] {done.get(), ledger.commits() - commitsBefore, System.nanoTime() - start};
    }
}
