package org.updraft.core.manifest;

import java.util.Optional;

import org.updraft.api.trust.TrustException;
import org.updraft.api.trust.TrustedKey;

/**
 * Where the verifier learns what it knows of a signer: the platform's TrustStore ({@code trustStore::find}),
 * the key a device was provisioned with, or the key given to the offline CLI.
 */
@FunctionalInterface
public interface TrustLookup {

    /**
     * The key's trust record, or empty when the DID is not known at all.
     *
     * @throws TrustException when trust cannot be consulted now (the platform's trust backend is down): the
     *         verifier then refuses, as {@link Failure#TRUST_UNAVAILABLE}
     */
    Optional<TrustedKey> find(String did) throws TrustException;
}
