package org.updraft.platform.internal;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.updraft.api.trust.TrustException;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.trust.TrustedKey;

/**
 * The trust store platform components use ({@link TrustStore#SELECTED}): every call goes to the chosen backend;
 * while it is not running every call fails, so nothing is trusted (fail closed).
 */
final class SelectedTrustStore implements TrustStore {

    private final BackendSelection<TrustStore> selection;

    SelectedTrustStore(BackendSelection<TrustStore> selection) {
        this.selection = selection;
    }

    private TrustStore backend() throws TrustException {
        TrustStore t = selection.chosen();
        if (t == null) {
            throw new TrustException(selection.notRunning());
        }
        return t;
    }

    @Override
    public TrustedKey register(String did, String vendor, Set<String> deviceClasses, String actor)
            throws TrustException {
        return backend().register(did, vendor, deviceClasses, actor);
    }

    @Override
    public TrustedKey rotate(String did, String successorDid, byte[] proof, String actor) throws TrustException {
        return backend().rotate(did, successorDid, proof, actor);
    }

    @Override
    public TrustedKey revoke(String did, String reason, String actor) throws TrustException {
        return backend().revoke(did, reason, actor);
    }

    @Override
    public Optional<TrustedKey> find(String did) throws TrustException {
        return backend().find(did);
    }

    @Override
    public List<TrustedKey> list() throws TrustException {
        return backend().list();
    }

    @Override
    public String toString() {
        return "selected trust store (" + selection.kind() + ")";
    }
}
