package org.updraft.shell.internal;

import java.util.Locale;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutProgress;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.rollout.WaveProgress;

@Command(scope = "updraft", name = "rollout-show", description = "Shows a rollout and the progress of each wave")
@Service
public class RolloutShowCommand extends UpdraftCommand {

    @Argument(index = 0, name = "id", description = "The rollout id", required = true)
    @Completion(RolloutIdCompleter.class)
    String id;

    @Reference(optional = true)
    RolloutService rollouts;

    @Override
    protected Object run() throws Exception {
        RolloutProgress progress = Services.require(rollouts, "rollout service", "updraft-rollout").progress(id);
        print(progress);
        return null;
    }

    static String state(Rollout r) {
        String state = r.state().name().toLowerCase(Locale.ROOT);
        return r.reason() == null ? state : state + " (" + r.reason() + ")";
    }

    static void print(RolloutProgress progress) {
        Rollout r = progress.rollout();
        System.out.println(String.format("  %-9s %s", "rollout", r.id()));
        System.out.println(String.format("  %-9s %s", "release", r.releaseId()));
        System.out.println(String.format("  %-9s %s", "state", state(r)));
        System.out.println(String.format("  %-9s %s, updated %s, ledger #%d", "created", Format.time(r.created()),
                Format.time(r.updated()), r.ledgerIndex()));
        System.out.println(String.format("  %-9s %s", "served", Format.bytes(progress.bytesServed())));
        table(progress).print(System.out);
    }

    static ShellTable table(RolloutProgress progress) {
        ShellTable table = new ShellTable();
        table.column("#").alignRight();
        table.column("Wave");
        table.column("Status");
        table.column("Devices").alignRight();
        table.column("Offered").alignRight();
        table.column("Downloading").alignRight();
        table.column("Downloaded").alignRight();
        table.column("Installed").alignRight();
        table.column("Failed").alignRight();
        table.column("Rolled back").alignRight();
        for (WaveProgress w : progress.waves()) {
            table.addRow().addContent(w.index(), w.name(), w.status(), w.members(), w.offered(), w.downloading(),
                    w.downloaded(), w.installed(), w.failed(), w.rolledBack());
        }
        return table;
    }
}
