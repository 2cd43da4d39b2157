package org.updraft.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;

/** What BENCHMARKS.md says about the machine, read from /proc (Linux). */
final class Machine {

    private Machine() {
    }

    static String describe() {
        String cpu = "unknown CPU";
        String ram = "unknown RAM";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    ram = String.format("%.1f GiB RAM", kib / 1024.0 / 1024.0);
                }
            }
        } catch (Exception e) {
            // not Linux: say unknown rather than fail the run
        }
        return Runtime.getRuntime().availableProcessors() + " cores (nproc), " + cpu + ", " + ram;
    }

    static String load() {
        try {
            return "load average " + Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (Exception e) {
            return "unknown";
        }
    }
}
