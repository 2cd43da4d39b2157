package org.updraft.device;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

import org.updraft.core.swu.SwuException;
import org.updraft.core.swu.SwuVerifier;
import org.updraft.device.internal.SwupdateInstaller;

/**
 * A simulated embedded Linux device with A/B root file systems, updated by SWUpdate from a signed {@code .swu},
 * with U-Boot's boot counter to fall back.
 *
 * <p>The {@code .swu} is downloaded into a staging area (resuming the same image after an interruption), so the
 * inactive partition keeps the previous release until an install replaces it. {@link #setPending} is SWUpdate
 * installing: {@link SwuVerifier} checks the signature under the provisioned certificates, the hardware revision,
 * every file's SHA-256 and the partition size; a refusal is an {@link InstallException} with reason {@code swu-}
 * and the verifier's problem ({@code swu-bad-signature}, {@code swu-invalid-hash}, ...), the staged .swu is
 * discarded and partitions and environment stay as they were. Which image is the rootfs: A is {@value #DEVICE_A}
 * ({@code mmcpart=2}), B is {@value #DEVICE_B} ({@code mmcpart=3}); the one {@code images} entry whose
 * {@code device} is the inactive partition is written (one .swu with selections {@code stable,copy1} and
 * {@code stable,copy2}, as SWUpdate users ship it), else the one {@code images} entry without a device; otherwise
 * {@code swu-no-rootfs}. Then the environment is set as the copy's {@code bootenv} would: {@code mmcpart} to the
 * new partition, {@code upgrade_available=1}, {@code bootcount=0}.
 *
 * <p>U-Boot increments {@code bootcount} on each reset while {@code upgrade_available=1}; past {@code bootlimit}
 * its {@code altbootcmd} switches {@code mmcpart} back and clears {@code upgrade_available} ({@code bootcount}
 * stays as a record of the tries). The watchdog resets a hanging new system until then, so it gets
 * {@code bootlimit} tries, and any reset before confirmation uses one. A health check in the new system confirms
 * it: {@code upgrade_available=0}, {@code bootcount=0}.
 *
 * <p>Memory: each partition keeps the .swu it was installed from (the staging buffer itself, or the
 * {@code shared} bytes a fleet shares) and its rootfs as a read-only view into those bytes, not a copy; the staging
 * buffer exists during a download only. Thread-safe; each method is one atomic step of the simulated hardware.
 */
public final class LinuxAbRootfs implements DeviceFlash {

    /** The block device of rootfs A, as sw-description names it. */
    public static final String DEVICE_A = "/dev/mmcblk0p2";
    /** The block device of rootfs B. */
    public static final String DEVICE_B = "/dev/mmcblk0p3";
    /** U-Boot's usual limit: a new system gets three boots to confirm itself. */
    public static final int DEFAULT_BOOTLIMIT = 3;
    /** The size of each rootfs partition unless given: the images of a .swu must fit. */
    public static final long DEFAULT_PARTITION_SIZE = 1L << 30;

    /** The U-Boot environment variables the A/B scheme uses. */
    public static final String MMCPART = "mmcpart";
    public static final String UPGRADE_AVAILABLE = "upgrade_available";
    public static final String BOOTCOUNT = "bootcount";
    public static final String BOOTLIMIT = "bootlimit";

    /** The two root file systems. */
    public enum Partition {
        A(DEVICE_A, "2"), B(DEVICE_B, "3");

        private final String device;
        private final String mmcpart;

        Partition(String device, String mmcpart) {
            this.device = device;
            this.mmcpart = mmcpart;
        }

        /** The block device sw-description names it by. */
        public String device() {
            return device;
        }

        /** Its number in U-Boot's {@code mmcpart}. */
        public String mmcpart() {
            return mmcpart;
        }

        public Partition other() {
            return this == A ? B : A;
        }

        static Partition ofMmcpart(String mmcpart) {
            return A.mmcpart.equals(mmcpart) ? A : B;
        }
    }

