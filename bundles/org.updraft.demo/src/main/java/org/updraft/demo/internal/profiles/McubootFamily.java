package org.updraft.demo.internal.profiles;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.KeyFileException;
import org.updraft.core.identity.KeyFiles;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.mcuboot.ImageException;
import org.updraft.core.mcuboot.ImageKey;
import org.updraft.core.mcuboot.ImageSigner;
import org.updraft.core.mcuboot.ImageSigningKey;
import org.updraft.core.mcuboot.ImageSource;
import org.updraft.core.mcuboot.ImageVersion;
import org.updraft.core.mcuboot.SignOptions;
import org.updraft.core.mcuboot.SlotLayout;
import org.updraft.device.DeviceFlash;
import org.updraft.device.McubootFlash;

/**
 * MCUboot devices: images signed as {@code imgtool sign --pad-header --header-size 0x200} does, with an Ed25519
 * key generated for the run, for a class with two 1 MiB slots of 4 KiB sectors (a Cortex-M part with 2 MiB of
 * flash or more) written 4 bytes at a time, that swaps them.
 */
public final class McubootFamily implements DemoFamily {

    static final String PID = "org.updraft.profile.mcuboot";
    static final int HEADER_SIZE = 0x200;
    static final long SLOT_SIZE = 0x100000;
    static final int SECTOR_SIZE = 0x1000;
    static final int ALIGN = 4;
    /** What imgtool may add after the payload: TLV info, security counter, hash, key hash, signature (under 0x100). */
    private static final int TLV_ROOM = 0x400;
    private static final Pattern SEMVER_CORE = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)(?:[-+].*)?");

    /** Swap needs the trailer to describe every sector of the slot. */
    private static final SlotLayout SLOT = new SlotLayout(SLOT_SIZE, ALIGN, (int) (SLOT_SIZE / SECTOR_SIZE), false,
            Math.max(8, ALIGN));

    private final ImageSigningKey signingKey;
    private final Path publicKeyFile;

    private McubootFamily(ImageSigningKey signingKey, Path publicKeyFile) {
        this.signingKey = signingKey;
        this.publicKeyFile = publicKeyFile;
    }

    /**
     * A new image key: its public half in {@code dir} for the class's bootloader, its private half in memory only
     * (the file {@link ImageSigningKey} reads it from is gone once read).
     */
    static McubootFamily generate(Path dir) throws IOException {
        SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
        Path publicKey = dir.resolve("mcuboot-image-key.pub.pem").toAbsolutePath();
        Path privateKey = dir.resolve("mcuboot-image-key.pem");
        try {
            KeyFiles.writePublicKey(publicKey, key.verificationKey());
            KeyFiles.writePrivateKey(privateKey, key, null);
            return new McubootFamily(ImageSigningKey.read(privateKey), publicKey);
        } catch (KeyFileException e) {
            throw new IOException(e.getMessage(), e);
        } finally {
            Files.deleteIfExists(privateKey);
        }
    }

    @Override
    public String profile() {
        return "mcuboot";
    }

    @Override
    public String configurationPid() {
        return PID;
    }

    @Override
    public Map<String, Object> classConfiguration(String deviceClass) {
        return Map.of("device.class", deviceClass, "image.key", publicKeyFile.toString(),
                "slot.size", "0x" + Long.toHexString(SLOT.slotSize()), "align", SLOT.align(),
                "max.sectors", SLOT.maxSectors());
    }

    /** The key the class's bootloader checks images with. */
    public ImageKey imageKey() {
        return signingKey.imageKey();
    }

    /** The class's slot, as its bootloader lays it out. */
    public SlotLayout slotLayout() {
        return SLOT;
    }

    /**
     * The image's version is the manifest's {@code MAJOR.MINOR.PATCH}, as the profile requires; its security
     * counter is the sequence: never ahead of it, and never below an earlier release's, whose sequence was lower.
     */
    @Override
    public byte[] image(String version, long sequence, byte[] program) throws IOException {
        DemoFamily.checkPayload(this, program.length);
        SignOptions options = SignOptions.builder(HEADER_SIZE, imageVersion(version), SLOT.slotSize())
                .align(SLOT.align()).maxSectors(SLOT.maxSectors()).maxAlign(SLOT.maxAlign()).padHeader(true)
                .securityCounter(Math.min(sequence, 0xffff_ffffL)).build();
        ByteArrayOutputStream out = new ByteArrayOutputStream(HEADER_SIZE + program.length + TLV_ROOM);
        try {
            new ImageSigner(options, signingKey).sign(ImageSource.of(program), out);
        } catch (ImageException e) {
            throw new IllegalStateException("the demo's MCUboot image cannot be signed: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    @Override
    public int maxPayload() {
        return (int) (SLOT.room() - HEADER_SIZE - TLV_ROOM);
    }

    /** {@code 2.1.0-rc.1} is MCUboot's 2.1.0: the header has no room for a pre-release. */
    static ImageVersion imageVersion(String version) {
        Matcher m = SEMVER_CORE.matcher(version);
        if (!m.matches()) {
            throw new IllegalArgumentException("version '" + version + "' is not MAJOR.MINOR.PATCH, which an "
                    + "MCUboot image must carry");
        }
        return ImageVersion.parse(Integer.parseInt(m.group(1)) + "." + Integer.parseInt(m.group(2)) + "."
                + Integer.parseInt(m.group(3)));
    }

    @Override
    public String deviceDescription() {
        return "MCUboot in swap mode: the image goes to the secondary slot with a trailer asking for a test swap; the "
                + "bootloader checks its hash and signature, swaps, and swaps back unless the image sets image_ok";
    }

    @Override
    public DeviceFlash factoryFlash(String version, long sequence, byte[] image) {
        return new McubootFlash(slotLayout(), imageKey(), version, sequence, image);
    }

    @Override
    public String deviceState(DeviceFlash flash) {
        McubootFlash mcuboot = (McubootFlash) flash;
        String state = "primary slot runs " + mcuboot.running().version() + " " + trailer(mcuboot.primaryTrailer())
                + ", secondary slot " + trailer(mcuboot.secondaryTrailer());
        return mcuboot.lastRefusal() == null ? state : state + "; the bootloader refused: " + mcuboot.lastRefusal();
    }

    private static String trailer(McubootFlash.TrailerState t) {
        return "[magic " + t.magic().name().toLowerCase(java.util.Locale.ROOT) + ", swap "
                + t.swapType().name().toLowerCase(java.util.Locale.ROOT) + (t.copyDone() ? ", copy_done" : "")
                + (t.imageOk() ? ", image_ok" : "") + "]";
    }
}
