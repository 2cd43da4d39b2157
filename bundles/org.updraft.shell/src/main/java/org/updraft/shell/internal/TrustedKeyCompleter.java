package org.updraft.shell.internal;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.osgi.framework.BundleContext;
import org.updraft.api.trust.TrustException;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.trust.TrustedKey;

/** Completes the DIDs of registered manufacturer keys. */
@Service
public class TrustedKeyCompleter implements Completer {

    /** Looked up at each completion, not injected: {@link Selected} says why. */
    @Reference
    BundleContext bundleContext;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        StringsCompleter delegate = new StringsCompleter();
        try (Selected<TrustStore> selected = Selected.find(bundleContext, TrustStore.class, TrustStore.SELECTED)) {
            TrustStore trust = selected.service();
            if (trust != null) {
                trust.list().stream().map(TrustedKey::did).forEach(delegate.getStrings()::add);
            }
        } catch (TrustException e) {
            // nothing to complete while the trust store is down
        }
        return delegate.complete(session, commandLine, candidates);
    }
}
