package org.updraft.transport.coap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.elements.auth.RawPublicKeyIdentity;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.SystemConfig;
import org.eclipse.californium.elements.config.UdpConfig;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConfig.DtlsRole;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.CertificateType;
import org.eclipse.californium.scandium.dtls.SignatureAndHashAlgorithm;
import org.eclipse.californium.scandium.dtls.x509.SingleCertificateProvider;
import org.eclipse.californium.scandium.dtls.x509.StaticNewAdvancedCertificateVerifier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceState;
import org.updraft.core.identity.JcaKeys;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.KeyFiles;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.unixfs.SeededContent;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.DeviceReports;
import org.updraft.core.update.Enrollment;
import org.updraft.core.update.Enrollments;
import org.updraft.storage.local.internal.LocalFirmwareStore;

/**
 * Requests over DTLS are bound to the peer's raw public key: a report is taken only from the key of the device it
 * names, an enrollment only from the key it enrolls, whatever the signatures inside say (a captured report or
 * enrollment replayed from another key is refused); the same bytes over plain CoAP are not bound.
 */
class DtlsBindingTest {

    @TempDir
    Path dir;

    private LocalFirmwareStore store;
    private PublishedRelease published;
    private OneRolloutUpdates updates;
    private CoapTransport transport;
    private final SigningKey key1 = SigningKey.generate(KeyAlgorithm.P256);
    private final SigningKey key2 = SigningKey.generate(KeyAlgorithm.ED25519);

    @BeforeEach
    void start() throws Exception {
        store = TestServer.store(dir.resolve("store"));
        byte[] image = SeededContent.bytes(5, 2_000);
        published = new PublishedRelease(image, store.put(new ByteArrayInputStream(image)).cid(), 7);
        updates = new OneRolloutUpdates(published);
        updates.running = true;
        updates.register("dev-1", key1.did());
        updates.register("dev-2", key2.did());
        transport = new CoapTransport(TestServer.config(Map.of("auto_register", true, "dtls_port", 0,
                "dtls_key_file", dir.resolve("dtls-key.pem").toString())), updates);
        transport.bindStore(store);
        transport.bindReleases(TestServer.releases(published.release));
        transport.bindRegistry(updates.registry());
    }

    @AfterEach
    void stop() {
        transport.close();
        store.close();
    }

    private byte[] report(String deviceId, SigningKey key) {
        return DeviceReports.sign(new DeviceReport(deviceId, OneRolloutUpdates.ROLLOUT, published.release.id(),
                DeviceState.DOWNLOADING, null, "1.0.0", 1, Instant.now(), 1), key);
    }

    @Test
    void aReportIsTakenOnlyFromTheKeyOfTheDeviceItNames() throws Exception {
        // dev-2's report, signed by dev-2 and captured, sent again by dev-1 over its own DTLS session
        byte[] captured = report("dev-2", key2);
        Response replayed = post(key1, "/report", captured);
        assertEquals(ResponseCode.FORBIDDEN, replayed.getCode(), replayed.getPayloadString());
        assertTrue(replayed.getPayloadString().contains("not the key of device dev-2"), replayed.getPayloadString());

        Response own = post(key2, "/report", captured);
        assertEquals(ResponseCode.CHANGED, own.getCode(), own.getPayloadString());
        assertTrue(transport.status().contains("refused peers: wrong-key 1"), transport.status());
    }

    @Test
    void anEnrollmentIsTakenOnlyFromTheKeyItEnrolls() throws Exception {
        SigningKey device = SigningKey.generate(KeyAlgorithm.P256);
        byte[] enrollment = Enrollments.sign(new Enrollment("dev-new", device.did(), PublishedRelease.VENDOR,
                PublishedRelease.DEVICE_CLASS, null, Set.of(), null, "1.0.0", 1, Instant.now()), device);

        Response fromAnother = post(key1, "/enroll", enrollment);
        assertEquals(ResponseCode.FORBIDDEN, fromAnother.getCode(), fromAnother.getPayloadString());
        assertFalse(updates.isRegistered("dev-new"));

        Response fromItself = post(device, "/enroll", enrollment);
        assertEquals(ResponseCode.CREATED, fromItself.getCode(), fromItself.getPayloadString());
        assertTrue(updates.isRegistered("dev-new"));
    }

    @Test
    void aRefusedEnrollmentBindsNoKeyForFirmwareAndAnAcceptedOneDoes() throws Exception {
        // a stranger enrolls a taken id with its own key: the platform refuses it ("exists")
        SigningKey stranger = SigningKey.generate(KeyAlgorithm.P256);
        byte[] taken = Enrollments.sign(new Enrollment("dev-1", stranger.did(), PublishedRelease.VENDOR,
                PublishedRelease.DEVICE_CLASS, null, Set.of(), null, "1.0.0", 1, Instant.now()), stranger);
        Response refused = post(stranger, "/enroll", taken);
        assertEquals(ResponseCode.CONFLICT, refused.getCode(), refused.getPayloadString());
        Response blocks = get(stranger, "/fw/" + published.release.cid());
        assertEquals(ResponseCode.FORBIDDEN, blocks.getCode(), blocks.getPayloadString());
        assertTrue(blocks.getPayloadString().contains("not bound to a device"), blocks.getPayloadString());

        SigningKey device = SigningKey.generate(KeyAlgorithm.P256);
        byte[] accepted = Enrollments.sign(new Enrollment("dev-3", device.did(), PublishedRelease.VENDOR,
                PublishedRelease.DEVICE_CLASS, null, Set.of(), null, "1.0.0", 1, Instant.now()), device);
        assertEquals(ResponseCode.CREATED, post(device, "/enroll", accepted).getCode());
        assertEquals(ResponseCode.CONTENT, get(device, "/fw/" + published.release.cid()).getCode());
    }

