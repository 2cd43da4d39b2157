package org.updraft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.core.json.JsonReader;

/**
 * {@code updraft lorawan-fragments} against the encode vectors of {@code ../shared/fixtures/lorawan-fec} (read
 * there, never copied), made by Semtech's reference code: each payload file gives its M fragments and then the
 * reference's coded fragments, line for line, for both TS004 versions.
 */
class LorawanFragmentsCommandTest {

    private static Path fixtures;

    @TempDir
    Path dir;

    @BeforeAll
    static void locate() {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("mvnw"))) {
            root = root.getParent();
        }
        assertTrue(root != null, "repository root not found");
        fixtures = root.resolve("../shared/fixtures/lorawan-fec").normalize();
        assertTrue(Files.isDirectory(fixtures), "LoRaWAN FEC fixtures missing: " + fixtures);
    }

    private static List<Map<String, Object>> lines(String name) throws IOException {
        return Files.readAllLines(fixtures.resolve(name)).stream().filter(l -> !l.isBlank())
                .map(l -> JsonReader.object(JsonReader.parse(l), name)).toList();
    }

    @Test
    void printsTheReferenceFragmentsV1() throws IOException {
        assertEquals(30, check("encode-v1.jsonl", null));
    }

    @Test
    void printsTheReferenceFragmentsV2() throws IOException {
        assertEquals(30, check("encode-v2.jsonl", "2"));
    }

    @SuppressWarnings("unchecked")
    private int check(String file, String ts004) throws IOException {
        Map<String, String> payloads = new HashMap<>();
        for (Map<String, Object> p : lines("payloads.jsonl")) {
            payloads.put(p.get("M") + "/" + p.get("fragSize"), (String) p.get("data"));
        }
        int vectors = 0;
        for (Map<String, Object> v : lines(file)) {
            long m = (Long) v.get("M");
            long fragSize = (Long) v.get("fragSize");
            long r = (Long) v.get("R");
            String data = payloads.get(m + "/" + fragSize);
            Path input = dir.resolve("payload-" + m + "-" + fragSize + ".bin");
            Files.write(input, HexFormat.of().parseHex(data));
            String out = ts004 == null
                    ? Cli.run("lorawan-fragments", "--fragment-size", "" + fragSize, "--redundancy", "" + r,
                            input.toString()).ok()
                    : Cli.run("lorawan-fragments", "--fragment-size", "" + fragSize, "--redundancy", "" + r,
                            "--ts004", ts004, input.toString()).ok();
            List<String> printed = out.lines().toList();
            String label = file + " M=" + m + " fragSize=" + fragSize + " R=" + r;
            assertEquals(m + r, printed.size(), label);
            for (int k = 0; k < m; k++) {
                assertEquals(data.substring((int) (k * fragSize * 2), (int) ((k + 1) * fragSize * 2)), printed.get(k),
                        label + " fragment " + (k + 1));
            }
            assertEquals(v.get("coded"), printed.subList((int) m, printed.size()), label);
            vectors++;
        }
        return vectors;
    }

    @Test
    void theLastFragmentIsPaddedWithZeros() throws IOException {
        Path input = Files.write(dir.resolve("five"), new byte[] {1, 2, 3, 4, 5});
        List<String> lines = Cli.run("lorawan-fragments", "--fragment-size", "4", "--redundancy", "1", input.toString())
                .ok().lines().toList();
        assertEquals("01020304", lines.get(0));
        assertEquals("05000000", lines.get(1));
        assertEquals(3, lines.size());
    }

    @Test
    void badArgumentsAreRefusedClearly() throws IOException {
        Path input = Files.write(dir.resolve("data"), new byte[100]);
        Path empty = Files.write(dir.resolve("empty"), new byte[0]);
        String f = input.toString();
        assertTrue(Cli.run("lorawan-fragments", "--redundancy", "1", f).usageError()
                .contains("needs --fragment-size"));
        assertTrue(Cli.run("lorawan-fragments", "--fragment-size", "10", f).usageError().contains("needs --redundancy"));
        assertEquals("updraft: option --fragment-size must be 1 to 255 bytes (TS004's FragSize), not 0",
                Cli.run("lorawan-fragments", "--fragment-size", "0", "--redundancy", "1", f).usageError());
        assertTrue(Cli.run("lorawan-fragments", "--fragment-size", "256", "--redundancy", "1", f).usageError()
                .contains("not 256"));
        assertTrue(Cli.run("lorawan-fragments", "--fragment-size", "ten", "--redundancy", "1", f).usageError()
                .contains("non-negative integer"));
        assertTrue(Cli.run("lorawan-fragments", "--fragment-size", "10", "--redundancy", "-1", f).usageError()
                .contains("--redundancy"));
        assertEquals("updraft: option --ts004 is 1 (v1.0.0) or 2 (v2.0.0), not '3'",
                Cli.run("lorawan-fragments", "--fragment-size", "10", "--redundancy", "1", "--ts004", "3", f)
                        .usageError());
        assertTrue(Cli.run("lorawan-fragments", "--fragment-size", "10", "--redundancy", "16374", f).usageError()
                .contains("at most 16373 coded fragments"));
        assertTrue(Cli.run("lorawan-fragments", "--fragment-size", "10", "--redundancy", "1", empty.toString())
                .usageError().contains("is empty"));
        assertTrue(Cli.run("lorawan-fragments", "--fragment-size", "10", "--redundancy", "1",
                dir.resolve("missing").toString()).usageError().contains("does not exist"));
        Path big = Files.write(dir.resolve("big"), new byte[16384]);
        assertTrue(Cli.run("lorawan-fragments", "--fragment-size", "1", "--redundancy", "0", big.toString())
                .usageError().contains("needs 16384 fragments of 1 bytes, more than TS004's 16383"));
        assertTrue(Cli.run("lorawan-fragments", "--fragment-size", "10", "--redundancy", "1").usageError()
                .contains("needs a FILE"));
    }
}
