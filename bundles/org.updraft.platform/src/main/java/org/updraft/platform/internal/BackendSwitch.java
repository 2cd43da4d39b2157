package org.updraft.platform.internal;

import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.updraft.api.backend.BackendChoice;
import org.updraft.api.backend.BackendChoices;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.StoreStatus;
import org.updraft.api.trust.TrustStore;

/**
 * The one switch for the ledger, the trust store and the device registry (PID {@value #PID}). It registers a
 * forwarding service for each — {@link Ledger#SELECTED}, {@link TrustStore#SELECTED}, {@link DeviceRegistry#SELECTED}
 * — which every platform component uses, and sends each call to the running backend of the configured kind. A
 * change of configuration, or a backend that stops, starts or restarts, changes where calls go and restarts no
 * consumer: the forwarding services stay registered from activation to deactivation.
 *
 * <p>The firmware store has its own switch ({@link ServingStore}); {@link BackendChoices} reports all four.
 */
@Component(service = BackendChoices.class, configurationPid = BackendSwitch.PID, immediate = true)
@Designate(ocd = BackendSwitch.Config.class)
public final class BackendSwitch implements BackendChoices {

    /** Configuration PID: etc/org.updraft.backends.cfg. */
    public static final String PID = "org.updraft.backends";

    @ObjectClassDefinition(name = "Updraft backends",
            description = "Which backend serves the ledger, the trust store and the device registry, for every "
                    + "platform component at once. Changes apply at once; nothing restarts.")
    public @interface Config {
        @AttributeDefinition(name = "Ledger", description = "ledger.kind of the ledger backend: local (the embedded "
                + "transparency log), postgresql (the log in PostgreSQL, shared by several nodes, feature "
                + "updraft-ledger-postgresql) or evm (the same log anchored on an EVM chain, feature "
                + "updraft-ledger-evm).")
        String ledger() default "local";

        @AttributeDefinition(name = "Trust store", description = "trust.kind of the trust store: ledger (trust events "
                + "replayed from the selected ledger) or evm (trust answered from the chain, feature "
                + "updraft-ledger-evm).")
        String trust() default "ledger";

        @AttributeDefinition(name = "Device registry", description = "registry.kind of the device registry: jdbc "
                + "(H2 or PostgreSQL, configured in org.updraft.registry.jdbc).")
        String registry() default "jdbc";
    }

    private final BackendSelection<Ledger> ledgers;
    private final BackendSelection<TrustStore> trustStores;
    private final BackendSelection<DeviceRegistry> registries;
    private final Ledger selectedLedger;
    private final TrustStore selectedTrust;
    private final DeviceRegistry selectedRegistry;
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private volatile Bundle framework;

    @Reference(name = "serving", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, target = FirmwareStore.SERVING)
    private volatile FirmwareStore serving;

    public BackendSwitch() {
        this.ledgers = new BackendSelection<>("ledger", Ledger.KIND, "ledger", this::shuttingDown);
        this.trustStores = new BackendSelection<>("trust", TrustStore.KIND, "trust", this::shuttingDown);
        this.registries = new BackendSelection<>("registry", DeviceRegistry.KIND, "registry", this::shuttingDown);
        this.selectedLedger = new SelectedLedger(ledgers);
        this.selectedTrust = new SelectedTrustStore(trustStores);
        this.selectedRegistry = new SelectedRegistry(registries);
    }

    // an activate method, not the constructor: DS binds the running backends between the two, so the first lines
    // logged already say what serves
    @Activate
    void activate(Config config, BundleContext context) {
        configure(config);
        if (context == null) {
            return; // outside a framework (unit tests): the forwarders are used directly
        }
        framework = context.getBundle(0);
        registrations.add(context.registerService(Ledger.class, selectedLedger, role(Ledger.ROLE)));
        registrations.add(context.registerService(TrustStore.class, selectedTrust, role(TrustStore.ROLE)));
        registrations.add(context.registerService(DeviceRegistry.class, selectedRegistry, role(DeviceRegistry.ROLE)));
    }

    Ledger selectedLedger() {
        return selectedLedger;
    }

    TrustStore selectedTrust() {
        return selectedTrust;
    }

    DeviceRegistry selectedRegistry() {
        return selectedRegistry;
    }

    @Modified
    void modified(Config config) {
        configure(config);
    }

    @Deactivate
    void deactivate() {
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException e) {
                // unregistered already: the bundle is stopping
            }
        }
        registrations.clear();
    }

    /** Checks every value before applying any, so a bad edit changes nothing. */
    private void configure(Config config) {
        String ledger = ledgers.checkKind(config.ledger());
        String trust = trustStores.checkKind(config.trust());
        String registry = registries.checkKind(config.registry());
        ledgers.choose(ledger);
        trustStores.choose(trust);
        registries.choose(registry);
    }

    private static Dictionary<String, Object> role(String property) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(property, "selected");
        // whoever asks for the type without a filter gets the selected one: Karaf's shell injects the highest ranked
        // service of a type whatever the @Reference filter says (its SingleServiceTracker looks up by class only)
        p.put(Constants.SERVICE_RANKING, Integer.MAX_VALUE);
        return p;
    }

    private boolean shuttingDown() {
        Bundle f = framework;
        return f != null && f.getState() == Bundle.STOPPING;
    }

    @Reference(name = "ledgers", service = Ledger.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, target = "(" + Ledger.KIND + "=*)")
    void bindLedger(Ledger ledger, Map<String, Object> properties) {
        ledgers.add(ledger, properties);
    }

    void unbindLedger(Ledger ledger) {
        ledgers.remove(ledger);
    }

    @Reference(name = "trustStores", service = TrustStore.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, target = "(" + TrustStore.KIND + "=*)")
    void bindTrustStore(TrustStore trust, Map<String, Object> properties) {
        trustStores.add(trust, properties);
    }

    void unbindTrustStore(TrustStore trust) {
        trustStores.remove(trust);
    }

    @Reference(name = "registries", service = DeviceRegistry.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, target = "(" + DeviceRegistry.KIND + "=*)")
    void bindRegistry(DeviceRegistry registry, Map<String, Object> properties) {
        registries.add(registry, properties);
    }

    void unbindRegistry(DeviceRegistry registry) {
        registries.remove(registry);
    }

    @Override
    public List<BackendChoice> choices() {
        return List.of(storeChoice(), ledgers.describe(), trustStores.describe(), registries.describe());
    }

    private BackendChoice storeChoice() {
        FirmwareStore store = serving;
        if (store == null) {
            return new BackendChoice("store", "?", false, "updraft-core",
                    "the serving store is not running (org.updraft.store)");
        }
        StoreStatus s = store.status();
        return new BackendChoice("store", s.kind(), s.available(), ServingStore.feature(s.kind()), s.detail());
    }

    /** The Karaf feature that provides a backend kind of a capability. */
    static String feature(String capability, String kind) {
        return switch (capability) {
            case "trust" -> "ledger".equals(kind) ? "updraft-core" : "updraft-ledger-" + kind;
            case "registry" -> "updraft-registry-" + kind;
            default -> "updraft-" + capability + "-" + kind;
        };
    }

    /** The default kind of a capability, for messages. */
    static String defaultKind(String capability) {
        return switch (capability) {
            case "trust" -> "ledger";
            case "registry" -> "jdbc";
            default -> "local";
        };
    }
}
