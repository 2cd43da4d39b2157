package org.updraft.storage.local.internal;

import org.updraft.core.unixfs.SeededContent;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Run in a child JVM by {@link StoreCrashTest}: opens the store in {@code args[0]} and puts {@code args[2]}
 * bytes of seed {@code args[1]}; after {@code args[3]} bytes it prints {@code HALFWAY} and stalls, waiting to
 * be killed.
 */
public final class CrashingPut {

    private CrashingPut() {
    }

    public static void main(String[] args) throws IOException {
        LocalFirmwareStore store = new LocalFirmwareStore(Path.of(args[0]), true);
        long halfway = Long.parseLong(args[3]);
        store.put(new SeededContent(Long.parseLong(args[1]), Long.parseLong(args[2])) {
            long served;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (served >= halfway) {
                    System.out.println("HALFWAY");
                    System.out.flush();
                    try {
                        Thread.sleep(Long.MAX_VALUE);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw new IOException("interrupted");
                }
                int n = super.read(b, off, (int) Math.min(len, halfway - served));
                served += n;
                return n;
            }
        });
        System.out.println("FINISHED");
    }
}
