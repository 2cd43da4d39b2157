package org.updraft.shell.internal;

import java.util.Collection;
import java.util.Comparator;
import java.util.Objects;

import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * The platform service of a type that a filter names (the selected ledger, trust store or device registry, the
 * serving firmware store), looked up when a command runs and released when it ends.
 *
 * <p>Why not a field with {@code @Reference(filter = ...)}: Karaf 4.4's shell keeps one tracker per service type
 * and bundle, and that tracker looks services up by type alone. A command bundle that starts after a backend
 * registered (the local ledger, say) but before the platform registered its selected service is handed the
 * backend, and keeps it for good: the tracker only hears of services that match the filter, and only while it
 * holds none. Every command of the bundle then reads and writes that backend. Seen once in the two-node demo:
 * {@code ledger-verify} on a node running on PostgreSQL audited the node's empty local ledger.
 */
final class Selected<T> implements AutoCloseable {

    private final BundleContext context;
    private final ServiceReference<T> reference;
    private final T service;

    private Selected(BundleContext context, ServiceReference<T> reference, T service) {
        this.context = context;
        this.reference = reference;
        this.service = service;
    }

    /** The highest ranked service of {@code type} matching {@code filter} now; {@link #service} is null if none. */
    static <T> Selected<T> find(BundleContext context, Class<T> type, String filter) {
        Objects.requireNonNull(context, "the shell's bundle context");
        Collection<ServiceReference<T>> found;
        try {
            found = context.getServiceReferences(type, filter);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("bad service filter " + filter, e);
        }
        // ServiceReference orders by ranking, then by age: the largest is what the framework would hand out first
        for (ServiceReference<T> ref : found.stream().sorted(Comparator.reverseOrder()).toList()) {
            T service = context.getService(ref);
            if (service != null) {
                return new Selected<>(context, ref, service);
            }
        }
        return new Selected<>(context, null, null);
    }

    /** The service, or null when none runs. */
    T service() {
        return service;
    }

    @Override
    public void close() {
        if (reference != null) {
            try {
                context.ungetService(reference);
            } catch (IllegalStateException e) {
                // the shell bundle is stopping
            }
        }
    }
}
