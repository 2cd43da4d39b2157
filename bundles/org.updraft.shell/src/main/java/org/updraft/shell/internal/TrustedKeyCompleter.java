package org.updraft.shell.internal;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.trust.TrustedKey;

/** Completes the DIDs of registered manufacturer keys. */
@Service
public class TrustedKeyCompleter implements Completer {

    @Reference(optional = true)
    TrustStore trust;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        StringsCompleter delegate = new StringsCompleter();
        if (trust != null) {
            trust.list().stream().map(TrustedKey::did).forEach(delegate.getStrings()::add);
        }
        return delegate.complete(session, commandLine, candidates);
    }
}
