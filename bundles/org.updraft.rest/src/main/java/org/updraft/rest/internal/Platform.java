package org.updraft.rest.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.updraft.api.backend.BackendChoices;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.transport.TransportStatus;
import org.updraft.api.trust.TrustStore;

/**
 * The platform's services as the API finds them now: the same ones the shell's commands use (the selected ledger,
 * trust store and registry, the serving store). Backends come and go while Karaf runs; a call that needs one that is
 * not running is refused with 503 {@code unavailable}, naming the feature to install, as the shell names it.
 */
final class Platform {

    volatile ReleaseService releases;
    volatile RolloutService rollouts;
    volatile DeviceRegistry registry;
    volatile Ledger ledger;
    volatile TrustStore trust;
    volatile FirmwareStore servingStore;
    volatile BackendChoices backends;
    final List<FirmwareStore> stores = new CopyOnWriteArrayList<>();
    final List<TransportStatus> transports = new CopyOnWriteArrayList<>();

    ReleaseService releases() {
        return require(releases, "release service", "updraft-core");
    }

    RolloutService rollouts() {
        return require(rollouts, "rollout service", "updraft-rollout");
    }

    DeviceRegistry registry() {
        return require(registry, "device registry", "updraft-registry-jdbc");
    }

    Ledger ledger() {
        return require(ledger, "ledger", "updraft-ledger-local");
    }

    TrustStore trust() {
        return require(trust, "trust store", "updraft-ledger-local");
    }

    FirmwareStore servingStore() {
        return require(servingStore, "serving firmware store", "updraft-storage-local");
    }

    private static <T> T require(T service, String what, String feature) {
        if (service == null) {
            throw new ApiProblem(503, "unavailable", "no " + what + " is running: install feature " + feature
                    + " or check its configuration");
        }
        return service;
    }
}
