package org.updraft.transport.coap.internal;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.SystemConfig;
import org.eclipse.californium.elements.config.UdpConfig;
import org.eclipse.californium.elements.auth.RawPublicKeyIdentity;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConfig.DtlsRole;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.CertificateType;
import org.eclipse.californium.scandium.dtls.SignatureAndHashAlgorithm;
import org.eclipse.californium.scandium.dtls.x509.SingleCertificateProvider;
import org.eclipse.californium.scandium.dtls.x509.StaticNewAdvancedCertificateVerifier;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.store.StoreException;
import org.updraft.core.identity.JcaKeys;
import org.updraft.core.identity.KeyFileException;
import org.updraft.core.identity.KeyFiles;
import org.updraft.core.identity.SigningKey;
import org.updraft.storage.local.internal.LocalFirmwareStore;
import org.updraft.storage.local.internal.LocalStoreConfig;
import org.updraft.testing.Configs;

/** Test plumbing: typed configurations, a real local store, a release service listing one release, clients. */
final class TestServer {

    private TestServer() {
    }

    /**
     * The transport's configuration: its defaults, bound to 127.0.0.1 on a free port, unencrypted (plain.enabled), without DTLS (its key file
     * would be under karaf.data) unless the overrides set dtls.port, with overrides.
     */
    static CoapTransportConfig config(Map<String, Object> overrides) {
        Map<String, Object> values = new HashMap<>();
        values.put("bind_address", "127.0.0.1");
        values.put("port", 0);
        values.put("plain_enabled", true);
        values.put("dtls_port", -1);
        values.putAll(overrides);
        return Configs.of(CoapTransportConfig.class, values);
    }

    /**
     * A device's DTLS client settings: {@code key} as its raw public key, trusting only the platform key in
     * {@code serverKeyFile} (the transport's {@code dtls.key.file}); CoAP's settings included, block-wise off.
     */
    static DtlsConnectorConfig dtlsClient(SigningKey key, Path serverKeyFile) throws KeyFileException {
        Configuration c = new Configuration(CoapConfig.DEFINITIONS, UdpConfig.DEFINITIONS, DtlsConfig.DEFINITIONS,
                SystemConfig.DEFINITIONS);
        c.set(DtlsConfig.DTLS_ROLE, DtlsRole.CLIENT_ONLY);
        c.setAsList(DtlsConfig.DTLS_CERTIFICATE_TYPES, CertificateType.RAW_PUBLIC_KEY);
        c.set(DtlsConfig.DTLS_SIGNATURE_AND_HASH_ALGORITHMS, List.of(SignatureAndHashAlgorithm.SHA256_WITH_ECDSA,
                SignatureAndHashAlgorithm.INTRINSIC_WITH_ED25519));
        c.set(CoapConfig.MAX_RESOURCE_BODY_SIZE, 0);
        SigningKey server = KeyFiles.readPrivateKey(serverKeyFile, null);
        return DtlsConnectorConfig.builder(c).setAddress(new InetSocketAddress("127.0.0.1", 0))
                .setCertificateIdentityProvider(new SingleCertificateProvider(JcaKeys.privateKey(key),
                        JcaKeys.publicKey(key.verificationKey())))
                .setAdvancedCertificateVerifier(StaticNewAdvancedCertificateVerifier.builder().setTrustedRPKs(
                        new RawPublicKeyIdentity(JcaKeys.publicKey(server.verificationKey()))).build())
                .build();
    }

    static LocalFirmwareStore store(Path directory) throws StoreException {
        return new LocalFirmwareStore(Configs.of(LocalStoreConfig.class,
                Map.of("directory", directory.toString(), "fsync", false)));
    }

    static ReleaseService releases(Release release) {
        return new ReleaseService() {
            @Override
            public Release publish(byte[] manifest, Path firmware, String deviceClass,
                    org.updraft.api.release.progress.PublishProgress progress, String actor) {
                throw new UnsupportedOperationException("the transport never publishes");
            }

            @Override
            public List<Release> list() {
                return List.of(release);
            }

            @Override
            public Optional<Release> find(String id) {
                return id.equals(release.id()) ? Optional.of(release) : Optional.empty();
            }
        };
    }

    /**
     * A CoAP client endpoint on 127.0.0.1, configured in code (no Californium3.properties).
     *
     * @param transparentBlockwise whether Californium fetches the further blocks of a body by itself; off for
     *        tests that ask for each block
     */
    static CoapEndpoint clientEndpoint(boolean transparentBlockwise) {
        return clientEndpoint(transparentBlockwise, 2);
    }

    /** The same, retransmitting a confirmable request up to {@code maxRetransmit} times. */
    static CoapEndpoint clientEndpoint(boolean transparentBlockwise, int maxRetransmit) {
        Configuration c = new Configuration(CoapConfig.DEFINITIONS, UdpConfig.DEFINITIONS, SystemConfig.DEFINITIONS);
        c.set(CoapConfig.MAX_RESOURCE_BODY_SIZE, transparentBlockwise ? 64 * 1024 : 0);
        c.set(CoapConfig.MAX_MESSAGE_SIZE, 1024);
        c.set(CoapConfig.PREFERRED_BLOCK_SIZE, 1024);
        c.set(CoapConfig.MAX_RETRANSMIT, maxRetransmit);
        CoapEndpoint endpoint = new CoapEndpoint.Builder().setConfiguration(c)
                .setInetSocketAddress(new java.net.InetSocketAddress("127.0.0.1", 0)).build();
        return endpoint;
    }

    static Response send(CoapClient client, Request request) throws Exception {
        CoapResponse response = client.advanced(request);
        if (response == null) {
            throw new AssertionError("no response to " + request.getCode() + " " + request.getURI());
        }
        return response.advanced();
    }
}
