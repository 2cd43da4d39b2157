package org.updraft.transport.coap.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.multiformats.Cid;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;
import org.updraft.core.serving.ChunkCache;
import org.updraft.core.unixfs.SeededContent;
import org.updraft.core.update.AnswerStatements;
import org.updraft.core.update.DeviceAnswer;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.storage.local.internal.LocalFirmwareStore;

/**
 * Interoperability with a CoAP client written by others: libcoap's {@code coap-client-notls} (Debian package
 * libcoap3-bin, installed by .ci/setup) downloads a release block-wise and observes a device's check.
 */
class LibcoapInteropTest {

    private static final String CLIENT = "coap-client-notls";

    @TempDir
    Path dir;

    private LocalFirmwareStore store;
    private byte[] image;
    private Cid cid;
    private OneRolloutUpdates updates;
    private CoapTransport transport;

    @BeforeEach
    void start() throws Exception {
        store = TestServer.store(dir.resolve("store"));
        image = SeededContent.bytes(9, 3 * ChunkCache.CHUNK_BYTES + 777);
        cid = store.put(new ByteArrayInputStream(image)).cid();
        PublishedRelease published = new PublishedRelease(image, cid, 7);
        updates = new OneRolloutUpdates(published);
        updates.register("dev-1", SigningKey.generate(KeyAlgorithm.ED25519).did());
        transport = new CoapTransport(TestServer.config(Map.of()), updates);
        transport.bindStore(store);
        transport.bindReleases(TestServer.releases(published.release));
    }

    @AfterEach
    void stop() {
        transport.close();
        store.close();
    }

    private static String client() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path candidate = Path.of(dir, CLIENT);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        fail(CLIENT + " is not installed: run .ci/setup (it installs Debian's libcoap3-bin)");
        return null;
    }

    private String uri(String path) {
        return "coap://127.0.0.1:" + transport.address().getPort() + path;
    }

    private static Process run(Path log, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(client());
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void await(Process process, Path log) throws Exception {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail(CLIENT + " did not finish in 60 s: " + Files.readString(log, StandardCharsets.ISO_8859_1));
        }
        assertEquals(0, process.exitValue(), () -> CLIENT + " failed: " + read(log));
    }

    private static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.ISO_8859_1);
        } catch (Exception e) {
            return e.toString();
        }
    }

    @Test
    void libcoapDownloadsAReleaseBlockWiseWithTheImagesSha256() throws Exception {
        Path file = dir.resolve("image.bin");
        Path log = dir.resolve("client.log");
        await(run(log, "-b", "1024", "-m", "get", uri("/fw/" + cid), "-o", file.toString()), log);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        assertArrayEquals(sha.digest(image), MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)),
                "the file coap-client-notls wrote is the image");
    }

    @Test
    void libcoapAsksForSmallBlocksAndGetsThem() throws Exception {
        Path file = dir.resolve("image.bin");
        Path log = dir.resolve("client.log");
        await(run(log, "-b", "256", "-m", "get", uri("/fw/" + cid), "-o", file.toString()), log);
        assertArrayEquals(image, Files.readAllBytes(file));
    }

    @Test
    void libcoapObservingACheckHearsOfTheRollout() throws Exception {
        Path file = dir.resolve("answers.cbor");
        Path log = dir.resolve("client.log");
        org.updraft.api.update.UpdateAnswer nothingNew = updates.check("dev-1", 3);
        Process observing = run(log, "-s", "4", "-m", "get", uri("/check/dev-1?seq=3"), "-o", file.toString());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (transport.observers() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(1, transport.observers(), () -> "libcoap did not register: " + read(log));
        updates.running = true;
        transport.answersChanged(OneRolloutUpdates.ROLLOUT);
        await(observing, log);
        // -o appends each notification: the first answer ("nothing new"), then the offer, which libcoap fetched
        // block-wise after the notification's first block
        byte[] written = Files.readAllBytes(file);
        // each answer carries the platform's statement (libcoap sent no nonce: an empty one), signed at its time
        // of day: as long as this one, for timestamps of the same size
        int firstLength = UpdateAnswers.encode(nothingNew, updates.statement("dev-1", nothingNew, new byte[0]))
                .length;
        UpdateAnswers.Decoded first = UpdateAnswers.decodeAnswer(java.util.Arrays.copyOf(written,
                Math.min(firstLength, written.length)));
        assertEquals(UpdateAnswers.decode(UpdateAnswers.encode(nothingNew)), first.answer(),
                () -> "answers: " + read(log));
        VerificationKey statementKey = VerificationKey.fromDid(updates.statementKey());
        AnswerStatements.check(first.statement(), statementKey, "dev-1", new byte[0], first.answer(), Instant.now());
        byte[] last = java.util.Arrays.copyOfRange(written, firstLength, written.length);
        UpdateAnswers.Decoded notified = UpdateAnswers.decodeAnswer(last);
        DeviceAnswer.Offer offer = assertInstanceOf(DeviceAnswer.Offer.class, notified.answer(),
                () -> "answers: " + read(log));
        AnswerStatements.check(notified.statement(), statementKey, "dev-1", new byte[0], offer, Instant.now());
        assertEquals(cid, offer.manifest().manifest().cid());
        assertTrue(last.length > 1024);
    }
}
