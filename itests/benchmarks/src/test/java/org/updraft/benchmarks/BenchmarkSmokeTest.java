package org.updraft.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness itself works (seconds, quick settings): the ledger and manifest rows measure something real and the
 * table shows them; the table is printed, so CI's log carries a reduced benchmark run. Never a speed assertion; row 1 needs processes and ipfs_cid and runs only from .ci/bench.
 */
class BenchmarkSmokeTest {

    @Test
    void ledgerAndManifestRowsMeasureAndTabulate(@TempDir Path work) throws Exception {
        List<Row> rows = new ArrayList<>(LedgerRow.run(work, true));
        rows.add(ManifestVerificationRow.run(true));
        assertEquals(List.of("6", "6b", "6c", "7"), rows.stream().map(Row::id).toList());
        for (Row row : rows) {
            assertTrue(row.measured() && row.updraft() > 0 && row.referenceFigure() > 0, row.toString());
            assertTrue(List.of("yes", "no", "—").contains(row.met()), row.toString());
        }
        String table = Table.markdown(rows);
        // CI's reduced set: the table goes to the build log (quick settings, figures not for judging)
        System.out.println("Benchmarks, reduced set (.ci/bench runs every row):\n" + table);
        assertTrue(table.lines().count() == 2 + rows.size(), table);
        assertTrue(table.contains("| 7 | manifest verification"), table);
    }

    /**
     * The delta rows run their checks (each tool's patch rebuilds the image with the other side) and measure; .ci/setup
     * installs bsdiff and xdelta3.
     */
    @Test
    void deltaRowsCheckInteropAndMeasure(@TempDir Path work) throws Exception {
        List<Row> rows = DeltaRow.run(work, BenchmarkRun.repositoryRoot(), true);
        assertEquals(List.of("9a", "9b", "9c", "10a", "10b", "10c"), rows.stream().map(Row::id).toList());
        for (Row row : rows) {
            assertTrue(row.measured() && row.updraft() > 0 && row.referenceFigure() > 0, row.toString());
        }
        System.out.println("Benchmarks, delta rows (quick):\n" + Table.markdown(rows));
    }

    /**
     * The delta rollout row rolls out to its fleet with and without the delta (it throws unless every device runs the
     * release's image) and measures the bytes served: a few seconds quick.
     */
    @Test
    void deltaRolloutRowRollsOutAndMeasures(@TempDir Path work) throws Exception {
        List<Row> rows = DeltaRolloutRow.run(work, BenchmarkRun.repositoryRoot(), true);
        assertEquals(List.of("11a", "11b"), rows.stream().map(Row::id).toList());
        for (Row row : rows) {
            assertTrue(row.measured() && row.updraft() > 0 && row.referenceFigure() > 0, row.toString());
        }
        System.out.println("Benchmarks, delta rollout row (quick):\n" + Table.markdown(rows));
    }

    /** The REST device list row lists the whole fleet both ways (each listing is checked whole) and measures. */
    @Test
    void restDeviceListRowListsTheFleetBothWays(@TempDir Path work) throws Exception {
        Row row = RestDeviceListRow.run(work, true);
        assertEquals("16b", row.id());
        assertTrue(row.measured() && row.updraft() > 0 && row.referenceFigure() > 0, row.toString());
        System.out.println("Benchmarks, REST device list row (quick):\n" + Table.markdown(List.of(row)));
    }

    /**
     * The LoRaWAN rows decode (each block checked against the image) at each loss, time the encoder against the bare
     * XOR of its rows, and run a multicast session in simulated time.
     */
    @Test
    void lorawanRowsDecodeEncodeAndRunASession() throws Exception {
        List<Row> rows = LorawanRows.run(true);
        assertEquals(List.of("14a", "14b", "14c", "14d", "14e", "14f"), rows.stream().map(Row::id).toList());
        for (Row row : rows) {
            assertTrue(row.measured() && row.updraft() > 0 && row.referenceFigure() > 0, row.toString());
        }
        assertEquals(1.0, rows.get(0).updraft(), 1e-9, "with no loss exactly M: " + rows.get(0));
        System.out.println("Benchmarks, LoRaWAN rows (quick):\n" + Table.markdown(rows));
    }

    /**
     * The PostgreSQL ledger row appends from two nodes into one log on .ci/postgres's database (it throws when the log
     * holds fewer events than were acknowledged) and measures the database's own commit rate beside it.
     */
    @Test
    void postgresLedgerRowAppendsFromTwoNodesAndMeasures() throws Exception {
        Row row = PostgresLedgerRow.run(true);
        assertEquals("17a", row.id());
        assertTrue(row.measured() && row.updraft() > 0 && row.referenceFigure() > 0, row.toString());
        System.out.println("Benchmarks, PostgreSQL ledger row (quick):\n" + Table.markdown(List.of(row)));
    }

    /**
     * Row 16a starts both servers, checks that every device is offered and that the bare resource answers the
     * transport's very bytes, and counts only exact answers: a few seconds quick.
     */
    @Test
    void ddiPollRowServesBothAndMeasures(@TempDir Path work) throws Exception {
        Row row = DdiPollRow.run(work, true);
        assertEquals("16a", row.id());
        assertTrue(row.measured() && row.updraft() > 0 && row.referenceFigure() > 0, row.toString());
        System.out.println("Benchmarks, DDI poll row (quick):\n" + Table.markdown(List.of(row)));
    }
}
