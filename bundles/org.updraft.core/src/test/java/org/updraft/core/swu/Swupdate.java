package org.updraft.core.swu;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Debian's {@code swupdate -c} as the tests' oracle for {@code .swu} archives (.ci/setup installs it). */
public final class Swupdate {

    private static final int RUNS = 5;

    private Swupdate() {
    }

    /**
     * Whether {@code swupdate -c} accepts the archive under the certificate for board revision {@code hardware}
     * (e.g. {@code board:1.0}), with any further options. Debian's swupdate 2022.12 sometimes exits 1 right after
     * logging "SWUpdate was successful" (about 1 run in 6 of the same archive, whether GNU cpio or SwuWriter wrote
     * it): an archive counts as accepted when one of five runs exits 0, and as refused only when all five refuse.
     * Each run's output goes to {@code work/swupdate.log}.
     */
    public static boolean accepts(Path work, Path swu, Path certificate, String hardware, String... more)
            throws Exception {
        List<String> command = new ArrayList<>(List.of("swupdate", "-c", "-i", swu.toString(), "-k",
                certificate.toString(), "-H", hardware));
        command.addAll(List.of(more));
        for (int run = 0; run < RUNS; run++) {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(work.resolve("swupdate.log").toFile());
            // swupdate extracts sw-description and its signature into TMPDIR (/tmp by default): a directory of
            // this run's own, so that no other swupdate on the machine (another build's test) swaps them
            builder.environment().put("TMPDIR", Files.createTempDirectory(work, "swupdate").toString());
            Process p = builder.start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("swupdate -c did not finish within 120 s: " + command);
            }
            if (p.exitValue() == 0) {
                return true;
            }
        }
        return false;
    }
}
