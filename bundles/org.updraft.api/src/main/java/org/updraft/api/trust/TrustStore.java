package org.updraft.api.trust;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The manufacturer keys the platform trusts to sign releases. Every change is a ledger event
 * ({@code trust.key-registered}, {@code trust.key-rotated}, {@code trust.key-revoked}), so a device or an
 * auditor can replay the trust history from the ledger alone.
 *
 * <p>Keys are did:key identities, Ed25519 or ECDSA P-256. The platform never holds the private keys.
 * Implementations register with the service property {@value #KIND}.
 */
@ProviderType
public interface TrustStore {

    /** Service property naming the backend, e.g. {@code trust.kind=ledger}. */
    String KIND = "trust.kind";

    /** Service property of the platform's trust store that forwards to the backend chosen in {@code org.updraft.backends}. */
    String ROLE = "trust.role";

    /**
     * Target filter of the trust store every platform component uses (see {@link #ROLE}); while the chosen backend is
     * not running, its methods throw {@link TrustException} saying so: nothing is trusted then.
     */
    String SELECTED = "(" + ROLE + "=selected)";

    /**
     * Trusts {@code did} to sign releases of {@code vendor}, for the given device classes or, when
     * {@code deviceClasses} is empty, for all of the vendor's classes.
     *
     * @param actor who asks, as the ledger names operators (e.g. {@code operator:karaf}), recorded with the change;
     *        {@code null} when no operator does
     * @throws TrustException when the DID is malformed or already known
     */
    TrustedKey register(String did, String vendor, Set<String> deviceClasses, String actor) throws TrustException;

    /** {@link #register(String, String, Set, String)} on no operator's behalf. */
    default TrustedKey register(String did, String vendor, Set<String> deviceClasses) throws TrustException {
        return register(did, vendor, deviceClasses, null);
    }

    /**
     * Replaces an active key by a successor for the same vendor and classes. Releases the old key signed
     * stay valid; new ones must be signed by the successor.
     *
     * @param proof the old key's signature over the rotation statement (the deterministic CBOR map
     *        {@code {"did": did, "successor": successorDid}}; {@code updraft rotate} in the CLI makes it), or
     *        {@code null} when the operator vouches for the rotation
     * @param actor who asks, as the ledger names operators, recorded with the change; {@code null} when no
     *        operator does
     * @throws TrustException when the old key is not active, the successor is already known, or the proof
     *         does not verify
     */
    TrustedKey rotate(String did, String successorDid, byte[] proof, String actor) throws TrustException;

    /** {@link #rotate(String, String, byte[], String)} on no operator's behalf. */
    default TrustedKey rotate(String did, String successorDid, byte[] proof) throws TrustException {
        return rotate(did, successorDid, proof, null);
    }

    /**
     * Stops trusting a key: releases it signed, earlier ones included, are rejected from now on.
     *
     * @param actor who asks, as the ledger names operators, recorded with the change; {@code null} when no
     *        operator does
     * @throws TrustException when the key is unknown or already revoked
     */
    TrustedKey revoke(String did, String reason, String actor) throws TrustException;

    /** {@link #revoke(String, String, String)} on no operator's behalf. */
    default TrustedKey revoke(String did, String reason) throws TrustException {
        return revoke(did, reason, null);
    }

    /**
     * The key, in whatever state, or empty if it was never registered.
     *
     * @throws TrustException when the trust store cannot be consulted now (its backend is down)
     */
    Optional<TrustedKey> find(String did) throws TrustException;

    /**
     * All keys ever registered, in order of registration.
     *
     * @throws TrustException when the trust store cannot be consulted now (its backend is down)
     */
    List<TrustedKey> list() throws TrustException;
}
