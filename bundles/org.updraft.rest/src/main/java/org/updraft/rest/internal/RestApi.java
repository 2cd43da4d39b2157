package org.updraft.rest.internal;

import java.util.List;
import java.util.Set;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

import javax.ws.rs.core.Application;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.jaxrs.whiteboard.JaxrsWhiteboardConstants;
import org.updraft.api.backend.BackendChoices;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.transport.TransportStatus;
import org.updraft.api.trust.TrustStore;

/**
 * The API as a named JAX-RS application at {@code /api/v1} on the JAX-RS whiteboard (Aries on CXF, served by Pax Web
 * on Karaf's HTTP port). Named, with its own base, so that it does not sit in the whiteboard's default application,
 * whose base {@code /} would otherwise claim paths other servlets serve (the DDI transport's). The platform's
 * services are followed as they come and go: a missing one makes the calls that need it answer 503.
 */
@Component(service = Application.class, configurationPolicy = ConfigurationPolicy.IGNORE, property = {
        JaxrsWhiteboardConstants.JAX_RS_APPLICATION_BASE + "=" + RestApi.BASE,
        JaxrsWhiteboardConstants.JAX_RS_NAME + "=updraft" })
public final class RestApi extends Application {

    static final String BASE = "/api/v1";

    private final Platform platform = new Platform();
    private final Set<Object> singletons;

    /** No configuration here, only a reference to the settings: see {@link RestSettings} for why. */
    @Activate
    public RestApi(@Reference RestSettings settings, @Reference ApiTokens tokens) {
        this(settings::realm, settings::limits, settings::requestsPerSecond, tokens);
    }

    RestApi(Supplier<JaasRealm> realm, Supplier<Limits> limits, IntSupplier requestsPerSecond, ApiTokens tokens) {
        List<Class<?>> resources = List.of(StatusResource.class, DevicesResource.class, ReleasesResource.class,
                RolloutsResource.class, LedgerResource.class, TrustResource.class, FleetResource.class,
                OpenApiResource.class);
        singletons = Set.of(
                new Authentication(realm, tokens, new RateLimit(requestsPerSecond, System::nanoTime)),
                new Authorization(),
                new ProblemMapper(),
                new StatusResource(platform),
                new DevicesResource(platform, limits),
                new ReleasesResource(platform, limits),
                new RolloutsResource(platform, limits),
                new LedgerResource(platform, limits),
                new TrustResource(platform, limits),
                new FleetResource(platform),
                new OpenApiResource(resources, "1"));
    }

    @Override
    public Set<Object> getSingletons() {
        return singletons;
    }

    Platform platform() {
        return platform;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindReleases(ReleaseService s) {
        platform.releases = s;
    }

    void unbindReleases(ReleaseService s) {
        if (platform.releases == s) {
            platform.releases = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindRollouts(RolloutService s) {
        platform.rollouts = s;
    }

    void unbindRollouts(RolloutService s) {
        if (platform.rollouts == s) {
            platform.rollouts = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            target = DeviceRegistry.SELECTED)
    void bindRegistry(DeviceRegistry s) {
        platform.registry = s;
    }

    void unbindRegistry(DeviceRegistry s) {
        if (platform.registry == s) {
            platform.registry = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, target = Ledger.SELECTED)
    void bindLedger(Ledger s) {
        platform.ledger = s;
    }

    void unbindLedger(Ledger s) {
        if (platform.ledger == s) {
            platform.ledger = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            target = TrustStore.SELECTED)
    void bindTrust(TrustStore s) {
        platform.trust = s;
    }

    void unbindTrust(TrustStore s) {
        if (platform.trust == s) {
            platform.trust = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            target = FirmwareStore.SERVING)
    void bindServingStore(FirmwareStore s) {
        platform.servingStore = s;
    }

    void unbindServingStore(FirmwareStore s) {
        if (platform.servingStore == s) {
            platform.servingStore = null;
        }
    }

    /** Every store backend (store.kind), for the store's status. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            target = "(" + FirmwareStore.KIND + "=*)")
    void bindStore(FirmwareStore s) {
        platform.stores.add(s);
    }

    void unbindStore(FirmwareStore s) {
        platform.stores.remove(s);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindTransport(TransportStatus s) {
        platform.transports.add(s);
    }

    void unbindTransport(TransportStatus s) {
        platform.transports.remove(s);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindBackends(BackendChoices s) {
        platform.backends = s;
    }

    void unbindBackends(BackendChoices s) {
        if (platform.backends == s) {
            platform.backends = null;
        }
    }
}
