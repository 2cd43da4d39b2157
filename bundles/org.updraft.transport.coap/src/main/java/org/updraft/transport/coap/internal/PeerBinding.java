package org.updraft.transport.coap.internal;

import java.security.Principal;
import java.security.PublicKey;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.elements.DtlsEndpointContext;
import org.eclipse.californium.elements.EndpointContext;
import org.eclipse.californium.elements.auth.RawPublicKeyIdentity;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.RegistryException;
import org.updraft.core.identity.JcaKeys;

/**
 * Binds a request that came over DTLS to the identity its peer proved in the handshake: the raw public key, as a
 * did:key, must be the key the registry holds for the device the request names. Anyone may complete a handshake
 * (devices are not known to the DTLS layer), so this is where a stranger's key is refused, with 4.03, whatever
 * device id it names: whether the id exists is not told. A request over plain CoAP names a device and proves
 * nothing; it is not bound (the plain endpoint is there for tests and interoperability only).
 *
 * <p>Firmware blocks name no device: a DTLS peer gets them only while its key was bound to a registered device by a
 * check, report or enrollment in the last {@link #BOUND_FOR_NANOS} (each block it gets renews that), so a
 * stranger cannot use up a wave's downloads.
 */
final class PeerBinding {

    /** How long a key stays bound for /fw after the last request that proved it, or the last block it got. */
    static final long BOUND_FOR_NANOS = TimeUnit.HOURS.toNanos(1);
    /**
     * Bound keys remembered at most (about 150 bytes each); when full, the expired ones are forgotten, and if that is
     * not enough, all of them (a device refused a block then checks again and is bound again).
     */
    static final int MAX_BOUND = 200_000;
    /** Peer keys already turned into did:keys: the same few per connection, asked for on every block. */
    private static final int MAX_KNOWN_KEYS = 65_536;
    private static final Map<PublicKey, String> KNOWN_KEYS = new ConcurrentHashMap<>();

    private final Supplier<DeviceRegistry> registry;
    private final long unavailableMaxAge;
    private final LongSupplier nanoClock;
    /** did:key of each bound peer, with when its binding ends (nanoClock). */
    private final Map<String, Long> bound = new ConcurrentHashMap<>();

    PeerBinding(Supplier<DeviceRegistry> registry, long unavailableMaxAge, LongSupplier nanoClock) {
        this.registry = registry;
        this.unavailableMaxAge = unavailableMaxAge;
        this.nanoClock = nanoClock;
    }

    /**
     * The did:key the request's DTLS peer proved, or null for a request over plain CoAP.
     *
     * @throws Refusal 4.03 for a DTLS peer without a usable raw public key (another kind of credential, another
     *         key type)
     */
    static String peerKey(Request request) throws Refusal {
        EndpointContext context = request.getSourceContext();
        if (!(context instanceof DtlsEndpointContext)) {
            return null;
        }
        Principal identity = context.getPeerIdentity();
        if (!(identity instanceof RawPublicKeyIdentity rpk)) {
            throw Refusal.wrongPeer("no-raw-public-key", "the device API over DTLS takes a raw public key (RFC 7250) "
                    + "as the device's identity");
        }
        PublicKey key = rpk.getKey();
        String known = KNOWN_KEYS.get(key);
        if (known != null) {
            return known;
        }
        try {
            String did = JcaKeys.verificationKey(key).did();
            if (KNOWN_KEYS.size() >= MAX_KNOWN_KEYS) {
                KNOWN_KEYS.clear();
            }
            KNOWN_KEYS.put(key, did);
            return did;
        } catch (IllegalArgumentException e) {
            throw Refusal.wrongPeer("unsupported-key", "the DTLS key is not an Ed25519 or P-256 key: "
                    + e.getMessage());
        }
    }

    /** Refuses a DTLS request whose peer's key is not the registered key of {@code deviceId}. */
    void requireDevice(Request request, String deviceId) throws Refusal {
        String peer = peerKey(request);
        if (peer == null) {
            return;
        }
        DeviceRegistry devices = registry.get();
        if (devices == null) {
            throw Refusal.unavailable("the device registry is not running: a DTLS peer cannot be bound to a device "
                    + "now", unavailableMaxAge);
        }
        Optional<Device> device;
        try {
            device = devices.find(deviceId);
        } catch (RegistryException e) {
            throw Refusal.unavailable("the device registry failed: " + e.getMessage(), unavailableMaxAge);
        }
        if (device.isEmpty() || !device.get().publicKey().equals(peer)) {
            // an unknown device and another device's id are refused alike: a stranger learns no device id
            throw Refusal.wrongPeer("wrong-key", "the DTLS peer's key " + peer + " is not the key of device "
                    + deviceId);
        }
        bind(peer);
    }

    /**
     * Refuses a DTLS request whose peer's key is not {@code did}, the key the request itself carries. It binds
     * nothing: the request's key is the peer's own claim until the platform accepts it (see {@link #bindAccepted}).
     */
    void requireKey(Request request, String did, String what) throws Refusal {
        String peer = peerKey(request);
        if (peer != null && !peer.equals(did)) {
            throw Refusal.wrongPeer("wrong-key", "the DTLS peer's key " + peer + " is not the key of the " + what);
        }
    }

    /**
     * Binds the DTLS peer of a request the platform accepted as a device's (an enrollment that registered the key
     * {@link #requireKey} matched). A refused enrollment binds nothing, so a stranger gets no firmware blocks.
     */
    void bindAccepted(Request request) throws Refusal {
        String peer = peerKey(request);
        if (peer != null) {
            bind(peer);
        }
    }

    /** Refuses a DTLS request of a peer that no check, report or enrollment bound to a device lately. */
    void requireBound(Request request) throws Refusal {
        String peer = peerKey(request);
        if (peer == null) {
            return;
        }
        Long until = bound.get(peer);
        long now = nanoClock.getAsLong();
        if (until == null || now - until > 0) {
            if (until != null) {
                bound.remove(peer, until);
            }
            throw Refusal.wrongPeer("unbound-key", "the DTLS peer's key " + peer + " is not bound to a device: "
                    + "check first (GET /check/{device-id})");
        }
        bind(peer);
    }

    private void bind(String peer) {
        long now = nanoClock.getAsLong();
        if (bound.size() >= MAX_BOUND && !bound.containsKey(peer)) {
            bound.values().removeIf(until -> now - until > 0);
            if (bound.size() >= MAX_BOUND) {
                bound.clear();
            }
        }
        bound.put(peer, now + BOUND_FOR_NANOS);
    }
}
