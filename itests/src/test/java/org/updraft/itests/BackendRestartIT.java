package org.updraft.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.update.UpdateService;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;

/**
 * Restarting a backend in a running platform ({@code bundle:restart} of the ledger's or the registry's bundle, as an
 * operator does after an update of it) while a rollout runs: the platform's front — the CoAP transport with its Observe
 * relations, the update and rollout services, the release service — stays as it is (the same services, never
 * re-registered), devices retry through the gap, and the running {@code updraft:demo} finishes.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class BackendRestartIT extends UpdraftTestSupport {

    private static final String DEMO = "updraft:demo --quiet --loss 0 --boot-failures 0 --offline 0 --timeout 300";

    @Override
    protected Option[] additionalOptions() {
        return new Option[] {
            // devices asking while a backend is away get 5.03 and come back soon
            editConfigurationFilePut("etc/org.updraft.transport.coap.cfg", "unavailable.max.age", "2"),
            editConfigurationFilePut("etc/org.updraft.ledger.local.cfg", "fsync", "false"),
            editConfigurationFilePut("etc/org.updraft.storage.local.cfg", "fsync", "false") };
    }

    @Test
    public void restartingTheLedgerAndTheRegistryMidRolloutRestartsNothingInFrontAndTheDemoFinishes()
            throws Exception {
        Map<String, Long> front = frontServices();
        RolloutService rollouts = waitForService(RolloutService.class);
        int before = rollouts.list().size();

        CompletableFuture<String> demo = CompletableFuture.supplyAsync(() -> executeCommand(
                DEMO + " --devices 20 --image-size 64 --block-size 64", Duration.ofMinutes(5)));
        Rollout rollout = RolloutWatch.awaitDownloads(rollouts, before, demo);

        restart("org.updraft.ledger.local", Ledger.class.getName(), "(ledger.kind=local)");
        assertFalse("the rollout was still running after the ledger's restart", demo.isDone());
        restart("org.updraft.registry.jdbc", DeviceRegistry.class.getName(), "(registry.kind=jdbc)");

        String out = demo.get(5, TimeUnit.MINUTES);
        assertTrue(out, out.contains("devices    20: 20 updated, 0 failed, 0 rolled back, 0 not updated"));
        assertTrue(out, out.contains("consistent: "));
        assertEquals("the services devices and operators use were not restarted", front, frontServices());
        assertEquals(RolloutState.COMPLETED, rollouts.find(rollout.id()).orElseThrow().state());
    }

    /**
     * The shell's commands use the platform's selected ledger whichever bundle started first. Here the shell starts
     * while the platform is stopped, so the only ledger registered is the local backend itself; then the backend is
     * restarted and an event appended. When commands were handed their services by type (Karaf's shell does that,
     * whatever the filter), every command kept the first ledger it saw: after the restart a closed one, which did not
     * hold the new event.
     */
    @Test
    public void shellCommandsUseTheSelectedLedgerWhicheverBundleStartedFirst() throws Exception {
        Bundle platform = findBundle("org.updraft.platform");
        Bundle shell = findBundle("org.updraft.shell");
        platform.stop();
        await("the selected ledger to go", SERVICE_TIMEOUT,
                () -> serviceReferences(Ledger.class.getName(), Ledger.SELECTED).isEmpty());
        shell.stop();
        shell.start();
        platform.start();
        Ledger selected = waitForService(Ledger.class, Ledger.SELECTED, SERVICE_TIMEOUT);
        waitForService(TrustStore.class, TrustStore.SELECTED, SERVICE_TIMEOUT);
        restart("org.updraft.ledger.local", Ledger.class.getName(), "(ledger.kind=local)");

        SigningKey vendor = SigningKey.generate(KeyAlgorithm.ED25519);
        String added = executeCommand("updraft:trust-add --vendor shell-order " + vendor.did());
        assertTrue(added, added.contains(vendor.did()));
        long events = selected.size();
        String verified = executeCommand("updraft:ledger-verify");
        assertTrue(verified, verified.contains("Ledger consistent: " + events + " events"));
        String tail = executeCommand("updraft:ledger-tail -n 1");
        assertTrue(tail, tail.contains(events + " events in the ledger"));
    }

    /** Stops the bundle while devices download, waits a moment with it gone, starts it again. */
    private void restart(String bundle, String service, String filter) throws Exception {
        Bundle b = findBundle(bundle);
        b.stop();
        await(bundle + "'s service to go", SERVICE_TIMEOUT, () -> serviceReferences(service, filter).isEmpty());
        Thread.sleep(2000); // devices meet the gap: 5.03, retry
        b.start();
        waitForService(service, filter, SERVICE_TIMEOUT);
    }

    /** The service ids of what devices and operators talk to. */
    private Map<String, Long> frontServices() {
        Map<String, Long> ids = new TreeMap<>();
        for (String type : List.of("org.updraft.api.update.listener.UpdateListener", UpdateService.class.getName(),
                RolloutService.class.getName(), ReleaseService.class.getName())) {
            ids.put(type, serviceId(type, null));
        }
        ids.put("selected ledger", serviceId(Ledger.class.getName(), Ledger.SELECTED));
        ids.put("selected trust", serviceId(TrustStore.class.getName(), TrustStore.SELECTED));
        ids.put("selected registry", serviceId(DeviceRegistry.class.getName(), DeviceRegistry.SELECTED));
        ids.put("serving store", serviceId(FirmwareStore.class.getName(), FirmwareStore.SERVING));
        return ids;
    }
}
