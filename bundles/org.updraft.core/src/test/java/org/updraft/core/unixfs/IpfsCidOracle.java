package org.updraft.core.unixfs;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's {@code ipfs_cid} (package ipfs-cid), an independent implementation of {@code ipfs add}'s default
 * layout. Missing, it fails the test: CI installs it with {@code .ci/setup}.
 */
public final class IpfsCidOracle {

    private static final Path BINARY = Path.of("/usr/bin/ipfs_cid");
    private static final Pattern OUTPUT = Pattern.compile("\"CIDv0\"\\s*:\\s*\"(Qm\\w+)\"\\s*,\\s*\"CIDv1\"\\s*:\\s*\"(b\\w+)\"");

    /** The two CIDs ipfs_cid prints for a file. */
    public record Answer(String v0, String v1) {
    }

    private IpfsCidOracle() {
    }

    public static Answer ask(Path file) throws IOException, InterruptedException {
        Path binary = Files.isExecutable(BINARY) ? BINARY : findOnPath();
        if (binary == null) {
            fail("ipfs_cid is not installed, so CIDs cannot be checked against an independent implementation; "
                    + "run .ci/setup (it does apt-get install -y ipfs-cid)");
        }
        Process process = new ProcessBuilder(binary.toString(), file.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = process.waitFor();
        Matcher m = OUTPUT.matcher(out);
        if (exit != 0 || !m.find()) {
            fail("ipfs_cid " + file + " exited with " + exit + " and printed: " + out);
        }
        return new Answer(m.group(1), m.group(2));
    }

    private static Path findOnPath() {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, "ipfs_cid");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
