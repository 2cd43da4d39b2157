package org.updraft.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.updraft.api.device.DeviceState;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;

/**
 * The device agent over CoAP over DTLS against the real transport: the device's key is its identity (raw public key),
 * bound by the platform to the device id it names; the device accepts only the platform's DTLS key.
 */
class DtlsDeviceAgentTest {

    private static final List<DeviceState> HAPPY = List.of(DeviceState.DOWNLOADING, DeviceState.DOWNLOADED,
            DeviceState.VERIFIED, DeviceState.INSTALLED);

    @TempDir
    Path dir;

    private OneReleaseUpdates platform;
    private CoapLink link;

    private void start(int imageSize, boolean autoRegister) throws Exception {
        platform = new OneReleaseUpdates(dir, imageSize, autoRegister, true);
        link = CoapLink.builder(platform.dtlsAddress()).dtls(platform.dtlsKey()).ackTimeout(Duration.ofMillis(500))
                .open();
    }

    private SimulatedDevice device(String id, SigningKey key) {
        Provisioning p = new Provisioning(id, key, OneReleaseUpdates.VENDOR, OneReleaseUpdates.CLASS, null, "eu-west",
                Set.of(), platform.ledger.logKey(), platform.trust(), platform.statementKey());
        return new SimulatedDevice(p, new AbFlash("1.0.0", 1, new byte[] {1, 2, 3}), 0);
    }

    private static UpdateOutcome await(DeviceAgent agent) throws Exception {
        return agent.update().get(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        if (link != null) {
            link.close();
        }
        if (platform != null) {
            platform.close();
        }
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void aDeviceInstallsAReleaseOverDtlsWithItsOwnKeyAsItsIdentity(KeyAlgorithm algorithm) throws Exception {
        start(20_000, false);
        SimulatedDevice device = device("dev-1", SigningKey.generate(algorithm));
        platform.register(device);

        UpdateOutcome outcome = await(DeviceAgent.builder(device, link).blockSize(512).build());

        assertEquals(DeviceState.INSTALLED, outcome.state(), outcome.toString());
        assertArrayEquals(platform.image, device.flash().running().bytes());
        assertEquals(HAPPY, platform.statesReportedBy("dev-1"));
        assertEquals(20_000, platform.bytesServed.get());
        assertTrue(platform.transportStatus().contains("listening on dtls/127.0.0.1:" + platform.dtlsAddress()
                .getPort()), platform.transportStatus());
        assertTrue(!platform.transportStatus().contains("refused peers"), platform.transportStatus());
    }

    @Test
    void aDeviceWhoseDtlsKeyIsNotTheRegisteredKeyOfItsIdIsRefusedAndDownloadsNothing() throws Exception {
        start(8_000, false);
        SimulatedDevice owner = device("dev-1", SigningKey.generate(KeyAlgorithm.P256));
        platform.register(owner);
        // the same id, another key: it completes the handshake (any key may) but may not speak for dev-1
        SimulatedDevice impostor = device("dev-1", SigningKey.generate(KeyAlgorithm.P256));

        ExecutionException e = assertThrows(ExecutionException.class,
                () -> await(DeviceAgent.builder(impostor, link).build()));

        DeviceAgentException refused = assertInstanceOf(DeviceAgentException.class, e.getCause());
        assertTrue(refused.getMessage().contains("4.03"), refused.getMessage());
        assertEquals(0, platform.bytesServed.get(), "nothing was served to the impostor");
        assertEquals(List.of(), platform.statesReportedBy("dev-1"));
        assertEquals("1.0.0", impostor.flash().running().version(), "its flash is unchanged");
        assertTrue(platform.transportStatus().contains("refused peers: wrong-key 1"), platform.transportStatus());

        // the device that holds the key is served as before
        assertEquals(DeviceState.INSTALLED, await(DeviceAgent.builder(owner, link).build()).state());
    }

    @Test
    void anUnknownDeviceIdGetsTheSame403AsAWrongKey() throws Exception {
        start(3_000, false);
        SimulatedDevice stranger = device("dev-stranger", SigningKey.generate(KeyAlgorithm.ED25519));

        ExecutionException e = assertThrows(ExecutionException.class,
                () -> await(DeviceAgent.builder(stranger, link).build()));

        // over plain CoAP an unknown id gets 4.04; over DTLS a stranger learns nothing of which ids exist
        assertTrue(e.getCause().getMessage().contains("4.03"), e.getCause().getMessage());
        assertEquals(0, platform.bytesServed.get());
    }

    @Test
    void aDeviceEnrollsOnlyTheKeyItProvedInTheHandshake() throws Exception {
        start(3_000, true);
        SimulatedDevice device = device("dev-new", SigningKey.generate(KeyAlgorithm.P256));
        DeviceAgent agent = DeviceAgent.builder(device, link).build();

        agent.enroll().get(60, TimeUnit.SECONDS);

        assertEquals(DeviceState.INSTALLED, await(agent).state());
    }

    @Test
    void aDeviceTrustingAnotherServerKeyGetsNoAnswer() throws Exception {
        start(3_000, false);
        link.close();
        // the platform's real address, but the device was provisioned with another server key: the handshake fails
        link = CoapLink.builder(platform.dtlsAddress()).dtls(SigningKey.generate(KeyAlgorithm.P256).did())
                .ackTimeout(Duration.ofMillis(100)).maxRetransmit(1).open();
        SimulatedDevice device = device("dev-1", SigningKey.generate(KeyAlgorithm.P256));
        platform.register(device);
        DeviceAgent agent = DeviceAgent.builder(device, link).retryDelay(Duration.ofMillis(50)).build();

        assertThrows(Exception.class, () -> agent.update().get(3, TimeUnit.SECONDS));

        assertEquals(List.of(), platform.statesReportedBy("dev-1"));
        assertEquals(0, platform.bytesServed.get());
    }
}
