package org.updraft.itests;

import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import org.junit.Before;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The same fleet rollout with the device registry in PostgreSQL, the production option: the database that
 * .ci/postgres starts (127.0.0.1:5432, database updraft_test, role updraft).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FleetRolloutPostgresIT extends FleetRolloutTestBase {

    private static final String CFG = "etc/org.updraft.registry.jdbc.cfg";

    @Override
    protected Option[] registryOptions() {
        return new Option[] {
            editConfigurationFilePut(CFG, "url", System.getProperty("updraft.test.postgres",
                    "jdbc:postgresql://127.0.0.1:5432/updraft_test")),
            editConfigurationFilePut(CFG, "user", "updraft"),
            editConfigurationFilePut(CFG, ".password", "updraft"),
            editConfigurationFilePut(CFG, "dataSourceFactory.target", "(osgi.jdbc.driver.class=org.postgresql.Driver)")};
    }

    @Override
    protected String expectedRegistry() {
        return "jdbc:postgresql://";
    }

    /** The PostgreSQL driver is a feature of its own; the registry waits for it, configured as above. */
    @Before
    public void installPostgresqlDriver() throws Exception {
        if (!isFeatureInstalled("updraft-registry-postgresql")) {
            installFeatures("updraft-registry-postgresql");
        }
    }
}
