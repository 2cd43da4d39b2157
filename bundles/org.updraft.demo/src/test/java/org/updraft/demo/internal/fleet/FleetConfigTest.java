package org.updraft.demo.internal.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetSocketAddress;

import org.junit.jupiter.api.Test;

/** How a fleet's devices are spread over CoAP client endpoints, by what each downloads. */
class FleetConfigTest {

    private static final InetSocketAddress PLATFORM = new InetSocketAddress("127.0.0.1", 5683);

    @Test
    void largeDownloadsGetFewerDevicesPerEndpointSoNoneRunsOutOfMessageIds() {
        assertEquals(32, FleetConfig.agentsPerEndpointFor(128 * 1024, 1024), "row 5's 128 KiB image");
        assertEquals(32, FleetConfig.agentsPerEndpointFor(0, 1024));
        // 4 MiB in 1 KiB blocks: 4,112 requests a device, 9 devices stay under 40,000
        assertEquals(9, FleetConfig.agentsPerEndpointFor(4L * 1024 * 1024, 1024));
        assertEquals(1, FleetConfig.agentsPerEndpointFor(64L * 1024 * 1024, 16), "never none");
    }

    @Test
    void anExplicitNumberOfDevicesPerEndpointWins() {
        assertEquals(9, FleetConfig.builder(PLATFORM).download(4L * 1024 * 1024).build().agentsPerEndpoint);
        assertEquals(32, FleetConfig.builder(PLATFORM).build().agentsPerEndpoint);
        assertEquals(5, FleetConfig.builder(PLATFORM).download(4L * 1024 * 1024).agentsPerEndpoint(5).build()
                .agentsPerEndpoint);
        // the block size given after the download still counts
        assertEquals(2, FleetConfig.builder(PLATFORM).download(1024 * 1024).blockSize(64).build().agentsPerEndpoint);
    }

    @Test
    void blocksAboveOneKibibyteAreForAFleetOnMqttAlone() {
        assertEquals(4096, FleetConfig.mqttOnly("tcp://127.0.0.1:1883").blockSize(4096).build().blockSize());
        IllegalArgumentException coap = assertThrows(IllegalArgumentException.class,
                () -> FleetConfig.builder(PLATFORM).blockSize(4096).build());
        assertEquals("the block size must be a power of two from 16 to 1024, not 4096", coap.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FleetConfig.builder(PLATFORM)
                .mqtt(FleetTransport.BOTH, "tcp://127.0.0.1:1883").blockSize(2048).build());
        assertThrows(IllegalArgumentException.class, () -> FleetConfig.mqttOnly("tcp://127.0.0.1:1883")
                .blockSize(3000));
    }
}
