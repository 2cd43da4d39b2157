package org.updraft.rollout.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.delta.Delta;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.profile.DeviceProfile;
import org.updraft.api.profile.PreviousRelease;
import org.updraft.api.profile.ProfileLimits;
import org.updraft.api.profile.ReleaseFacts;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.core.event.DeltaEvents;
import org.updraft.core.event.RolloutEvents;
import org.updraft.core.update.DeviceAnswer;
import org.updraft.core.update.UpdateAnswers;

/**
 * Which devices are offered a recorded delta beside the full image: those running its base exactly whose class
 * accepts its codec (their profile's codecs and memory, or the default codec without a profile).
 */
class OfferedDeltasTest {

    @TempDir
    Path dir;
    private Platform p;
    private Release base;
    private Release target;

    @BeforeEach
    void open() throws Exception {
        p = new Platform(dir);
        base = p.publish(1); // the fleet's devices register with sequence 1
        target = p.publish(2);
    }

    @AfterEach
    void close() {
        p.close();
    }

    private Delta record(Release from, byte[] fromSha, String codec, long size, long memory) throws Exception {
        Delta d = new Delta(from.id(), target.id(), fromSha, target.sha256(), codec,
                Cid.v1(Cid.RAW, java.security.MessageDigest.getInstance("SHA-256").digest(
                        (codec + size + memory).getBytes())), size, memory, 0);
        long index = p.ledger.append(new LedgerEvent(EventTypes.DELTA_PUBLISHED, p.clock.instant(),
                p.ledger.logKey(), DeltaEvents.published(d), null)).index();
        return new Delta(d.fromRelease(), d.toRelease(), d.fromSha256(), d.toSha256(), d.codec(), d.patch(),
                d.patchSize(), d.applyMemory(), index);
    }

    private void rollOut() throws Exception {
        Rollout r = p.rollouts.create(new RolloutSpec(target.id(), DeviceFilter.ALL, List.of(new WaveSpec("all",
                WaveSelector.parse("percent:100"), 90, 10, true, null, 0))), "alice");
        p.rollouts.start(r.id(), "alice");
    }

    private UpdateAnswer.Offer check(String device, long sequence) throws Exception {
        return assertInstanceOf(UpdateAnswer.Offer.class, p.updates.check(device, sequence));
    }

    private static DeviceProfile profile(String id, List<String> codecs, long memory) {
        return new DeviceProfile() {
            @Override
            public String id() {
                return id;
            }

            @Override
            public void check(ReleaseFacts release, SeekableByteChannel image, PreviousRelease previous) {
            }

            @Override
            public Optional<ProfileLimits> limits(String deviceClass) {
                return Platform.CLASS.equals(deviceClass)
                        ? Optional.of(new ProfileLimits(1 << 20, 4, 512, codecs, memory))
                        : Optional.empty();
            }
        };
    }

    @Test
    void aDeviceRunningTheBaseIsOfferedTheDeltaItsClassAccepts() throws Exception {
        Delta bsdiff = record(base, base.sha256(), "bsdiff", 900, 1_500_000);
        Delta vcdiff = record(base, base.sha256(), "vcdiff", 700, 600_000);
        record(base, new byte[32], "bsdiff", 100, 1_000); // made from another image than release 1's
        p.registry.registerAll(List.of(p.device("plain", null, null), p.device("small", null, "small"),
                p.device("roomy", null, "roomy"), p.device("unknown", null, "absent")));
        DeviceProfile small = profile("small", List.of("vcdiff", "bsdiff"), 1_000_000);
        p.updates.bindProfile(small, Map.of(DeviceProfile.ID, "small"));
        p.updates.bindProfile(profile("roomy", List.of("bsdiff", "vcdiff"), 8_000_000), Map.of(DeviceProfile.ID,
                "roomy"));
        rollOut();

        // no profile: the default codec only, and never the patch made from another image
        UpdateAnswer.Offer plain = check("plain", 1);
        assertEquals(bsdiff, plain.delta());
        // a profile: its codecs within its memory, the smallest patch among them
        assertEquals(vcdiff, check("small", 1).delta());
        assertEquals(vcdiff, check("roomy", 1).delta());
        // within the class's memory only
        p.updates.unbindProfile(small);
        DeviceProfile tight = profile("small", List.of("vcdiff", "bsdiff"), 100_000);
        p.updates.bindProfile(tight, Map.of(DeviceProfile.ID, "small"));
        assertNull(check("small", 1).delta());
        p.updates.unbindProfile(tight);
        p.updates.bindProfile(profile("small", List.of("vcdiff", "bsdiff"), 1_000_000), Map.of(DeviceProfile.ID,
                "small"));
        assertEquals(vcdiff, check("small", 1).delta());
        // a profile that does not run: what its devices accept is unknown
        assertNull(check("unknown", 1).delta());
        // a device that says it runs something else than registered does not run the base for sure
        assertNull(check("plain", 0).delta());

        // on the wire: the device reads the delta; the answer's tag differs from the full-image offer's
        DeviceAnswer.Offer wire = assertInstanceOf(DeviceAnswer.Offer.class,
                UpdateAnswers.decode(UpdateAnswers.encode(plain)));
        assertEquals(bsdiff.patch(), wire.delta().patch());
        assertEquals(base.id(), wire.delta().fromRelease());
        assertNotEquals(List.of(plain.tag()), List.of(check("plain", 0).tag()));
        // the ledger's first offer says which patch came with it
        Map<String, String> offered = new java.util.HashMap<>();
        for (LedgerEntry e : p.ledger.read(0, (int) p.ledger.size())) {
            if (e.event().type().equals(EventTypes.ROLLOUT_OFFERED)) {
                RolloutEvents.Offered o = (RolloutEvents.Offered) RolloutEvents.decode(e.event().type(),
                        e.event().payload());
                offered.put(o.device(), String.valueOf(o.delta()));
            }
        }
        assertEquals(Map.of("plain", bsdiff.patch().toString(), "small", vcdiff.patch().toString(), "roomy",
                vcdiff.patch().toString(), "unknown", "null"), offered);
    }

    @Test
    void withoutARecordedDeltaTheOfferIsAsBefore() throws Exception {
        p.registry.registerAll(List.of(p.device("plain", null, null)));
        rollOut();
        assertNull(check("plain", 1).delta());
        // a delta recorded later, from the release the device runs, is offered at its next check
        Delta late = record(base, base.sha256(), "bsdiff", 800, 1_500_000);
        assertEquals(late, check("plain", 1).delta());
    }
}
