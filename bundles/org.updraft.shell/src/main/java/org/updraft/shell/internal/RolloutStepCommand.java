package org.updraft.shell.internal;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutException;
import org.updraft.api.rollout.RolloutService;

/** What the commands that steer a rollout share: the id argument, the service, the one-line outcome. */
abstract class RolloutStepCommand extends UpdraftCommand {

    @Argument(index = 0, name = "id", description = "The rollout id", required = true)
    @Completion(RolloutIdCompleter.class)
    String id;

    @Reference(optional = true)
    RolloutService rollouts;

    @Override
    protected Object run() throws Exception {
        Rollout r = step(Services.require(rollouts, "rollout service", "updraft-rollout"), id, Operators.current());
        String wave = r.currentWave() >= r.waves().size() ? "every wave passed"
                : "wave " + (r.currentWave() + 1) + "/" + r.waves().size() + " " + r.waves().get(r.currentWave()).name();
        System.out.println("Rollout " + r.id() + " is " + RolloutShowCommand.state(r) + ", " + wave);
        return null;
    }

    abstract Rollout step(RolloutService service, String rolloutId, String actor) throws RolloutException;
}
