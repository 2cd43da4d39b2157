package org.updraft.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.SystemConfig;
import org.eclipse.californium.elements.config.UdpConfig;
import org.eclipse.californium.elements.util.ExecutorsUtil;
import org.eclipse.californium.elements.util.NamedThreadFactory;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.updraft.core.identity.JcaKeys;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;
import org.updraft.device.internal.DtlsClients;

/**
 * Row 3d's devices: each its own DTLS client endpoint (its key as its raw public key, the server's key pinned), as
 * the device agent connects, kept open across rounds so that what a round measures is checks in established
 * sessions, as a polling fleet mostly sends; the handshakes happen in the warm-up. The endpoints share two small
 * thread pools; each has its own socket and receiver thread.
 */
final class DtlsDevices implements AutoCloseable {

    private final List<CoapEndpoint> endpoints = new ArrayList<>();
    private final ScheduledExecutorService protocol;
    private final ScheduledExecutorService timers;
    final InetSocketAddress server;

    DtlsDevices(InetSocketAddress server, String serverKeyDid, List<SigningKey> keys) throws IOException {
        this.server = server;
        Configuration config = new Configuration(CoapConfig.DEFINITIONS, UdpConfig.DEFINITIONS,
                SystemConfig.DEFINITIONS, DtlsConfig.DEFINITIONS);
        config.set(CoapConfig.MAX_ACTIVE_PEERS, 16);
        DtlsClients.configure(config);
        PublicKey serverKey = JcaKeys.publicKey(VerificationKey.fromDid(serverKeyDid));
        protocol = ExecutorsUtil.newScheduledThreadPool(2, new NamedThreadFactory("bench-dtls#"));
        timers = ExecutorsUtil.newDefaultSecondaryScheduler("bench-dtls-timer#");
        try {
            for (SigningKey key : keys) {
                DTLSConnector dtls = new DTLSConnector(DtlsClients.client(config,
                        new InetSocketAddress("127.0.0.1", 0), key, serverKey));
                dtls.setExecutor(protocol);
                CoapEndpoint endpoint = new CoapEndpoint.Builder().setConfiguration(config).setConnector(dtls).build();
                endpoint.setExecutors(protocol, timers);
                endpoint.start();
                endpoints.add(endpoint);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    CoapEndpoint endpoint(int device) {
        return endpoints.get(device);
    }

    @Override
    public void close() {
        endpoints.forEach(CoapEndpoint::destroy);
        protocol.shutdownNow();
        timers.shutdownNow();
        try {
            protocol.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
