package org.updraft.demo.internal.fleet;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntFunction;

import org.updraft.api.device.Device;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.TrustLookup;
import org.updraft.device.AbFlash;
import org.updraft.device.DeviceFlash;
import org.updraft.device.Provisioning;
import org.updraft.device.SimulatedDevice;

/**
 * Makes a fleet of simulated devices at the "factory": a fresh key per device, the same trust anchors for all,
 * regions dealt out in turn and tags by share. {@link #devices} gives the registry records an operator registers.
 */
public final class FleetProvisioning {

    private FleetProvisioning() {
    }

    /** A fleet of one vendor and device class, trusting {@code logKeyDid} and the manufacturer keys in {@code trust}. */
    public static Builder builder(String vendor, String deviceClass, String logKeyDid, TrustLookup trust) {
        return new Builder(vendor, deviceClass, logKeyDid, trust);
    }

    /** The registry records of {@code fleet}, as registered at {@code registered}. */
    public static List<Device> devices(List<SimulatedDevice> fleet, Instant registered) {
        List<Device> result = new ArrayList<>(fleet.size());
        for (SimulatedDevice device : fleet) {
            result.add(device.toDevice(registered));
        }
        return result;
    }

    /**
     * What makes one device itself, as the factory keeps it: its id, its key and its region (null for none). A fleet
     * made outside this JVM ({@code bin/updraft-fleet provision}) is run again from these.
     */
    public record Member(String id, SigningKey key, String region) {
        public Member {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(key, "key");
        }
    }

    /**
     * {@code count} new members, ids {@code idPrefix} and a five-digit number from 00000, each with a new key of
     * {@code keys}, regions dealt out in turn (none when {@code regions} is empty).
     */
    public static List<Member> members(int count, String idPrefix, List<String> regions,
            java.util.function.Supplier<SigningKey> keys) {
        if (count < 1 || count > 1_000_000) {
            throw new IllegalArgumentException("a fleet has 1 to 1000000 devices, not " + count);
        }
        List<Member> members = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            members.add(new Member(String.format("%s%05d", idPrefix, i), keys.get(),
                    regions.isEmpty() ? null : regions.get(i % regions.size())));
        }
        return members;
    }

    /** The flash and bootloader of one device, its factory image installed and confirmed. */
    @FunctionalInterface
    public interface FactoryFlash {
        /**
         * @param device the device's number, from 0
         * @param image the factory image, as released (the bytes a manifest of that version describes)
         */
        DeviceFlash make(int device, String version, long sequence, byte[] image);
    }

    /** What the fleet's devices have in common, and how they differ. */
    public static final class Builder {
        private final String vendor;
        private final String deviceClass;
        private final String logKeyDid;
        private final TrustLookup trust;
        private String profile;
        private String statementKeyDid;
        private List<String> regions = List.of();
        private final Map<String, Double> tags = new LinkedHashMap<>();
        private String idPrefix = "sim-";
        private String installedVersion = "1.0.0";
        private long installedSequence = 1;
        private KeyAlgorithm algorithm = KeyAlgorithm.ED25519;
        private long seed = 7;
        private IntFunction<byte[]> factoryImage;
        private FactoryFlash flash = (device, version, sequence, image) -> new AbFlash(version, sequence, image);

        private Builder(String vendor, String deviceClass, String logKeyDid, TrustLookup trust) {
            this.vendor = Objects.requireNonNull(vendor, "vendor");
            this.deviceClass = Objects.requireNonNull(deviceClass, "deviceClass");
            this.logKeyDid = Objects.requireNonNull(logKeyDid, "logKeyDid");
            this.trust = Objects.requireNonNull(trust, "trust");
        }

        public Builder profile(String profile) {
            this.profile = profile;
            return this;
        }

        /**
         * The platform's statement key: the devices then act only on answers it vouches for. Default none: they act
         * on unsigned answers, as devices made before platforms signed them.
         */
        public Builder statementKey(String did) {
            this.statementKeyDid = did;
            return this;
        }

        /** Regions dealt out in turn: device i is in region i mod n. Default none. */
        public Builder regions(List<String> regions) {
            this.regions = List.copyOf(regions);
            return this;
        }

        /** Gives {@code tag} to about {@code share} (0 to 1) of the devices. */
        public Builder tag(String tag, double share) {
            if (!(share >= 0 && share <= 1)) {
                throw new IllegalArgumentException("the share of devices tagged " + tag + " must be from 0 to 1");
            }
            tags.put(Objects.requireNonNull(tag, "tag"), share);
            return this;
        }

        /** Device ids are the prefix and a five-digit number from 00000. Default {@code sim-}. */
        public Builder idPrefix(String idPrefix) {
            this.idPrefix = Objects.requireNonNull(idPrefix, "idPrefix");
            return this;
        }

        /** The factory image's version and sequence. Default 1.0.0, sequence 1. */
        public Builder installed(String version, long sequence) {
            this.installedVersion = Objects.requireNonNull(version, "version");
            this.installedSequence = sequence;
            return this;
        }

        /**
         * The factory image of device {@code i}, copied into its slot A. Default 256 random bytes from the seed, the
         * same for every device.
         */
        public Builder factoryImage(IntFunction<byte[]> factoryImage) {
            this.factoryImage = Objects.requireNonNull(factoryImage, "factoryImage");
            return this;
        }

        /**
         * The devices' flash and bootloader, as their profile has it (MCUboot's slots, Linux A/B root file systems).
         * Default the generic {@link AbFlash}.
         */
        public Builder flash(FactoryFlash flash) {
            this.flash = Objects.requireNonNull(flash, "flash");
            return this;
        }

        /** The device keys' algorithm. Default Ed25519. */
        public Builder keyAlgorithm(KeyAlgorithm algorithm) {
            this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
            return this;
        }

        /** Seed of the tag assignment. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Makes {@code count} devices, each with a new key and its factory image installed. */
        public List<SimulatedDevice> generate(int count) {
            return devices(members(count, idPrefix, regions, () -> SigningKey.generate(algorithm)));
        }

        /**
         * Makes the devices {@code members}, with their own ids, keys and regions (this builder's id prefix, regions
         * and key algorithm do not apply) and its factory image installed.
         */
        public List<SimulatedDevice> devices(List<Member> members) {
            if (members.isEmpty()) {
                throw new IllegalArgumentException("a fleet has at least one device");
            }
            Random random = new Random(seed);
            byte[] factoryImage = new byte[256];
            random.nextBytes(factoryImage);
            List<SimulatedDevice> fleet = new ArrayList<>(members.size());
            for (int i = 0; i < members.size(); i++) {
                Member member = members.get(i);
                Set<String> deviceTags = new TreeSet<>();
                for (Map.Entry<String, Double> tag : tags.entrySet()) {
                    if (random.nextDouble() < tag.getValue()) {
                        deviceTags.add(tag.getKey());
                    }
                }
                Provisioning p = new Provisioning(member.id(), member.key(), vendor, deviceClass, profile,
                        member.region(), deviceTags, logKeyDid, trust, statementKeyDid);
                byte[] image = this.factoryImage == null ? factoryImage : this.factoryImage.apply(i);
                fleet.add(new SimulatedDevice(p, flash.make(i, installedVersion, installedSequence, image), 0));
            }
            return fleet;
        }
    }
}
