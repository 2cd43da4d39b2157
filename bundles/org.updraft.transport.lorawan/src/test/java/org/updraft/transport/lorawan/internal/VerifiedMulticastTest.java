package org.updraft.transport.lorawan.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceState;
import org.updraft.api.release.Release;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.serving.CountedRefusals;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.transport.lorawan.internal.radio.DutyCycleBudget;
import org.updraft.transport.lorawan.internal.radio.Region;
import org.updraft.transport.lorawan.internal.session.DeviceResult;
import org.updraft.transport.lorawan.internal.session.FuotaSession;
import org.updraft.transport.lorawan.internal.session.Participant;
import org.updraft.transport.lorawan.internal.session.SessionPlan;
import org.updraft.transport.lorawan.internal.sim.LossModel;
import org.updraft.transport.lorawan.internal.sim.SimulatedDevice;
import org.updraft.transport.lorawan.internal.sim.SimulatedNetwork;
import org.updraft.transport.lorawan.internal.sim.VerifyingFirmware;
import org.updraft.transport.lorawan.internal.update.UpdateBlock;

/**
 * Issue 14's case in simulated time: a multicast session to 50 devices at 20% loss each way, its block the platform's
 * own (the offer the update service gives these devices, the session statement it signs for them, the image from
 * the store), and every device running the verifying firmware: session statement, checkpoint under the log key,
 * inclusion proof, manifest signature and signer, vendor and class, newer sequence, then the image against the
 * manifest. No broker or wall clock: the simulated network drives the session, so this is exact and quick;
 * MulticastSessionTest runs the same path through the transport, mosquitto and the simulated ChirpStack API.
 */
class VerifiedMulticastTest {

    @TempDir
    Path dir;

    @Test
    void fiftyDevicesAtTwentyPercentLossEachVerifyTheOfferAndTheImageAndInstall() throws Exception {
        Random random = new Random(14_50L);
        try (FuotaPlatform platform = new FuotaPlatform(dir)) {
            List<String> ids = new ArrayList<>();
            List<VerifyingFirmware> firmware = new ArrayList<>();
            List<Participant> participants = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String devEui = String.format("70b3d57ed1%06x", i);
                SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
                platform.register(devEui, key, Set.of("lorawan"));
                ids.add(devEui);
                firmware.add(new VerifyingFirmware(devEui, key, FuotaPlatform.VENDOR, FuotaPlatform.CLASS, null,
                        platform.logKey(), platform.deviceTrust(), "1.0.0", 1, 203, 51)
                        .statementKey(platform.updates.statementKey()));
                byte[] mcKeyEncrypted = new byte[16];
                random.nextBytes(mcKeyEncrypted);
                participants.add(new Participant(devEui, mcKeyEncrypted));
            }
            byte[] image = new byte[6000];
            random.nextBytes(image);
            Release release = platform.publish(image, 2);
            platform.rollout(release);
            // the block as the transport builds it: the update service's offer and its statement for these devices
            UpdateAnswer.Offer offer = (UpdateAnswer.Offer) platform.updates.check(ids.get(0), 1);
            byte[] statement = platform.updates.sessionStatement(ids, offer, new byte[] {1, 4}, Duration.ofDays(2));
            byte[] block = UpdateBlock.encode(UpdateBlock.Payload.IMAGE, UpdateAnswers.encode(offer), statement,
                    image);

            SessionPlan plan = SessionPlan.multicast(Region.EU868, 5, 869_525_000L, 0x0123_4567L).withRedundancy(0.3)
                    .withMaxAttempts(12).withRepairRounds(8);
            Instant t0 = Instant.now();
            CountedRefusals refusals = new CountedRefusals(Duration.ofMinutes(1), () -> 0L,
                    (kind, since, total, detail) -> { });
            FuotaSession session = new FuotaSession(plan, block, participants,
                    new DutyCycleBudget(Region.EU868, 0.01, Map.of("g3", 0.1)), refusals);
            SimulatedNetwork network = new SimulatedNetwork(session, t0, random);
            for (int i = 0; i < ids.size(); i++) {
                network.add(new SimulatedDevice(ids.get(i), firmware.get(i), Duration.ofSeconds(random.nextInt(61)
                        - 30), 1 << 20, random), LossModel.random(0.2), LossModel.random(0.2));
            }
            assertTrue(network.run(Duration.ofDays(2)), "the session finishes");

            for (DeviceResult r : session.results()) {
                assertEquals(DeviceResult.State.DONE, r.state(), r.toString());
            }
            for (int i = 0; i < ids.size(); i++) {
                VerifyingFirmware fw = firmware.get(i);
                assertEquals(DeviceState.INSTALLED, fw.state(), ids.get(i) + ": " + fw.reason());
                assertEquals(2, fw.sequence(), ids.get(i));
            }
            FuotaSession.Report r = session.report();
            System.out.println("50 verifying devices, multicast at 20% loss: " + r.nbFrag() + " fragments of the "
                    + block.length + "-byte block, " + r.fragmentsSent() + " sent (" + r.codedSent() + " coded), "
                    + r.repairRounds() + " repair rounds, " + Duration.between(r.started(), r.finished())
                    + " of session time");
        }
    }
}
