package org.updraft.benchmarks;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Runs the rows of issue 6, prints one table and writes it, with date, machine, command and versions, to a
 * Markdown file. Never fails on speed: a missed target is a "no" in the table.
 *
 * <pre>
 * java -cp CLASSPATH org.updraft.benchmarks.BenchmarkRun [--quick] [--out BENCHMARKS.md] [--work DIR]
 *      [--command "what was typed"] [--maven "Apache Maven 3.x"] [--rows 1,7]
 * </pre>
 */
public final class BenchmarkRun {

    private BenchmarkRun() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        Path out = null;
        Path work = null;
        String command = "java " + BenchmarkRun.class.getName();
        String maven = "unknown";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--out" -> out = Path.of(args[++i]);
                case "--work" -> work = Path.of(args[++i]);
                case "--command" -> command = args[++i];
                case "--maven" -> maven = args[++i];
                case "--rows" -> {
                    only = new java.util.HashSet<>(List.of(args[++i].split(",")));
                    if (only.contains("5")) {
                        only.add("4"); // row 5's reference is row 4's bare transfer
                    }
                    if (only.contains("12")) {
                        only.add("8"); // row 12's reference is row 8's bare Paho responder
                    }
                }
                default -> {
                    System.err.println("bench: unknown argument '" + args[i] + "'");
                    System.exit(2);
                }
            }
        }
        // the machine as the run found it: a loaded machine is why figures move between runs
        String started = ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        String load = Machine.load();
        if (work == null) {
            work = Files.createTempDirectory("updraft-bench");
        }
        Files.createDirectories(work);
        String table = Table.markdown(rows(work, System.getProperty("java.class.path"), quick));
        System.out.println(table);
        if (out != null) {
            Files.writeString(out, report(table, quick, command, maven, started, load, Machine.load()),
                    StandardCharsets.UTF_8);
            System.out.println("written to " + out);
        }
        if (errors > 0) {
            System.err.println("bench: " + errors + " row(s) failed to run; see ERROR in the table");
            System.exit(1);
        }
        // the run is over and written: exit even if a row's clients left threads behind (row 8's Paho fetchers,
        // when the broker dropped them under load, kept the harness alive after the table was printed)
        System.exit(0);
    }

    /** Every row, measured or marked as not run; the order of the issue. */
    static List<Row> rows(Path work, String classpath, boolean quick) throws Exception {
        List<Row> rows = new ArrayList<>();
        rows.addAll(measured("1", "content addressing", "≥ 2×; ≥ 0.7",
                () -> ContentAddressingRow.run(work, classpath, quick)));
        rows.addAll(measured("2", "ingest", "≥ 3×", () -> IngestRow.run(work, quick)));
        rows.addAll(measured("3", "update checks over CoAP", "≥ 0.8", () -> List.of(UpdateCheckRow.run(work, quick))));
        rows.addAll(measured("3d", "update checks over CoAP with DTLS", "≥ 0.8",
                () -> List.of(UpdateCheckRow.runDtls(work, quick))));
        List<Row> delivery = measured("4", "block-wise delivery", "≥ 1.0×", () -> List.of(DeliveryRow.run(work, quick)));
        rows.addAll(delivery);
        rows.addAll(measured("5", "full fleet rollout", "≥ 0.7; heap ≤ 512 MiB",
                () -> List.of(FleetRolloutRow.run(work, quick, delivery.get(0)))));
        rows.addAll(measured("5d", "full fleet rollout over DTLS", "≥ 0.7; heap ≤ 512 MiB",
                () -> List.of(FleetRolloutRow.runDtls(work, quick, delivery.get(0)))));
        rows.addAll(measured("6", "ledger durable appends", "≥ 20,000 appends/s", () -> LedgerRow.run(work, quick)));
        rows.addAll(measured("7", "manifest verification", "≥ 0.9",
                () -> List.of(ManifestVerificationRow.run(quick))));
        List<Row> mqttDelivery = measured("8", "MQTT delivery", "≥ 0.8", () -> List.of(MqttDeliveryRow.run(work,
                quick)));
        rows.addAll(mqttDelivery);
        rows.addAll(measured("12", "full fleet rollout over MQTT", "≥ 0.7; heap ≤ 512 MiB",
                () -> List.of(MqttFleetRolloutRow.run(work, quick, mqttDelivery.get(0)))));
        rows.addAll(measured("9", "delta codecs", "≤ 1.0× size; ≥ 1.0× speed",
                () -> DeltaRow.run(work, repositoryRoot(), quick)));
        rows.addAll(measured("11", "delta rollout", "≥ 5×", () -> DeltaRolloutRow.run(work, repositoryRoot(), quick)));
        rows.addAll(measured("13", "update check latency during a flood", "—",
                () -> List.of(FloodRow.run(work, quick))));
        rows.addAll(measured("14", "LoRaWAN FUOTA (issue 14)", "≥ 0.9; ≥ 0.5; ≥ 0.8; ≥ 5",
                () -> LorawanRows.run(quick)));
        rows.addAll(measured("16a", "DDI base polls", "≥ 0.8", () -> List.of(DdiPollRow.run(work, quick))));
        rows.addAll(measured("16b", "REST device list", "—", () -> List.of(RestDeviceListRow.run(work, quick))));
        rows.addAll(measured("17a", "PostgreSQL ledger durable appends", "—",
                () -> List.of(PostgresLedgerRow.run(quick))));
        rows.addAll(measured("17b", "node start-up on a long PostgreSQL log", "≤ 10 s",
                () -> StartupRow.run(work, quick)));
        return rows;
    }

    /** What a row produces. */
    @FunctionalInterface
    interface Measurement {
        List<Row> run() throws Exception;
    }

    /** A row that throws is shown as an error in the table (and makes the run exit 1), the others still run. */
    private static List<Row> measured(String id, String what, String target, Measurement measurement) {
        if (only != null && !only.contains(id)) {
            return List.of(Row.notRun(id, what, target, "not run (--rows)"));
        }
        try {
            return measurement.run();
        } catch (Exception | Error e) {
            e.printStackTrace();
            errors++;
            return List.of(Row.notRun(id, what, target, "ERROR: " + String.valueOf(e.getMessage()).lines()
                    .findFirst().orElse(e.toString()).replace('|', '/')));
        }
    }

    private static int errors;

    /** The repository's root (where mvnw is), at or above the working directory: the shared fixtures sit beside it. */
    static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no repository root (with mvnw) at or above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    /** The rows to measure ({@code --rows 3,5}, for profiling one row); null = all of them. */
    private static java.util.Set<String> only;

    private static String report(String table, boolean quick, String command, String maven, String started,
            String loadAtStart, String loadAtEnd) throws Exception {
        Properties versions = new Properties();
        try (InputStream in = BenchmarkRun.class.getResourceAsStream("versions.properties")) {
            versions.load(in);
        }
        StringBuilder md = new StringBuilder();
        md.append("# Updraft benchmarks\n\n");
        md.append("Generated by `.ci/bench`; do not edit. Every Updraft figure is compared with a reference measured"
                + " in the same run on the same machine: compare ratios across runs, never absolute numbers.");
        if (quick) {
            md.append(" **This is a `--quick` run (small inputs, short rounds): its figures are for checking that"
                    + " the harness works, not for judging speed.**");
        }
        md.append("\n\n");
        md.append("- date: ").append(started).append('\n');
        md.append("- command: `").append(command).append("`\n");
        md.append("- machine: ").append(Machine.describe()).append('\n');
        md.append("- load: at start ").append(loadAtStart).append("; at end ").append(loadAtEnd).append('\n');
        md.append("- versions: Java ").append(System.getProperty("java.runtime.version")).append(" (")
                .append(System.getProperty("java.vm.name")).append("), ").append(maven).append(", Karaf ")
                .append(versions.getProperty("karaf")).append(", Californium ")
                .append(versions.getProperty("californium")).append(", BouncyCastle ")
                .append(versions.getProperty("bouncycastle")).append("\n\n");
        md.append(table).append('\n');
        md.append("""
                "what bounds it" says what the JFR profile showed where it says JFR (rows 1, 5, 7: the harness's
                JVM, or the server's with UPDRAFT_BENCH_JFR=DIR .ci/bench), else what the row's cost consists of by
                construction. Fixed from the profiles: row 7's did:key decoded on every verify (now kept per key);
                row 5's server threads queueing behind one fsync per first offer and per report under the update
                service's lock (now appended outside it, sharing the ledger's group commit), and its heap filling
                with Californium's duplicate store (now the last 16 requests per device). The server's live heap
                in row 5 then grows with its backlog of queued requests: on a quiet machine 10,000 devices fit in
                512 MiB; with other builds loading both cores the backlog grew until back-to-back full GCs stopped
                the server (seen once, 2026-11-23). Rows 3 and 5 run Updraft's server in its own JVM (row 5 with
                -Xmx512m; row 3 gives both servers 2 GiB, as the bare Californium one also ran out at 512 MiB);
                heap figures come from the collector's notifications.
                Row 5's reference turns row 4's libcoap bytes/s into devices/s (÷ 128 KiB): the download alone,
                without check, verification or reports. Row 12 is row 5 over MQTT through mosquitto, each device
                with its own connection (the device's own MQTT 5 client, one thread each), 10,000 devices in two
                JVMs of their own, its reference row 8's bare Paho responder as devices/s. The machine is shared
                with other builds: see the load above. Ratios are Updraft ÷ reference, higher is better. Row 6's target is absolute (appends/s);
                rows 6b and 6c have no target. Rows 9 and 10 show patch sizes as how many times smaller than the
                image a patch is, so that a ratio at or above 1 says our patch is no larger than the tool's.
                Row 11 shows bytes served per device the same way, for a delta rollout and for the same rollout
                without the delta, so that its ratio is how many times fewer bytes the delta rollout served.
                Row 13 is the exception: its figures are latencies and its ratio is how many times longer a check
                took during the flood (lower is better; no target). A few devices check every 50 ms while
                confirmable checks from other sockets arrive far faster than row 3's rate; the CoAP transport, on
                its default bounds, answers 5.03 with a Max-Age above 512 datagrams waiting and drops datagrams
                unread above 4096, so what the devices wait for is a quick answer (often that 5.03) or, when their
                datagram was dropped with the flood's, a retransmission (2 s or more): the p99 shows those.
                Row 17a runs two ledger nodes in one JVM against .ci/postgres's database, its reference
                that database's own one-row commits; its appends per commit are in the last column.
                """);
        return md.toString();
    }
}
