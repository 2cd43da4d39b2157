package org.updraft.device.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.updraft.core.io.ReadOnlyChannel;
import org.updraft.core.swu.CpioReader;
import org.updraft.core.swu.SwDescription;
import org.updraft.core.swu.SwuException;
import org.updraft.core.swu.SwuVerifier;

/**
 * What SWUpdate does on a simulated A/B device with a {@code .swu} held in memory: verify it, then find the rootfs
 * image for the partition it writes. The image is returned as a view into the archive's bytes, so a simulated
 * fleet holds each .swu once.
 */
public final class SwupdateInstaller {

    private SwupdateInstaller() {
    }

    /**
     * Verifies {@code swu} under {@code policy}, then finds its rootfs image for {@code device}.
     *
     * @return a read-only view of the image's bytes in {@code swu}
     * @throws SwuException the verifier's refusal, or {@code no-rootfs} (see {@link #rootfs})
     */
    public static ByteBuffer install(byte[] swu, SwuVerifier.Policy policy, String device)
            throws SwuException, IOException {
        try (SeekableByteChannel archive = channel(swu)) {
            SwuVerifier.verify(archive, swu.length, policy);
        }
        return rootfs(swu, device);
    }

    /**
     * Finds the rootfs image for the partition {@code device} without checking the signature: the one
     * {@code images} entry of sw-description whose {@code device} is it, else the one {@code images} entry without
     * a device. Its bytes are checked against its sha256, as SWUpdate checks what it writes.
     *
     * @return a read-only view of the image's bytes in {@code swu}
     * @throws SwuException {@code no-rootfs} when there is not exactly one such entry, {@code invalid-hash}, or
     *         what reading the archive and sw-description refuses
     */
    public static ByteBuffer rootfs(byte[] swu, String device) throws SwuException, IOException {
        Map<String, CpioReader.Entry> entries = new LinkedHashMap<>();
        CpioReader reader = new CpioReader(channel(swu), swu.length);
        for (CpioReader.Entry entry = reader.next(); entry != null; entry = reader.next()) {
            entries.put(entry.name(), entry);
        }
        CpioReader.Entry description = entries.get(SwuVerifier.SW_DESCRIPTION);
        if (description == null) {
            throw new SwuException("bad-archive", "the .swu has no sw-description");
        }
        List<SwDescription.Artifact> images = SwDescription.parse(bytes(swu, description)).artifacts().stream()
                .filter(a -> a.list().equals("images")).toList();
        List<SwDescription.Artifact> chosen = images.stream().filter(a -> device.equals(a.device())).toList();
        if (chosen.isEmpty()) {
            chosen = images.stream().filter(a -> a.device() == null).toList();
        }
        if (chosen.size() != 1) {
            throw new SwuException("no-rootfs", "sw-description has " + chosen.size() + " images for " + device
                    + " (and not exactly one without a device); one is needed");
        }
        SwDescription.Artifact image = chosen.get(0);
        CpioReader.Entry entry = entries.get(image.filename());
        if (entry == null) {
            throw new SwuException("missing-image", "image " + image.filename() + " is not in the .swu");
        }
        ByteBuffer content = ByteBuffer.wrap(swu, (int) entry.dataOffset(), (int) entry.size()).slice()
                .asReadOnlyBuffer();
        if (image.sha256() == null || !image.sha256().equals(sha256(content.duplicate()))) {
            throw new SwuException("invalid-hash", "image " + image.filename() + " written to " + device
                    + " does not match its sha256 in sw-description");
        }
        return content;
    }

    private static byte[] bytes(byte[] swu, CpioReader.Entry entry) {
        return Arrays.copyOfRange(swu, (int) entry.dataOffset(), (int) (entry.dataOffset() + entry.size()));
    }

    private static String sha256(ByteBuffer bytes) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(bytes);
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static SeekableByteChannel channel(byte[] bytes) {
        return new ReadOnlyChannel(bytes.length) {
            @Override
            protected int readAt(long position, ByteBuffer dst, int length) {
                dst.put(bytes, (int) position, length);
                return length;
            }
        };
    }
}
