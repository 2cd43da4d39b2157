package org.updraft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborTag;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.json.JsonReader;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;

class InspectCommandTest {

    @TempDir
    Path dir;

    Path firmware;
    Path manifest;

    @BeforeEach
    void firmware() throws Exception {
        firmware = SeededFile.write(dir.resolve("fw.bin"), 3, 5000);
        manifest = dir.resolve("fw.manifest");
    }

    private String signWith(KeyAlgorithm algorithm) {
        Path key = dir.resolve("k-" + algorithm.label());
        String did = Cli.run("keygen", "--out", key.toString(), "--alg", algorithm.label()).ok().strip();
        Cli.run("sign", "--key", key.toString(), "--firmware", firmware.toString(), "--vendor", "acme", "--class",
                "thermo-v2", "--profile", "cortex-m4", "--version", "2.0.0-rc.1", "--min-version", "1.2.0",
                "--sequence", "12", "--out", manifest.toString()).ok();
        return did;
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void showsEveryFieldAndAValidSignature(KeyAlgorithm algorithm) throws Exception {
        String did = signWith(algorithm);
        Manifest m = ManifestCodec.parse(Files.readAllBytes(manifest)).manifest();
        String out = Cli.run("inspect", manifest.toString()).ok();
        List<String> expected = List.of(
                "release      acme/thermo-v2/12",
                "vendor       acme",
                "class        thermo-v2",
                "profile      cortex-m4",
                "version      2.0.0-rc.1",
                "sequence     12",
                "size         5000 bytes",
                "sha256       " + HexFormat.of().formatHex(m.sha256()),
                "cid          " + m.cid(),
                "min-version  1.2.0",
                "created      " + m.created(),
                "signer       " + did + " (" + algorithm.label() + ")");
        List<String> lines = out.lines().toList();
        assertEquals(expected, lines.subList(0, expected.size()));
        String signature = lines.get(expected.size());
        assertTrue(signature.startsWith("signature    valid for the signer it names"), signature);
        assertTrue(signature.contains("self-consistency only"), signature);
        assertEquals(expected.size() + 1, lines.size());
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void printsOneJsonObject(KeyAlgorithm algorithm) throws Exception {
        String did = signWith(algorithm);
        Manifest m = ManifestCodec.parse(Files.readAllBytes(manifest)).manifest();
        String out = Cli.run("inspect", "--json", manifest.toString()).ok();
        assertEquals(1, out.lines().count());
        Map<String, Object> json = flatJson(out);
        assertEquals("acme/thermo-v2/12", json.get("releaseId"));
        assertEquals("acme", json.get("vendor"));
        assertEquals("thermo-v2", json.get("deviceClass"));
        assertEquals("cortex-m4", json.get("profile"));
        assertEquals("2.0.0-rc.1", json.get("version"));
        assertEquals(12L, json.get("sequence"));
        assertEquals(5000L, json.get("size"));
        assertEquals(HexFormat.of().formatHex(m.sha256()), json.get("sha256"));
        assertEquals(m.cid().toString(), json.get("cid"));
        assertEquals("1.2.0", json.get("minimumInstalledVersion"));
        assertEquals(m.created().toString(), json.get("created"));
        assertEquals(did, json.get("signer"));
        assertEquals(algorithm.label(), json.get("algorithm"));
        assertEquals(Boolean.TRUE, json.get("signatureValid"));
        assertTrue(json.containsKey("signatureProblem") && json.get("signatureProblem") == null);
        assertTrue(((String) json.get("signatureScope")).contains("self-consistency only"));
    }

    @Test
    void saysWhenTheSignatureDoesNotMatch() throws Exception {
        signWith(KeyAlgorithm.ED25519);
        byte[] bytes = Files.readAllBytes(manifest);
        int at = SignAndVerifyTest.indexOf(bytes, "thermo-v2".getBytes(StandardCharsets.US_ASCII));
        bytes[at + 8] = '3';
        Files.write(manifest, bytes);

        String text = Cli.run("inspect", manifest.toString()).ok();
        assertTrue(text.contains("class        thermo-v3"), text);
        assertTrue(text.contains("signature    INVALID: bad-signature"), text);
        Map<String, Object> json = flatJson(Cli.run("inspect", manifest.toString(), "--json").ok());
        assertEquals(Boolean.FALSE, json.get("signatureValid"));
        assertTrue(((String) json.get("signatureProblem")).startsWith("bad-signature"));
    }

    @Test
    void escapesWhateverTextAManifestCarries() throws Exception {
        // the signer field is free text to the parser (it must only equal the COSE key id); a hostile one must
        // neither break the JSON nor add lines to the text output
        String signer = "did:key:\"quoted\"\\back\nnew line\ttab\u0001\u2028 é";
        Manifest m = new Manifest("acme", "thermo-v2", null, "1.0.0", 1, 1, new byte[32],
                org.updraft.api.multiformats.Cid.v0(new byte[32]), null, java.time.Instant.EPOCH, signer);
        byte[] header = Cbor.encode(new java.util.TreeMap<Object, Object>(Map.of(1L, -8L, 3L,
                ManifestCodec.CONTENT_TYPE, 4L, signer.getBytes(StandardCharsets.UTF_8))));
        byte[] cose = Cbor.encode(new CborTag(18, List.of(header, Map.of(), ManifestCodec.encodePayload(m),
                new byte[64])));
        Files.write(manifest, cose);

        Map<String, Object> json = flatJson(Cli.run("inspect", "--json", manifest.toString()).ok());
        assertEquals(signer, json.get("signer"));
        assertEquals(Boolean.FALSE, json.get("signatureValid"));
        assertTrue(((String) json.get("signatureProblem")).startsWith("malformed-manifest"));

        String text = Cli.run("inspect", manifest.toString()).ok();
        assertEquals(13, text.lines().count(), text);
        assertTrue(text.contains("did:key:\"quoted\"\\back\\u000anew line\\u0009tab\\u0001\\u2028 é"), text);
        assertFalse(text.contains("\t"));
    }

    /** What {@code inspect --json} prints: valid JSON, one flat object (strings, integers, booleans, null). */
    private static Map<String, Object> flatJson(String text) {
        Map<String, Object> json = JsonReader.object(JsonReader.parse(text), "inspect --json's output");
        for (Map.Entry<String, Object> member : json.entrySet()) {
            Object v = member.getValue();
            assertTrue(v == null || v instanceof String || v instanceof Long || v instanceof Boolean,
                    "member " + member.getKey() + " is not a string, integer, boolean or null: " + text);
        }
        return json;
    }
}
