package org.updraft.core.delta;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.updraft.api.delta.DeltaCodec;

/**
 * Issue 12's delta targets, as ratios against Debian's tools measured in the same run: patch size (ours over
 * theirs, at most 1.0 wanted) and apply speed (their time over ours, at least 1.0 wanted), for bsdiff against
 * {@code bsdiff}/{@code bspatch} and VCDIFF against {@code xdelta3}. Prints a table; asserts nothing about time.
 *
 * <p>Ours is timed in this JVM once warm (the device agent and the platform are long-running), reading base and
 * patch from files and writing the target to a file; theirs as a process, start included (a few milliseconds,
 * which dominates on small pairs). Wall clock and CPU time both: on a loaded machine the wall clock of a process
 * includes waiting for a core, CPU time does not. Each figure is the median of interleaved rounds.
 *
 * <p>Run: {@code ./mvnw -o -pl bundles/org.updraft.core test -Dtest=DeltaBenchmark -Dupdraft.bench=true}
 * ({@code -Dupdraft.bench.rounds=N}, default 7), or {@link #main} from core's test classes.
 */
public class DeltaBenchmark {

    /**
     * @param startMs what starting their tool costs: the median time of a run that does nothing (usage or version)
     */
    public record Row(String codec, String pair, long targetSize, long ours, long theirs, double oursMs, double theirsMs,
            double startMs, double oursCpuMs, double theirsCpuMs) {

        double sizeRatio() {
            return (double) ours / theirs;
        }

        double speedRatio() {
            return theirsMs / oursMs;
        }

        /** Their apply time without their process's start, over ours. */
        double netSpeedRatio() {
            return Math.max(0, theirsMs - startMs) / oursMs;
        }

        /** Their CPU time (user and system, start included) over ours (this thread's): what load does not blur. */
        double cpuRatio() {
            return theirsCpuMs / oursCpuMs;
        }
    }

    @Test
    @EnabledIfSystemProperty(named = "updraft.bench", matches = "true")
    void measure() throws Exception {
        run(Integer.getInteger("updraft.bench.rounds", 7));
    }

    public static void main(String[] args) throws Exception {
        run(args.length > 0 ? Integer.parseInt(args[0]) : 7);
    }

