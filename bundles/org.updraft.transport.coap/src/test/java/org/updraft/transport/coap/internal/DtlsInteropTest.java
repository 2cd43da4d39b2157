package org.updraft.transport.coap.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.multiformats.Cid;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.KeyFiles;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;
import org.updraft.core.unixfs.SeededContent;
import org.updraft.core.update.AnswerStatements;
import org.updraft.core.update.DeviceAnswer;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.storage.local.internal.LocalFirmwareStore;

/**
 * The DTLS endpoint against clients written by others, libcoap's (Debian libcoap3-bin, installed by .ci/setup):
 * {@code coap-client-gnutls} with a raw public key (RFC 7250) is served as the device that key is registered for;
 * {@code coap-client-openssl} has no raw public keys (libcoap 4.3.1 says so) and the server takes nothing else, so
 * its handshake fails; plain CoAP sent to the DTLS port gets no answer at all.
 */
class DtlsInteropTest {

    @TempDir
    Path dir;

    private LocalFirmwareStore store;
    private byte[] image;
    private Cid cid;
    private OneRolloutUpdates updates;
    private CoapTransport transport;
    private SigningKey deviceKey;

    @BeforeEach
    void start() throws Exception {
        store = TestServer.store(dir.resolve("store"));
        image = SeededContent.bytes(11, 5_000);
        cid = store.put(new ByteArrayInputStream(image)).cid();
        PublishedRelease published = new PublishedRelease(image, cid, 7);
        updates = new OneRolloutUpdates(published);
        updates.running = true;
        deviceKey = SigningKey.generate(KeyAlgorithm.P256);
        updates.register("dev-1", deviceKey.did());
        transport = new CoapTransport(TestServer.config(Map.of("dtls_port", 0, "dtls_key_file",
                dir.resolve("dtls-key.pem").toString())), updates);
        transport.bindStore(store);
        transport.bindReleases(TestServer.releases(published.release));
        transport.bindRegistry(updates.registry());
    }

    @AfterEach
    void stop() {
        transport.close();
        store.close();
    }

    /** A key file as libcoap's -M takes it: the private key (PKCS#8) followed by the public key. */
    private Path rpkFile(SigningKey key, String name) throws Exception {
        Path file = dir.resolve(name);
        KeyFiles.writePrivateKey(file, key, null);
        Files.writeString(file, Files.readString(file) + KeyFiles.publicKeyPem(key.verificationKey()));
        return file;
    }

    private String coaps(String path) {
        return "coaps://127.0.0.1:" + transport.dtlsAddress().getPort() + path;
    }

    @Test
    void libcoapWithTheDevicesRawPublicKeyGetsItsAnswerAndTheImage() throws Exception {
        Path key = rpkFile(deviceKey, "dev-1.pem");
        Path answer = dir.resolve("answer.cbor");
        Result check = run("coap-client-gnutls", "-M", key.toString(), "-m", "get", coaps("/check/dev-1?seq=3"),
                "-o", answer.toString());
        assertEquals(0, check.exit, check.output);
        UpdateAnswers.Decoded decoded = UpdateAnswers.decodeAnswer(Files.readAllBytes(answer));
        DeviceAnswer.Offer offer = assertInstanceOf(DeviceAnswer.Offer.class, decoded.answer(), check.output);
        AnswerStatements.check(decoded.statement(), VerificationKey.fromDid(updates.statementKey()), "dev-1",
                new byte[0], offer, Instant.now());

        // the key was bound to dev-1 by its check: it may download
        Path file = dir.resolve("image.bin");
        Result download = run("coap-client-gnutls", "-M", key.toString(), "-b", "1024", "-m", "get",
                coaps("/fw/" + cid), "-o", file.toString());
        assertEquals(0, download.exit, download.output);
        assertArrayEquals(image, Files.readAllBytes(file));
        assertTrue(transport.status().contains("listening on dtls/127.0.0.1:"), transport.status());
    }

    @Test
    void libcoapWithAnotherKeyCompletesTheHandshakeAndGets403ForTheDeviceAndItsImage() throws Exception {
        Path stranger = rpkFile(SigningKey.generate(KeyAlgorithm.P256), "stranger.pem");
        Path answer = dir.resolve("answer.cbor");

        Result check = run("coap-client-gnutls", "-M", stranger.toString(), "-m", "get",
                coaps("/check/dev-1?seq=3"), "-o", answer.toString());
        Result download = run("coap-client-gnutls", "-M", stranger.toString(), "-m", "get", coaps("/fw/" + cid),
                "-o", dir.resolve("image.bin").toString());

        assertTrue(check.output.contains("4.03"), check.output);
        assertTrue(download.output.contains("4.03"), download.output);
        assertTrue(!Files.exists(dir.resolve("image.bin")) || Files.size(dir.resolve("image.bin")) == 0,
                "no image byte reached the stranger");
        assertEquals(0, updates.served(updates.check("dev-1", 3) instanceof org.updraft.api.update.UpdateAnswer.Offer o
                ? o.release().id() : ""), "nothing counted as served");
        assertTrue(transport.status().contains("refused peers: unbound-key 1, wrong-key 1"), transport.status());
    }

    @Test
    void libcoapOverOpensslHasNoRawPublicKeysAndGetsNoAnswer() throws Exception {
        // libcoap 4.3.1's OpenSSL build has PSK and certificates but no RPK; the server offers RPK only
        Path key = rpkFile(deviceKey, "dev-1.pem");
        Result rpk = run("coap-client-openssl", "-M", key.toString(), "-m", "get", coaps("/check/dev-1?seq=3"));
        Result psk = run("coap-client-openssl", "-u", "dev-1", "-k", "secret", "-m", "get",
                coaps("/check/dev-1?seq=3"));
        for (Result r : List.of(rpk, psk)) {
            assertTrue(!r.output.contains("2.05") && !r.output.contains("4.03"), r.output);
        }
        // what libcoap says: it refuses -M itself; the PSK handshake is refused by the server
        assertTrue(rpk.output.contains("RPK Support not available"), rpk.output);
        assertTrue(psk.output.contains("handshake failure"), psk.output);
        assertEquals(0, updates.checks.get(), "no request reached the update service");
    }

    @Test
    void plainCoapSentToTheDtlsPortGetsNothing() throws Exception {
        CoapEndpoint plain = TestServer.clientEndpoint(false, 1);
        CoapClient client = new CoapClient();
        try {
            client.setEndpoint(plain);
            client.setTimeout(1_500L);
            Request request = Request.newGet();
            request.setURI("coap://127.0.0.1:" + transport.dtlsAddress().getPort() + "/check/dev-1?seq=3");
            assertNull(client.advanced(request), "the DTLS port answers no plain CoAP");
        } finally {
            client.shutdown();
            plain.destroy();
        }
        assertEquals(0, updates.checks.get());
        // and the plain port still serves it (plain.enabled): no binding there
        assertNotEquals(0, transport.address().getPort());
    }

    private record Result(int exit, String output) {
    }

    private Result run(String program, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(installed(program));
        command.addAll(List.of(args));
        Path log = Files.createTempFile(dir, "client", ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        int exit = process.isAlive() ? -1 : process.exitValue();
        return new Result(exit, Files.readString(log, StandardCharsets.ISO_8859_1));
    }

    private static String installed(String program) {
        for (String path : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path candidate = Path.of(path, program);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        fail(program + " is not installed: run .ci/setup (it installs Debian's libcoap3-bin)");
        return null;
    }
}
