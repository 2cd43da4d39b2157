package org.updraft.transport.coap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.elements.AddressEndpointContext;
import org.eclipse.californium.elements.DtlsEndpointContext;
import org.eclipse.californium.elements.auth.RawPublicKeyIdentity;
import org.eclipse.californium.elements.util.Bytes;
import org.junit.jupiter.api.Test;
import org.updraft.core.identity.JcaKeys;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;

/** How long a key stays bound for downloads, and what a request over plain CoAP is bound to (nothing). */
class PeerBindingTest {

    private static final InetSocketAddress PEER = new InetSocketAddress("127.0.0.1", 40000);

    private final SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
    private final AtomicLong now = new AtomicLong(123);
    private final OneRolloutUpdates updates = updates();
    private final PeerBinding binding = new PeerBinding(updates::registry, 30, now::get);

    private OneRolloutUpdates updates() {
        try {
            OneRolloutUpdates u = new OneRolloutUpdates(new PublishedRelease(new byte[10],
                    org.updraft.api.multiformats.Cid.parse("QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN"), 1));
            u.register("dev-1", key.did());
            return u;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Request overDtls(SigningKey key) {
        Request request = Request.newGet();
        request.setSourceContext(new DtlsEndpointContext(PEER, null, new RawPublicKeyIdentity(JcaKeys.publicKey(
                key.verificationKey())), new Bytes(new byte[] {1}) { }, 1, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
                System.currentTimeMillis()));
        return request;
    }

    @Test
    void aKeyBoundByItsCheckGetsBlocksForAnHourAfterItsLastBlock() throws Exception {
        Request request = overDtls(key);
        Refusal before = assertThrows(Refusal.class, () -> binding.requireBound(request));
        assertEquals(ResponseCode.FORBIDDEN, before.code());
        assertEquals("unbound-key", before.kind());

        binding.requireDevice(request, "dev-1");
        now.addAndGet(TimeUnit.MINUTES.toNanos(59));
        binding.requireBound(request);
        // each block renews the binding
        now.addAndGet(TimeUnit.MINUTES.toNanos(59));
        binding.requireBound(request);
        now.addAndGet(TimeUnit.MINUTES.toNanos(61));
        Refusal after = assertThrows(Refusal.class, () -> binding.requireBound(request));
        assertEquals("unbound-key", after.kind());
    }

    @Test
    void anotherKeyIsNotBoundByThisOnesCheckAndPlainRequestsAreNotBound() throws Exception {
        binding.requireDevice(overDtls(key), "dev-1");
        Request stranger = overDtls(SigningKey.generate(KeyAlgorithm.P256));
        assertEquals("wrong-key", assertThrows(Refusal.class, () -> binding.requireDevice(stranger, "dev-1")).kind());
        assertEquals("unbound-key", assertThrows(Refusal.class, () -> binding.requireBound(stranger)).kind());

        Request plain = Request.newGet();
        plain.setSourceContext(new AddressEndpointContext(PEER));
        assertEquals(null, PeerBinding.peerKey(plain));
        binding.requireDevice(plain, "dev-9");
        binding.requireBound(plain);
    }
}
