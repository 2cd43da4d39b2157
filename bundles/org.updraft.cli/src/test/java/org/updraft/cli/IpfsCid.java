package org.updraft.cli;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's {@code ipfs_cid} (package ipfs-cid): an independent implementation of {@code ipfs add}'s default
 * layout (256 KiB chunks, balanced, dag-pb leaves). Its "CIDv1" is the CIDv0 root re-encoded as CIDv1, which is
 * what {@code ipfs add --cid-version 1 --raw-leaves=false} prints only for a file of one chunk: above that, Kubo
 * links CIDv1 children, so the root's bytes differ.
 */
final class IpfsCid {

    private static final Pattern OUTPUT = Pattern.compile(
            "\"CIDv0\"\\s*:\\s*\"(Qm[1-9A-HJ-NP-Za-km-z]+)\"\\s*,\\s*\"CIDv1\"\\s*:\\s*\"(b[a-z2-7]+)\"");

    record Answer(String v0, String v1, String stdout) {
    }

    private IpfsCid() {
    }

    static Answer of(Path file) throws Exception {
        Path binary = find();
        if (binary == null) {
            fail("ipfs_cid is not installed, so CIDs cannot be checked against an independent implementation: "
                    + "install it with 'apt-get install -y ipfs-cid'");
        }
        Process p = new ProcessBuilder(binary.toString(), file.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = p.waitFor();
        Matcher m = OUTPUT.matcher(out);
        if (exit != 0 || !m.find()) {
            fail("ipfs_cid " + file + " exited with " + exit + " and printed: " + out);
        }
        return new Answer(m.group(1), m.group(2), out);
    }

    private static Path find() {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/bin";
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "ipfs_cid"))) {
                return Path.of(d, "ipfs_cid");
            }
        }
        return null;
    }
}
