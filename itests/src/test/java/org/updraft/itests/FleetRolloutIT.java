package org.updraft.itests;

import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/** The fleet rollout on the embedded defaults: the device registry in an H2 file. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FleetRolloutIT extends FleetRolloutTestBase {

    @Override
    protected Option[] registryOptions() {
        return new Option[0];
    }

    @Override
    protected String expectedRegistry() {
        return "jdbc:h2:file:";
    }
}