    private final SwuVerifier.Policy policy;
    /** Per partition: the .swu installed there, as released. */
    private final Image[] releases = new Image[2];
    /** Per partition: its rootfs, a read-only view into its .swu; null when not known. */
    private final ByteBuffer[] rootfs = new ByteBuffer[2];
    private final Map<String, String> env = new LinkedHashMap<>();
    private Partition booted = Partition.A;
    /** The .swu being downloaded into the staging area, or null. */
    private Download staging;

    /**
     * A device from the factory with {@link #DEFAULT_BOOTLIMIT} and {@link #DEFAULT_PARTITION_SIZE}; see
     * {@link #LinuxAbRootfs(List, String, long, int, String, long, byte[])}.
     */
    public LinuxAbRootfs(List<X509Certificate> trusted, String hardwareRevision, String version, long sequence,
            byte[] factorySwu) {
        this(trusted, hardwareRevision, DEFAULT_PARTITION_SIZE, DEFAULT_BOOTLIMIT, version, sequence, factorySwu);
    }

    /**
     * A device straight from the factory: {@code factorySwu} installed in partition A and confirmed, partition B
     * empty. The factory's image is not verified (the factory wrote it); its rootfs is located when it is a
     * readable .swu with an image for A.
     *
     * @param trusted the certificates provisioned for SWUpdate to verify sw-description's signature with
     * @param hardwareRevision the board's revision, which sw-description's {@code hardware-compatibility} must list
     * @param partitionSize the size of each rootfs partition
     * @param bootlimit U-Boot's {@code bootlimit}: boots a new system gets before the fallback, at least 1
     */
    public LinuxAbRootfs(List<X509Certificate> trusted, String hardwareRevision, long partitionSize, int bootlimit,
            String version, long sequence, byte[] factorySwu) {
        if (bootlimit < 1) {
            throw new IllegalArgumentException("bootlimit " + bootlimit + " would never boot a new system");
        }
        this.policy = new SwuVerifier.Policy(trusted, List.of(Objects.requireNonNull(hardwareRevision,
                "hardwareRevision")), partitionSize);
        byte[] factory = factorySwu.clone();
        releases[Partition.A.ordinal()] = new Image(version, sequence, factory);
        try {
            rootfs[Partition.A.ordinal()] = SwupdateInstaller.rootfs(factory, Partition.A.device());
        } catch (SwuException | IOException e) {
            // not a .swu we can read: its rootfs stays unknown, it still runs
        }
        env.put(BOOTLIMIT, Integer.toString(bootlimit));
        env.put(BOOTCOUNT, "0");
        env.put(UPGRADE_AVAILABLE, "0");
        env.put(MMCPART, Partition.A.mmcpart());
    }

    /** The U-Boot environment (a copy), as {@code fw_printenv} shows it. */
    public synchronized Map<String, String> env() {
        return new LinkedHashMap<>(env);
    }

    /** The partition the running system was booted from. */
    public synchronized Partition bootedPartition() {
        return booted;
    }

    /** The release installed in {@code partition} (its .swu), or {@code null} when it holds none. */
    public synchronized Image release(Partition partition) {
        return releases[partition.ordinal()];
    }

    /** The rootfs written to {@code partition} (read-only), or {@code null} when it holds none or it is unknown. */
    public synchronized ByteBuffer rootfs(Partition partition) {
        ByteBuffer content = rootfs[partition.ordinal()];
        return content == null ? null : content.duplicate();
    }

    @Override
    public synchronized Image running() {
        return releases[booted.ordinal()];
    }

    @Override
    public synchronized boolean isOnTrial() {
        return upgradeAvailable() && booted == next();
    }

    /** Whether an installed system waits for the next boot. */
    public synchronized boolean isPending() {
        return upgradeAvailable() && booted != next();
    }

