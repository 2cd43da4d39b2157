package org.updraft.shell.internal;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.osgi.framework.BundleContext;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.StoreException;

/** Completes the CIDs of objects pinned in the firmware store. */
@Service
public class StoredCidCompleter implements Completer {

    /** Looked up at each completion, not injected: {@link Selected} says why. */
    @Reference
    BundleContext bundleContext;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        StringsCompleter delegate = new StringsCompleter();
        try (Selected<FirmwareStore> selected = Selected.find(bundleContext, FirmwareStore.class, FirmwareStore.SERVING)) {
            FirmwareStore store = selected.service();
            if (store != null) {
                store.list().forEach(o -> delegate.getStrings().add(o.cid().toString()));
            }
        } catch (StoreException e) {
            // nothing to offer while the store is unavailable
        }
        return delegate.complete(session, commandLine, candidates);
    }
}
