package org.updraft.shell.internal;

import java.util.ArrayList;
import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.WaveSpec;

@Command(scope = "updraft", name = "rollout-create", description = "Creates a rollout of a published release in "
        + "waves (a draft until started)")
@Service
public class RolloutCreateCommand extends UpdraftCommand {

    @Option(name = "--wave", multiValued = true, required = true, description = "A wave, in order, repeat for each: "
            + WaveOption.SYNTAX)
    List<String> waves;

    @Option(name = "--region", description = "Target only devices in this region")
    String region;

    @Option(name = "--tags", description = "Target only devices carrying all of these comma-separated tags")
    String tags;

    @Option(name = "--versions", description = "Target only devices running a version in this range, e.g. "
            + "[1.0.0,2.0.0)")
    String versions;

    @Option(name = "--start", description = "Start it at once")
    boolean start;

    @Argument(index = 0, name = "release", description = "The release id (vendor/class/sequence)", required = true)
    @Completion(ReleaseIdCompleter.class)
    String release;

    @Reference(optional = true)
    RolloutService rollouts;

    @Override
    protected Object run() throws Exception {
        RolloutService service = Services.require(rollouts, "rollout service", "updraft-rollout");
        List<WaveSpec> specs = new ArrayList<>();
        for (String wave : waves) {
            specs.add(WaveOption.parse(wave));
        }
        DeviceFilter target = new DeviceFilter(null, null, null, DeviceAddCommand.splitTags(tags), region, versions);
        String actor = Operators.current();
        Rollout rollout = service.create(new RolloutSpec(release, target, specs), actor);
        if (start) {
            rollout = service.start(rollout.id(), actor);
        }
        System.out.println("Rollout " + rollout.id() + " of " + rollout.releaseId() + " is " + RolloutShowCommand.state(rollout));
        return null;
    }
}
