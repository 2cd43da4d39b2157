package org.updraft.benchmarks;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Times whole commands: with hyperfine when it is on the PATH, else by itself (median of interleaved runs). */
final class Processes {

    private Processes() {
    }

    static boolean hyperfine() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "hyperfine"))) {
                return true;
            }
        }
        return false;
    }

    static String timer() {
        return hyperfine() ? "hyperfine" : "timed in-harness";
    }

    /** Mean wall time in seconds of each command, in order, measured alternately on the same machine. */
    @SafeVarargs
    static double[] meanSeconds(Path work, int runs, List<String>... commands) throws Exception {
        if (hyperfine()) {
            Path json = work.resolve("hyperfine.json");
            List<String> hf = new ArrayList<>(List.of("hyperfine", "--style", "none", "--warmup", "1", "--runs",
                    String.valueOf(runs), "--export-json", json.toString()));
            for (List<String> c : commands) {
                hf.add(c.stream().map(Processes::quote).collect(Collectors.joining(" ")));
            }
            Process p = new ProcessBuilder(hf).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("hyperfine exited with " + p.exitValue());
            }
            Matcher mean = Pattern.compile("\"mean\"\\s*:\\s*([0-9.eE+-]+)")
                    .matcher(Files.readString(json, StandardCharsets.UTF_8));
            double[] out = new double[commands.length];
            for (int i = 0; i < out.length; i++) {
                if (!mean.find()) {
                    throw new IllegalStateException("hyperfine's JSON has no mean for command " + (i + 1));
                }
                out[i] = Double.parseDouble(mean.group(1));
            }
            return out;
        }
        double[][] times = new double[commands.length][runs];
        for (int r = -1; r < runs; r++) {
            for (int i = 0; i < commands.length; i++) {
                long start = System.nanoTime();
                Process p = new ProcessBuilder(commands[i]).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                if (p.waitFor() != 0) {
                    throw new IllegalStateException(String.join(" ", commands[i]) + " exited with " + p.exitValue());
                }
                if (r >= 0) {
                    times[i][r] = (System.nanoTime() - start) / 1e9;
                }
            }
        }
        double[] out = new double[commands.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = Rates.median(times[i]);
        }
        return out;
    }

    private static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
