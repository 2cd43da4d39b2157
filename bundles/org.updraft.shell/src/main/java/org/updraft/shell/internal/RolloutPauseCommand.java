package org.updraft.shell.internal;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutException;
import org.updraft.api.rollout.RolloutService;

@Command(scope = "updraft", name = "rollout-pause", description = "Pauses a running rollout; nothing new is offered until it is resumed")
@Service
public class RolloutPauseCommand extends RolloutStepCommand {

    @Option(name = "--reason", description = "Why, recorded on the ledger")
    String reason;

    @Override
    Rollout step(RolloutService service, String rolloutId, String actor) throws RolloutException {
        return service.pause(rolloutId, actor, reason);
    }
}