    @Test
    void aCheckAndItsImageAreServedOnlyToTheDevicesKey() throws Exception {
        Response other = get(key2, "/check/dev-1?seq=1");
        assertEquals(ResponseCode.FORBIDDEN, other.getCode(), other.getPayloadString());
        Response unbound = get(SigningKey.generate(KeyAlgorithm.P256), "/fw/" + published.release.cid());
        assertEquals(ResponseCode.FORBIDDEN, unbound.getCode(), unbound.getPayloadString());

        Response own = get(key1, "/check/dev-1?seq=1");
        assertEquals(ResponseCode.CONTENT, own.getCode(), own.getPayloadString());
        assertEquals(ResponseCode.CONTENT, get(key1, "/fw/" + published.release.cid()).getCode());
    }

    @Test
    void aCheckOverDtlsIsAuthenticatedAndOneOverPlainCoapIsNot() throws Exception {
        assertEquals(ResponseCode.CONTENT, get(key1, "/check/dev-1?seq=1").getCode());
        assertEquals(1, updates.authenticatedChecks.get());
        assertEquals(0, updates.unauthenticatedChecks.get());

        CoapEndpoint endpoint = TestServer.clientEndpoint(false);
        CoapClient plain = new CoapClient();
        try {
            plain.setEndpoint(endpoint);
            Request request = Request.newGet();
            request.setURI("coap://127.0.0.1:" + transport.address().getPort() + "/check/dev-1?seq=1");
            assertEquals(ResponseCode.CONTENT, TestServer.send(plain, request).getCode());
        } finally {
            plain.shutdown();
            endpoint.destroy();
        }
        // the plain check names dev-1 and proves nothing: its first offer must take no download slot
        assertEquals(1, updates.unauthenticatedChecks.get());
        assertEquals(1, updates.authenticatedChecks.get());
    }

    @Test
    void withoutARegistryABoundRequestIsAskedToComeBackLater() throws Exception {
        // the registry's feature not running: nothing bound
        transport = restartWithoutRegistry();
        Response later = get(key1, "/check/dev-1?seq=1");
        assertEquals(ResponseCode.SERVICE_UNAVAILABLE, later.getCode(), later.getPayloadString());
        assertTrue(later.getOptions().hasMaxAge());
        assertEquals(0, updates.checks.get(), "the update service was not asked");
    }

    private CoapTransport restartWithoutRegistry() {
        transport.close();
        CoapTransport t = new CoapTransport(TestServer.config(Map.of("dtls_port", 0, "dtls_key_file",
                dir.resolve("dtls-key.pem").toString())), updates);
        t.bindStore(store);
        t.bindReleases(TestServer.releases(published.release));
        return t;
    }

    private Response get(SigningKey key, String path) throws Exception {
        return send(key, Request.newGet(), path);
    }

    private Response post(SigningKey key, String path, byte[] payload) throws Exception {
        Request post = Request.newPost();
        post.setPayload(payload);
        return send(key, post, path);
    }

    @Test
    void aClientHelloFromAnUnprovenAddressGetsOneHelloVerifyRequestNoLargerThanItself() throws Exception {
        // a real first flight: a DTLS client's ClientHello, caught on a socket of the test's own
        byte[] hello;
        try (DatagramSocket trap = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            trap.setSoTimeout(5_000);
            CoapEndpoint client = clientEndpoint(key1);
            try {
                client.start();
                Request request = Request.newGet();
                request.setURI("coaps://127.0.0.1:" + trap.getLocalPort() + "/check/dev-1?seq=1");
                client.sendRequest(request);
                DatagramPacket first = new DatagramPacket(new byte[2048], 2048);
                trap.receive(first);
                hello = Arrays.copyOf(first.getData(), first.getLength());
            } finally {
                client.destroy();
            }
        }
        assertEquals(22, hello[0], "a handshake record");
        assertEquals(1, hello[13], "a ClientHello");

        // sent to the platform from an address that never got a cookie (as a spoofed source would be)
        try (DatagramSocket spoofed = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            spoofed.setSoTimeout(1_000);
            spoofed.send(new DatagramPacket(hello, hello.length, transport.dtlsAddress()));
            DatagramPacket answer = new DatagramPacket(new byte[4096], 4096);
            spoofed.receive(answer);
            assertEquals(22, answer.getData()[0], "a handshake record");
            assertEquals(3, answer.getData()[13], "a HelloVerifyRequest, not the server's flight");
            assertTrue(answer.getLength() <= hello.length, answer.getLength() + " bytes answered to " + hello.length);
            DatagramPacket more = new DatagramPacket(new byte[4096], 4096);
            assertThrows(SocketTimeoutException.class, () -> spoofed.receive(more), "one datagram, nothing more");
        }
    }

    /** One request from a DTLS client holding {@code key}, trusting only the platform's DTLS key. */
    private Response send(SigningKey key, Request request, String path) throws Exception {
        CoapEndpoint endpoint = clientEndpoint(key);
        CoapClient client = new CoapClient();
        try {
            client.setEndpoint(endpoint);
            request.setURI("coaps://127.0.0.1:" + transport.dtlsAddress().getPort() + path);
            return TestServer.send(client, request);
        } finally {
            client.shutdown();
            endpoint.destroy();
        }
    }

    private CoapEndpoint clientEndpoint(SigningKey key) throws Exception {
        DtlsConnectorConfig dtls = TestServer.dtlsClient(key, dir.resolve("dtls-key.pem"));
        return new CoapEndpoint.Builder().setConfiguration(dtls.getConfiguration())
                .setConnector(new DTLSConnector(dtls)).build();
    }
}
