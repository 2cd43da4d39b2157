package org.updraft.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.time.Duration;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutService;

/**
 * Rollouts over MQTT in the distribution, through a mosquitto started by the test: 500 devices each on its own
 * connection, and a mixed fleet on CoAP and MQTT served by the same rollout.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class MqttFleetIT extends MqttFleetTestBase {

    @Test
    public void fiveHundredDevicesUpdateOverMqttWithOneOfferAndOneFinalReportEachOnTheLedger() throws Exception {
        BrokerProcess broker = broker();
        String out = executeCommand("updraft:demo --devices 500 --transport mqtt --broker " + broker.uri()
                + " --loss 0 --offline 0 --boot-failures 0 --success 100 --quiet", Duration.ofMinutes(3));
        assertTrue(out, out.contains("consistent: "));
        assertTrue(out, out.contains("over MQTT through " + broker.uri()));

        Rollout rollout = completedRollout(waitForService(RolloutService.class), out);
        assertOneOfferAndOneInstalledReportPerDevice(rollout.id(), 500);
        Release release = waitForService(ReleaseService.class).find(rollout.releaseId()).orElseThrow();
        assertEquals("each device had its own connection", 500, devicesConnected(broker,
                release.deviceClass() + "-"));

        String status = executeCommand("updraft:status");
        assertTrue(status, status.contains("transport mqtt: connected to " + broker.uri() + " as updraft-itest"));
    }

    @Test
    public void oneRolloutServesAMixedFleetOnCoapAndMqtt() throws Exception {
        BrokerProcess broker = broker();
        String out = executeCommand("updraft:demo --devices 100 --transport both --broker " + broker.uri()
                + " --loss 0 --offline 0 --boot-failures 0 --success 100 --quiet", Duration.ofMinutes(2));
        assertTrue(out, out.contains("half over MQTT through " + broker.uri()));

        Rollout rollout = completedRollout(waitForService(RolloutService.class), out);
        assertOneOfferAndOneInstalledReportPerDevice(rollout.id(), 100);
        Release release = waitForService(ReleaseService.class).find(rollout.releaseId()).orElseThrow();
        assertEquals("half the fleet came through the broker", 50, devicesConnected(broker,
                release.deviceClass() + "-"));
    }

    /**
     * A delta rollout over MQTT: devices download the patch by CID through the broker, block by block like an image,
     * and rebuild the signed image; what the platform served per device is a fraction of the image.
     */
    @Test
    public void devicesOverMqttRebuildTheImageFromAPatch() throws Exception {
        BrokerProcess broker = broker();
        String out = executeCommand("updraft:demo --devices 50 --transport mqtt --broker " + broker.uri()
                + " --delta bsdiff --image-size 256 --loss 0 --offline 0 --boot-failures 0 --success 100 --quiet",
                Duration.ofMinutes(3));
        RolloutService rollouts = waitForService(RolloutService.class);
        Rollout rollout = completedRollout(rollouts, out);
        assertTrue(out, out.contains("50 devices used the patch, 0 fell back"));
        assertTrue(out, out.contains("images     50 of 50 devices that installed run an image with the release's "
                + "SHA-256"));
        Release release = waitForService(ReleaseService.class).find(rollout.releaseId()).orElseThrow();
        double perDevice = rollouts.progress(rollout.id()).bytesServed() / 50.0;
        System.out.printf("MqttFleetIT: %.0f bytes served per device for the %d-byte image (%.2f%%)%n", perDevice,
                release.size(), 100 * perDevice / release.size());
        assertTrue(out, perDevice < 0.2 * release.size());
    }

    @Test
    public void theDemoRefusesABrokerThePlatformIsNotAClientOf() throws Exception {
        broker();
        String error = executeCommandExpectingFailure("updraft:demo --devices 10 --transport mqtt "
                + "--broker tcp://127.0.0.1:1");
        assertTrue(error, error.contains("is not the broker of the platform's MQTT transport"));
    }
}
