package org.updraft.rollout.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.RegistryException;

/**
 * Which of a rollout's target devices each wave takes, from the registry (which applies the target filter,
 * version range included) and {@link WaveMembership}. Read again from the registry when older than the
 * refresh interval, so devices registered later join. A device once offered stays a member of its wave even
 * when it leaves the target (its installed version moved out of the target range by this very rollout).
 * Not thread-safe; used under the owner's lock.
 */
final class WaveMembers {

    private static final int PAGE = 1000;

    private final RolloutRecord rollout;
    private final Map<String, Integer> waveOf = new HashMap<>();
    private final int[] counts;
    /** Offers of the rollout already folded in. */
    private int offersSeen;
    private Instant read;

    private WaveMembers(RolloutRecord rollout) {
        this.rollout = rollout;
        this.counts = new int[rollout.waves().size()];
    }

    /** Reads the rollout's target devices from the registry. */
    static WaveMembers read(RolloutRecord rollout, DeviceRegistry registry, Instant now) throws RegistryException {
        WaveMembers m = new WaveMembers(rollout);
        String after = null;
        while (true) {
            List<Device> page = registry.list(rollout.target(), after, PAGE);
            for (Device d : page) {
                int w = WaveMembership.waveOf(rollout.id(), rollout.waves(), d);
                if (w != WaveMembership.NONE) {
                    m.waveOf.put(d.id(), w);
                    m.counts[w]++;
                }
            }
            if (page.size() < PAGE) {
                break;
            }
            after = page.get(page.size() - 1).id();
        }
        m.read = now;
        return m;
    }

    boolean olderThan(Duration age, Instant now) {
        return read.plus(age).isBefore(now);
    }

    /** The wave that takes the device, or {@link WaveMembership#NONE} when it is not in the target. */
    int waveOf(String deviceId) {
        foldOffers();
        RolloutRecord.OfferState offer = rollout.offer(deviceId);
        if (offer != null) {
            return offer.wave;
        }
        return waveOf.getOrDefault(deviceId, WaveMembership.NONE);
    }

    /**
     * The wave's members: its target devices now, and every device it offered to. A finished rollout no longer
     * names the devices whose offers ended ({@link RolloutRecord#trimFinished}): it has at least as many members as
     * offers, the devices that left the target since (installed out of its version range) included. (The engine
     * reads a finished rollout's members afresh at each question: they are never folded before it was trimmed.)
     */
    int members(int wave) {
        foldOffers();
        return rollout.trimmed() ? Math.max(counts[wave], rollout.offered(wave)) : counts[wave];
    }

    private void foldOffers() {
        for (; offersSeen < rollout.offerCount(); offersSeen++) {
            String id = rollout.offeredDevice(offersSeen);
            if (!waveOf.containsKey(id)) {
                int w = rollout.offer(id).wave;
                waveOf.put(id, w);
                counts[w]++;
            }
        }
    }

    /** The target narrowed as the registry is asked: kept here so every read uses the rollout's own filter. */
    DeviceFilter target() {
        return rollout.target();
    }
}
