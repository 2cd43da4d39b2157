package org.updraft.benchmarks;

import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.updraft.api.store.StoredObject;
import org.updraft.storage.local.internal.LocalFirmwareStore;
import org.updraft.storage.local.internal.LocalStoreConfig;
import org.updraft.testing.Configs;

/**
 * Row 2: ingest of row 1's file. Updraft: {@link LocalFirmwareStore#put} (the embedded store's put, the step of
 * publishing that stores the image: chunking, UnixFS DAG, SHA-256 of every block, blocks written and fsynced)
 * into an empty store. Reference: {@code POST /api/v0/add?cid-version=0} of the same file to a fresh js-ipfs node
 * (multipart, streamed from the file), which does the same work in JavaScript. Both must name the same CID.
 */
final class IngestRow {

    private IngestRow() {
    }

    static java.util.List<Row> run(Path work, boolean quick) throws Exception {
        long size = (quick ? 16L : 256L) * 1024 * 1024;
        Path file = ContentAddressingRow.file(work, size);
        int rounds = quick ? 1 : 3;
        double mb = size / 1e6;
        double[] ours = new double[rounds];
        double[] theirs = new double[rounds];
        double[] unsynced = new double[rounds];
        String cid = null;
        Path dir = Files.createTempDirectory(work, "ingest");
        try (JsIpfsNode node = new JsIpfsNode(dir)) {
            HttpClient http = HttpClient.newHttpClient();
            add(http, node, file); // warm-up of the node (its first add also loads its code)
            for (int r = 0; r < rounds; r++) {
                Path storeDir = dir.resolve("store-" + r);
                LocalFirmwareStore store = new LocalFirmwareStore(storeConfig(storeDir, true));
                try (InputStream in = Files.newInputStream(file)) {
                    long start = System.nanoTime();
                    StoredObject stored = store.put(in);
                    ours[r] = mb / ((System.nanoTime() - start) / 1e9);
                    cid = stored.cid().toString();
                } finally {
                    store.close();
                }
                deleteTree(storeDir);
                // the same without fsync: what the disk's syncs cost (js-ipfs does not sync its blocks)
                store = new LocalFirmwareStore(storeConfig(storeDir, false));
                try (InputStream in = Files.newInputStream(file)) {
                    long start = System.nanoTime();
                    store.put(in);
                    unsynced[r] = mb / ((System.nanoTime() - start) / 1e9);
                } finally {
                    store.close();
                }
                deleteTree(storeDir);
                long start = System.nanoTime();
                String added = add(http, node, file);
                theirs[r] = mb / ((System.nanoTime() - start) / 1e9);
                if (!added.equals(cid)) {
                    throw new IllegalStateException("row 2: the store named the file " + cid + ", js-ipfs " + added);
                }
            }
        }
        String reference = "js-ipfs 0.66.1 POST /api/v0/add?cid-version=0, same file";
        return java.util.List.of(new Row("2", "ingest: LocalFirmwareStore.put of the " + (size >> 20) + " MiB file"
                + " (fsync on), empty store", Rates.median(ours), "MB/s", reference, Rates.median(theirs), "MB/s", 3.0,
                "≥ 3×", false, String.format(Locale.ROOT, "%s; same CID %s", bound, cid)),
                new Row("2b", "the same put with fsync off (as js-ipfs writes its blocks)", Rates.median(unsynced),
                        "MB/s", reference, Rates.median(theirs), "MB/s", 3.0, "≥ 3×", false,
                        "the put without the disk's syncs: chunking, SHA-256, UnixFS nodes, block files and renames"));
    }

    /** What bounds the row, from the profile (see BENCHMARKS.md). */
    static String bound = "the disk: every 256 KiB block file is fsynced (several at once, DiskSync) before the"
            + " put returns; js-ipfs does not sync its blocks; 2b is the put without syncs";

    /** The node's CID for the file; the node keeps the blocks (a later add of the same file finds them). */
    private static String add(HttpClient http, JsIpfsNode node, Path file) throws Exception {
        String boundary = "updraft-bench-" + System.nanoTime();
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"image.bin\""
                + "\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        HttpRequest request = HttpRequest.newBuilder(node.api("add?cid-version=0&pin=false&progress=false"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary).timeout(Duration.ofMinutes(10))
                .POST(HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofByteArray(head),
                        HttpRequest.BodyPublishers.ofFile(file), HttpRequest.BodyPublishers.ofByteArray(tail)))
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        Matcher hash = Pattern.compile("\"Hash\"\\s*:\\s*\"([^\"]+)\"").matcher(response.body());
        if (response.statusCode() != 200 || !hash.find()) {
            throw new IllegalStateException("row 2: js-ipfs add answered " + response.statusCode() + ": "
                    + response.body().lines().findFirst().orElse(""));
        }
        return hash.group(1);
    }

    /** A local store in {@code dir}, syncing each object to disk before a put returns or not. */
    private static LocalStoreConfig storeConfig(Path dir, boolean fsync) {
        return Configs.of(LocalStoreConfig.class, Map.of("directory", dir.toString(), "fsync", fsync));
    }

    private static void deleteTree(Path dir) throws Exception {
        try (var all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
