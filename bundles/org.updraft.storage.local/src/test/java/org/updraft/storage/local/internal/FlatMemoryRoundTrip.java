package org.updraft.storage.local.internal;

import org.updraft.core.unixfs.SeededContent;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;

import org.updraft.api.multiformats.Cid;

/**
 * Run in a child JVM with a small heap by {@link StoreMemoryTest}: puts {@code args[1]} bytes into the store in
 * {@code args[0]}, reads them back and compares digests. Prints {@code OK} when they match.
 */
public final class FlatMemoryRoundTrip {

    private FlatMemoryRoundTrip() {
    }

    public static void main(String[] args) throws Exception {
        long size = Long.parseLong(args[1]);
        LocalFirmwareStore store = new LocalFirmwareStore(Path.of(args[0]), false);
        try {
            Cid cid = store.put(new SeededContent(40, size)).cid();
            byte[] expected = LocalFirmwareStoreTest.sha256(new SeededContent(40, size));
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            long read = 0;
            byte[] buffer = new byte[64 * 1024];
            try (InputStream in = store.get(cid)) {
                for (int n; (n = in.read(buffer)) > 0;) {
                    md.update(buffer, 0, n);
                    read += n;
                }
            }
            System.out.println(read == size && Arrays.equals(expected, md.digest()) ? "OK " + cid : "MISMATCH");
        } finally {
            store.close();
        }
    }
}
