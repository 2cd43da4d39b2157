package org.updraft.shell.internal;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;

/** Completes published release ids ({@code vendor/class/sequence}). */
@Service
public class ReleaseIdCompleter implements Completer {

    @Reference(optional = true)
    ReleaseService releases;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        StringsCompleter delegate = new StringsCompleter();
        if (releases != null) {
            releases.list().stream().map(Release::id).forEach(delegate.getStrings()::add);
        }
        return delegate.complete(session, commandLine, candidates);
    }
}
