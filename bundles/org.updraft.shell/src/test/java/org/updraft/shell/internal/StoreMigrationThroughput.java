package org.updraft.shell.internal;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

import org.updraft.api.store.CidOptions;
import org.updraft.shell.internal.migration.MigrationReport;
import org.updraft.shell.internal.migration.StoreMigration;
import org.updraft.storage.local.internal.LocalFirmwareStore;

/**
 * A measurement, not a test: MB/s of store-migrate between two local stores (fsync on, as shipped, unless told), and of a
 * second run that finds everything there.
 *
 * <pre>
 * ./mvnw -B -q -o test-compile -pl bundles/org.updraft.shell -am
 * java -cp bundles/org.updraft.api/target/classes:bundles/org.updraft.core/target/classes:\
 *   bundles/org.updraft.core/target/test-classes:bundles/org.updraft.storage.local/target/classes:\
 *   bundles/org.updraft.shell/target/classes:bundles/org.updraft.shell/target/test-classes:\
 *   $HOME/.m2/repository/org/slf4j/slf4j-api/1.7.36/slf4j-api-1.7.36.jar \
 *   org.updraft.shell.internal.StoreMigrationThroughput [objects] [MiB each] [fsync true|false] [directory]
 * </pre>
 */
public final class StoreMigrationThroughput {

    private StoreMigrationThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int objects = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        boolean fsync = args.length <= 2 || Boolean.parseBoolean(args[2]);
        Path dir = args.length > 3 ? Path.of(args[3]) : Files.createTempDirectory("migrate-throughput");
        LocalFirmwareStore source = StoreMigrationTest.open(dir.resolve("source"), fsync);
        LocalFirmwareStore target = StoreMigrationTest.open(dir.resolve("target"), fsync);
        try {
            byte[] data = new byte[mib * 1024 * 1024];
            Random random = new Random(1);
            for (int i = 0; i < objects; i++) {
                random.nextBytes(data);
                source.put(new ByteArrayInputStream(data), i % 2 == 0 ? CidOptions.DEFAULT : CidOptions.V1);
            }
            long bytes = (long) objects * data.length;
            long t0 = System.nanoTime();
            MigrationReport first = new StoreMigration(source, "source", target, "target").run(false, null);
            long t1 = System.nanoTime();
            MigrationReport second = new StoreMigration(source, "source", target, "target").run(false, null);
            long t2 = System.nanoTime();
            System.out.println(String.format(Locale.ROOT, "%d objects of %d MiB, fsync %s: copy %.0f MB/s (%s); rerun %.0f ms (%s)",
                    objects, mib, fsync, bytes / ((t1 - t0) / 1e9) / 1e6, first.summary(), (t2 - t1) / 1e6,
                    second.summary()));
        } finally {
            source.close();
            target.close();
        }
    }
}
