package org.updraft.shell.internal;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutService;

@Command(scope = "updraft", name = "rollout-list", description = "Lists rollouts, oldest first")
@Service
public class RolloutListCommand extends UpdraftCommand {

    @Reference(optional = true)
    RolloutService rollouts;

    @Override
    protected Object run() throws Exception {
        ShellTable table = new ShellTable();
        table.column("Rollout");
        table.column("Release");
        table.column("State");
        table.column("Wave");
        table.column("Updated");
        for (Rollout r : Services.require(rollouts, "rollout service", "updraft-rollout").list()) {
            String wave = r.currentWave() >= r.waves().size() ? "all passed"
                    : (r.currentWave() + 1) + "/" + r.waves().size() + " " + r.waves().get(r.currentWave()).name();
            table.addRow().addContent(r.id(), r.releaseId(), RolloutShowCommand.state(r), wave, Format.time(r.updated()));
        }
        table.print(System.out);
        return null;
    }
}