    @Override
    public synchronized long beginWrite(String imageKey, long size) {
        if (isOnTrial()) {
            throw new IllegalStateException("the running system is on trial; the other partition holds the fallback");
        }
        if (size < 0 || size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("the staging area holds 0 to 2 GiB, not " + size + " bytes");
        }
        if (staging != null && staging.isFor(imageKey, size)) {
            return staging.written();
        }
        staging = new Download(imageKey, size, ".swu");
        return 0;
    }

    @Override
    public synchronized void write(long offset, byte[] data) {
        if (staging == null) {
            throw new IllegalStateException("no .swu is being downloaded; call beginWrite first");
        }
        staging.write(offset, data);
    }

    @Override
    public synchronized long written() {
        return staging == null ? 0 : staging.written();
    }

    @Override
    public synchronized InputStream readWritten() {
        if (staging == null) {
            throw new IllegalStateException("no .swu is being downloaded");
        }
        return staging.read();
    }

    @Override
    public synchronized void erase() {
        staging = null;
    }

    @Override
    public synchronized void setPending(String version, long sequence, byte[] shared) throws InstallException {
        if (staging == null || !staging.isComplete()) {
            throw new IllegalStateException("no complete .swu is staged (" + written() + " of "
                    + (staging == null ? 0 : staging.size()) + " bytes written)");
        }
        if (isOnTrial()) {
            throw new IllegalStateException("the running system is on trial; the other partition holds the fallback");
        }
        byte[] swu = staging.keep(shared);
        Partition target = booted.other();
        ByteBuffer written;
        try {
            written = SwupdateInstaller.install(swu, policy, target.device());
        } catch (SwuException e) {
            erase();
            throw new InstallException("swu-" + e.problem(), e.getMessage());
        } catch (IOException e) {
            erase();
            throw new InstallException("swu-bad-archive", "cannot read the staged .swu: " + e.getMessage());
        }
        releases[target.ordinal()] = new Image(version, sequence, swu);
        rootfs[target.ordinal()] = written;
        erase();
        env.put(MMCPART, target.mmcpart());
        env.put(UPGRADE_AVAILABLE, "1");
        env.put(BOOTCOUNT, "0");
    }

    @Override
    public synchronized Boot reboot(Predicate<Image> imageWorks) {
        boolean wasOnTrial = isOnTrial();
        while (true) {
            if (bootloader()) {
                return Boot.REVERTED;
            }
            if (!isOnTrial()) {
                return Boot.UNCHANGED;
            }
            if (imageWorks.test(running())) {
                // a system already on trial that starts again is still the same trial
                return wasOnTrial ? Boot.UNCHANGED : Boot.TRIAL;
            }
            // the new system hangs before its health check confirms it: the watchdog resets the board
        }
    }

    @Override
    public synchronized void confirm() {
        if (!isOnTrial()) {
            throw new IllegalStateException("the running system is already confirmed");
        }
        env.put(UPGRADE_AVAILABLE, "0");
        env.put(BOOTCOUNT, "0");
    }

    /**
     * U-Boot after a reset: counts the boot while an upgrade is on trial and falls back past the limit.
     *
     * @return whether {@code altbootcmd} ran and the other partition was booted
     */
    private boolean bootloader() {
        if (upgradeAvailable()) {
            int count = Integer.parseInt(env.get(BOOTCOUNT)) + 1;
            env.put(BOOTCOUNT, Integer.toString(count));
            if (count > Integer.parseInt(env.get(BOOTLIMIT))) {
                env.put(MMCPART, next().other().mmcpart());
                env.put(UPGRADE_AVAILABLE, "0");
                booted = next();
                return true;
            }
        }
        booted = next();
        return false;
    }

    private boolean upgradeAvailable() {
        return "1".equals(env.get(UPGRADE_AVAILABLE));
    }

    /** The partition U-Boot boots next. */
    private Partition next() {
        return Partition.ofMmcpart(env.get(MMCPART));
    }
}
