package org.updraft.shell.internal;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutException;
import org.updraft.api.rollout.RolloutService;

@Command(scope = "updraft", name = "rollout-resume", description = "Resumes a paused rollout")
@Service
public class RolloutResumeCommand extends RolloutStepCommand {

    @Override
    Rollout step(RolloutService service, String rolloutId, String actor) throws RolloutException {
        return service.resume(rolloutId, actor);
    }
}