    /** Measures every row (rounds: how many timed runs each median is taken from), prints the table, returns it. */
    public static List<Row> run(int rounds) throws Exception {
        Path dir = Work.directory("bench");
        List<Row> rows = new ArrayList<>();
        Path fixtures = Work.fixtures();
        byte[] small = Images.firmware(71, 1 << 20);
        byte[] large = Images.firmware(72, 8 << 20);
        List<Images.Pair> pairs = List.of(
                new Images.Pair("fixture 64 KiB", Files.readAllBytes(fixtures.resolve("old.bin")),
                        Files.readAllBytes(fixtures.resolve("new.bin"))),
                new Images.Pair("firmware 1 MiB, 1%", small, Images.changed(small, 73, 0.01)),
                new Images.Pair("firmware 8 MiB, 1%", large, Images.changed(large, 74, 0.01)));
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        for (Images.Pair pair : pairs) {
            Path old = dir.resolve("old.bin");
            Path next = dir.resolve("new.bin");
            Files.write(old, pair.old());
            Files.write(next, pair.next());
            rows.add(bsdiff(dir, pair, old, next, rounds));
            rows.add(vcdiff(dir, pair, old, next, rounds, new VcdiffCodec(false), "-S", "none", "-A", "-n"));
            rows.add(vcdiff(dir, pair, old, next, rounds, new VcdiffCodec(true), "-S", "none"));
        }
        double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        System.out.printf(Locale.ROOT, "%n%-32s %-19s %9s %8s %8s %6s %8s %9s %8s %6s %6s %8s %9s %6s%n",
                "codec (theirs)", "pair", "target B", "ours B", "theirs B", "size×", "ours ms", "theirs ms", "start ms",
                "speed×", "net×", "ours cpu", "theirs cpu", "cpu×");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "%-32s %-19s %9d %8d %8d %6.3f %8.2f %9.2f %8.2f %6.2f %6.2f %8.2f %9.2f %6.2f%n",
                    r.codec(), r.pair(), r.targetSize(), r.ours(), r.theirs(), r.sizeRatio(), r.oursMs(), r.theirsMs(),
                    r.startMs(), r.speedRatio(), r.netSpeedRatio(), r.oursCpuMs(), r.theirsCpuMs(), r.cpuRatio());
        }
        System.out.printf(Locale.ROOT, "size× = our patch / theirs (≤ 1.0 wanted); speed× = their apply time / ours "
                + "(≥ 1.0 wanted), wall clock; net× = the same without their process's start (start ms: the tool "
                + "doing nothing); cpu× = their CPU time / ours; medians of %d rounds; load average %.1f before, "
                + "%.1f after, %d cores%n", rounds, load, loadAfter, Runtime.getRuntime().availableProcessors());
        return rows;
    }

    private static Row bsdiff(Path dir, Images.Pair pair, Path old, Path next, int rounds) throws Exception {
        BsdiffCodec codec = new BsdiffCodec();
        Path ours = dir.resolve("ours.bsdiff");
        Path theirs = dir.resolve("theirs.bsdiff");
        Work.create(codec, old, next, ours);
        DebianTool.bsdiff(dir, old, next, theirs);
        Path out = dir.resolve("out.bin");
        double[] times = time(rounds,
                () -> applyToFile(codec, old, ours, out, pair.next().length),
                () -> cpu(dir, "bspatch", "bsdiff", old.toString(), out.toString(), ours.toString()));
        check(out, pair.next());
        return new Row("bsdiff (bsdiff/bspatch)", pair.name(), pair.next().length, Files.size(ours),
                Files.size(theirs), times[0], times[1], start(dir, rounds, "bspatch", "bsdiff"), times[2], times[3]);
    }

    private static Row vcdiff(Path dir, Images.Pair pair, Path old, Path next, int rounds, VcdiffCodec codec,
            String... flags) throws Exception {
        Path ours = dir.resolve("ours.vcdiff");
        Path theirs = dir.resolve("theirs.vcdiff");
        Work.create(codec, old, next, ours);
        DebianTool.xdelta3Encode(dir, old, next, theirs, flags);
        Path out = dir.resolve("out.bin");
        double[] times = time(rounds,
                () -> applyToFile(codec, old, ours, out, pair.next().length),
                () -> cpu(dir, "xdelta3", "xdelta3", "-d", "-f", "-s", old.toString(), ours.toString(),
                        out.toString()));
        check(out, pair.next());
        return new Row("vcdiff (xdelta3 " + String.join(" ", flags) + ")", pair.name(), pair.next().length,
                Files.size(ours), Files.size(theirs), times[0], times[1], start(dir, rounds, "xdelta3", "xdelta3",
                        "-V"), times[2], times[3]);
    }

    /** The median time of the tool doing nothing: {@code bspatch} with no arguments, {@code xdelta3 -V}. */
    private static double start(Path dir, int rounds, String binary, String packageName, String... args)
            throws Exception {
        double[] t = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            long t0 = System.nanoTime();
            DebianTool.run(dir.resolve("start.log"), binary, packageName, args);
            t[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(t);
        return t[rounds / 2];
    }

    interface Action {
        void run() throws Exception;
    }

    interface Tool {
        /** Runs it and returns its CPU time in milliseconds. */
        double run() throws Exception;
    }

    /**
     * Medians in milliseconds, run in turn after a warm-up of each: our wall time, theirs, our CPU time (this
     * thread's), theirs (the process's user and system time).
     */
    private static double[] time(int rounds, Action ours, Tool theirs) throws Exception {
        for (int i = 0; i < 3; i++) {
            ours.run();
            theirs.run();
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        double[][] m = new double[4][rounds];
        for (int i = 0; i < rounds; i++) {
            long c0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            ours.run();
            long t1 = System.nanoTime();
            long c1 = threads.getCurrentThreadCpuTime();
            double theirCpu = theirs.run();
            long t2 = System.nanoTime();
            m[0][i] = (t1 - t0) / 1e6;
            m[1][i] = (t2 - t1) / 1e6;
            m[2][i] = (c1 - c0) / 1e6;
            m[3][i] = theirCpu;
        }
        double[] medians = new double[4];
        for (int k = 0; k < 4; k++) {
            Arrays.sort(m[k]);
            medians[k] = m[k][rounds / 2];
        }
        return medians;
    }

    /** Runs a Debian tool under bash's {@code time} and returns its user plus system time in milliseconds. */
    private static double cpu(Path dir, String binary, String packageName, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", "-c",
                "TIMEFORMAT='%3U %3S'; time \"$0\" \"$@\" > /dev/null 2>&1",
                DebianTool.find(binary, packageName).toString()));
        command.addAll(List.of(args));
        Path log = dir.resolve("time.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (p.waitFor() != 0) {
            throw new AssertionError(binary + " failed: " + DebianTool.read(log));
        }
        String[] parts = DebianTool.read(log).trim().split("\\s+");
        return (Double.parseDouble(parts[parts.length - 2]) + Double.parseDouble(parts[parts.length - 1])) * 1000;
    }

    private static void applyToFile(DeltaCodec codec, Path old, Path patch, Path out, long size) throws Exception {
        try (FileChannel base = FileChannel.open(old); FileChannel p = FileChannel.open(patch);
                OutputStream target = new BufferedOutputStream(Files.newOutputStream(out), 64 * 1024)) {
            codec.apply(base, p, target, size, Long.MAX_VALUE);
        }
    }

    private static void check(Path out, byte[] expected) throws Exception {
        if (!Arrays.equals(Files.readAllBytes(out), expected)) {
            throw new AssertionError("the last apply built the wrong image");
        }
    }
}
