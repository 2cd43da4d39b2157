package org.updraft.benchmarks;

import java.io.ByteArrayInputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.updraft.api.device.Device;
import org.updraft.api.release.progress.PublishProgress;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseException;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.store.StoredObject;
import org.updraft.api.update.ReportReceipt;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.api.update.UpdateException;
import org.updraft.api.update.UpdateService;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.ImageFacts;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.storage.local.internal.LocalFirmwareStore;
import org.updraft.storage.local.internal.LocalStoreConfig;
import org.updraft.testing.Configs;
import org.updraft.testing.platform.DeviceApi;

/**
 * Row 4: block-wise firmware delivery to many concurrent devices from Updraft's CoAP transport (/fw/{cid}, blocks
 * read from the real local firmware store through its chunk cache) against libcoap's coap-server-notls serving the
 * same bytes, both fetched by the same client ({@link BlockFetch}).
 */
final class DeliveryRow {

    private DeliveryRow() {
    }

    static Row run(Path work, boolean quick) throws Exception {
        int devices = quick ? 50 : 1000;
        int imageSize = 128 * 1024;
        int blockSize = 1024;
        byte[] image = new byte[imageSize];
        new Random(128).nextBytes(image);
        byte[] sha = ImageFacts.newDigest().digest(image);
        Path dir = Files.createTempDirectory(work, "delivery");

        BlockFetch.Result updraft;
        LocalFirmwareStore store = new LocalFirmwareStore(Configs.of(LocalStoreConfig.class,
                Map.of("directory", dir.resolve("store").toString(), "fsync", false)));
        try {
            StoredObject stored = store.put(new ByteArrayInputStream(image));
            OneRelease releases = new OneRelease(image, sha, stored);
            try (DeviceApi server = DeviceApi.serve(releases, store, releases)) {
                String path = "fw/" + stored.cid();
                BlockFetch.run(server.address(), path, sha, imageSize, Math.min(devices, 20), blockSize); // warm-up
                updraft = BlockFetch.run(server.address(), path, sha, imageSize, devices, blockSize);
            }
        } finally {
            store.close();
        }

        BlockFetch.Result libcoap;
        Path file = dir.resolve("image.bin");
        Files.write(file, image);
        int port = freeUdpPort();
        Process server = new ProcessBuilder("coap-server-notls", "-A", "127.0.0.1", "-p", String.valueOf(port), "-d",
                "4", "-v", "0").redirectErrorStream(true).redirectOutput(dir.resolve("coap-server.log").toFile())
                .start();
        try {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
            putWithLibcoap(port, file);
            BlockFetch.run(address, "firmware", sha, imageSize, Math.min(devices, 20), blockSize); // warm-up
            libcoap = BlockFetch.run(address, "firmware", sha, imageSize, devices, blockSize);
        } finally {
            server.destroy();
            server.waitFor(5, TimeUnit.SECONDS);
        }

        if (updraft.failed() > 0 || libcoap.failed() > 0) {
            throw new IllegalStateException("row 4: downloads failed or arrived wrong: Updraft " + updraft.failed()
                    + ", libcoap " + libcoap.failed() + " of " + devices + "; first: Updraft " + updraft.firstFailure()
                    + ", libcoap " + libcoap.firstFailure());
        }
        return new Row("4", "block-wise delivery, " + devices + " devices, 128 KiB image, 1024-byte blocks",
                updraft.bytesPerSecond() / 1e6, "MB/s", "libcoap coap-server-notls, same file, same client",
                libcoap.bytesPerSecond() / 1e6, "MB/s", 1.0, "≥ 1.0×", false,
                String.format(Locale.ROOT, "one request per block, client and server on the same 2 cores "
                        + "(%.1f s vs %.1f s; retransmissions %d vs %d; shed, asked again after %d ms, %d vs %d)",
                        updraft.seconds(), libcoap.seconds(), updraft.retries(), libcoap.retries(), ShedPause.MILLIS,
                        updraft.shed(), libcoap.shed()));
    }

    /** libcoap's server keeps what a PUT creates (-d): the file is uploaded with libcoap's own client. */
    private static void putWithLibcoap(int port, Path file) throws Exception {
        String uri = "coap://127.0.0.1:" + port + "/firmware";
        for (int attempt = 0; attempt < 50; attempt++) {
            Process put = new ProcessBuilder("coap-client-notls", "-m", "put", "-b", "1024", "-f", file.toString(),
                    uri).redirectErrorStream(true).start();
            String out = new String(put.getInputStream().readAllBytes());
            if (put.waitFor() == 0 && !out.contains("4.") && !out.contains("5.")) {
                return;
            }
            Thread.sleep(100); // the server may not be listening yet
        }
        throw new IllegalStateException("row 4: could not PUT the image to coap-server-notls at " + uri);
    }

    private static int freeUdpPort() throws Exception {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
