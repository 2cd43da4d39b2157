package org.updraft.shell.internal;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutService;

/** Completes rollout ids. */
@Service
public class RolloutIdCompleter implements Completer {

    @Reference(optional = true)
    RolloutService rollouts;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        StringsCompleter ids = new StringsCompleter();
        if (rollouts != null) {
            for (Rollout r : rollouts.list()) {
                ids.getStrings().add(r.id());
            }
        }
        return ids.complete(session, commandLine, candidates);
    }
}
