package org.updraft.api.backend;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The platform's choice of backend for each capability, one configuration per capability kind:
 * {@code org.updraft.store} for the firmware store, {@code org.updraft.backends} for the ledger, the trust store and
 * the device registry. For status displays; never throws.
 */
@ProviderType
public interface BackendChoices {

    /** One entry per capability, in a fixed order: store, ledger, trust, registry. */
    List<BackendChoice> choices();
}
