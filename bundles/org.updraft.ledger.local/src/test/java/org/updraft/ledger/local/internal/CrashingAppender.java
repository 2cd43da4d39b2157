package org.updraft.ledger.local.internal;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The child process of {@link CrashTest}: appends as fast as it can from several threads, and issues checkpoints
 * from one more, until it is killed. It prints {@code ACK index tag seq} for every append that returned and
 * {@code CP treeSize} for every checkpoint that returned, each line with one write.
 */
public final class CrashingAppender {

    private static final FileOutputStream OUT = new FileOutputStream(FileDescriptor.out);

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String round = args[1];
        int threads = Integer.parseInt(args[2]);
        FileLedger ledger = FileLedger.open(dir, dir.resolve("log-key.pem"), CrashTest.ORIGIN, true);
        print("OPEN " + ledger.size());
        for (int t = 0; t < threads; t++) {
            String tag = round + "-t" + t;
            new Thread(() -> {
                try {
                    for (long seq = 0;; seq++) {
                        long index = ledger.append(Frames.event(tag, seq)).index();
                        print("ACK " + index + " " + tag + " " + seq);
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                    System.exit(3);
                }
            }).start();
        }
        while (true) {
            Thread.sleep(5);
            print("CP " + ledger.checkpoint().treeSize());
        }
    }

    private static void print(String line) throws IOException {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.US_ASCII);
        synchronized (OUT) {
            OUT.write(bytes); // one write(2) of less than PIPE_BUF: the parent sees the whole line or none of it
        }
    }
}
