package org.updraft.demo.internal.fleet;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

import org.updraft.api.device.DeviceState;
import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.identity.KeyFileException;
import org.updraft.core.identity.KeyFiles;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;
import org.updraft.core.manifest.TrustLookup;
import org.updraft.device.SimulatedDevice;

/**
 * {@code bin/updraft-fleet}: the fleet simulator as a process of its own, outside every platform node, so that a
 * node can be killed under it. {@code provision} makes a fleet's identities once (keys kept in a file of the
 * operator's, the registry lines to give the platform); {@code run} runs each of its devices through one update
 * against one or more nodes, the devices dealt out over the nodes and moving to the next when theirs goes silent.
 */
public final class FleetTool {

    static final String DEVICES_FILE = "devices.txt";
    static final String REGISTER_FILE = "register.karaf";
    /** The factory image the devices run: what {@code updraft:device-add} registers by default. */
    static final String FACTORY_VERSION = "0.0.0";
    static final long FACTORY_SEQUENCE = 0;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern ID_PREFIX = Pattern.compile("[A-Za-z0-9._-]*");

    /** Distinct reasons a summary names, the most frequent first: a refusal names its device, so each is its own. */
    static final int REASONS_SHOWN = 5;

    static final String USAGE = """
            usage: updraft-fleet provision --devices N --vendor VENDOR --class CLASS [--regions R1,R2,...]
                                           [--id-prefix PREFIX] --out DIR
                   updraft-fleet run --fleet DIR --node HOST:PORT [--node HOST:PORT ...] --dtls-key DID
                                     --log-key DID --statement-key DID --trust KEYFILE.pub|DID [--loss SHARE]
                                     [--boot-failures SHARE] [--timeout SECONDS] [--progress-file FILE]
                                     [--progress-every SECONDS] [--poll SECONDS] [--ack-timeout MS]
                                     [--start-spread SECONDS] [--threads N] [--seed N]

            provision  makes N simulated devices, each with its own Ed25519 key: DIR/devices.txt (their ids, regions
                       and private keys; mode 600, never printed; refused if it exists) and DIR/register.karaf (one
                       updraft:device-add line per device, at version 0.0.0, sequence 0). Ids are PREFIX and a
                       five-digit number (default prefix fleet-); regions are dealt out in turn.
            run        runs every device of DIR through one update over CoAP with DTLS, each presenting its own key and
                       pinning --dtls-key (the same key on every node). Devices are dealt out over the nodes in turn,
                       in an order shuffled by --seed;
                       one whose node stops answering moves to the next. Devices check every --poll seconds (default
                       2) until a release is offered; the manifest must be signed by --trust. Progress every
                       --progress-every seconds (default 2); --progress-file is rewritten atomically with the line
                         updated=N rolledBack=N failed=N waiting=N total=N moves=N
                       Exit 0 when every device ended (updated, rolled back or failed with a reason), 1 when some
                       were still at it after --timeout seconds (default 1800), or on a setup error.
            """;

    private FleetTool() {
    }

    public static void main(String[] args) {
        // Californium logs every endpoint it starts: one per device over DTLS
        quietLogs();
        System.exit(run(args, System.out, System.err));
    }

    private static void quietLogs() {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        if (System.getProperty("org.slf4j.simpleLogger.log.org.eclipse.californium") == null) {
            System.setProperty("org.slf4j.simpleLogger.log.org.eclipse.californium", "error");
        }
    }

    /** Runs one command; its exit code. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || Set.of("help", "--help", "-h").contains(args[0])) {
            (args.length == 0 ? err : out).print(USAGE);
            return args.length == 0 ? 1 : 0;
        }
        try {
            Options options = Options.parse(Arrays.copyOfRange(args, 1, args.length));
            switch (args[0]) {
            case "provision":
                return provision(options, out);
            case "run":
                return runFleet(options, out);
            default:
                throw new UsageException("unknown command '" + args[0] + "': provision or run (--help)");
            }
        } catch (UsageException e) {
            err.println("updraft-fleet: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("updraft-fleet: interrupted");
            return 1;
        }
    }

    // ---- provision ----

    private static int provision(Options o, PrintStream out) throws UsageException {
        o.allow("devices", "vendor", "class", "regions", "id-prefix", "out");
        int count = o.integer("devices", 1, 1_000_000);
        String vendor = o.name("vendor");
        String deviceClass = o.name("class");
        String prefix = o.optional("id-prefix").orElse("fleet-");
        if (!ID_PREFIX.matcher(prefix).matches()) {
            throw new UsageException("option --id-prefix: letters, digits, '.', '_' and '-' only, not '" + prefix
                    + "'");
        }
        List<String> regions = o.optional("regions").isPresent() ? regions(o.required("regions")) : List.of();
        Path dir = Path.of(o.required("out"));
        Path devicesFile = dir.resolve(DEVICES_FILE);
        if (Files.exists(devicesFile)) {
            throw new UsageException(devicesFile + " exists: a provisioned fleet's keys are never overwritten");
        }
        SecureRandom random = new SecureRandom();
        List<byte[]> seeds = new ArrayList<>(count);
        List<FleetProvisioning.Member> members = FleetProvisioning.members(count, prefix, regions, () -> {
            byte[] seed = new byte[32];
            random.nextBytes(seed);
            seeds.add(seed);
            return SigningKey.ed25519(seed);
        });
        StringBuilder keys = new StringBuilder();
        keys.append("# updraft-fleet devices: each device line is its id, its region (- for none) and the seed of its"
                + " Ed25519 key in hex, its private key: keep this file secret\n");
        keys.append("vendor ").append(vendor).append('\n');
        keys.append("class ").append(deviceClass).append('\n');
        StringBuilder register = new StringBuilder();
        for (int i = 0; i < count; i++) {
            FleetProvisioning.Member m = members.get(i);
            keys.append("device ").append(m.id()).append(' ').append(m.region() == null ? "-" : m.region())
                    .append(' ').append(HexFormat.of().formatHex(seeds.get(i))).append('\n');
            register.append("updraft:device-add --key ").append(m.key().did()).append(" --vendor ").append(vendor)
                    .append(" --class ").append(deviceClass);
            if (m.region() != null) {
                register.append(" --region ").append(m.region());
            }
            register.append(' ').append(m.id()).append('\n');
        }
        seeds.forEach(seed -> Arrays.fill(seed, (byte) 0));
        try {
            Files.createDirectories(dir);
            writeNewSecret(devicesFile, keys.toString());
            writeAtomically(dir.resolve(REGISTER_FILE), register.toString());
        } catch (IOException e) {
            throw new UsageException("cannot write the fleet to " + dir + ": " + e);
        }
        out.printf(Locale.ROOT, "provisioned %d devices of %s/%s%s: %s (ids, regions and private keys; mode 600)"
                + " and %s (%d updraft:device-add lines)%n", count, vendor, deviceClass,
                regions.isEmpty() ? "" : " in " + String.join(", ", regions), devicesFile,
                dir.resolve(REGISTER_FILE), count);
        return 0;
    }

    private static List<String> regions(String list) throws UsageException {
        List<String> regions = new ArrayList<>();
        for (String r : list.split(",")) {
            String region = r.strip();
            if (!NAME.matcher(region).matches()) {
                throw new UsageException("option --regions: '" + region + "' is not a region name");
            }
            regions.add(region);
        }
        return regions;
    }

    /**
     * Writes a file readable by its owner only, whole or not at all, refusing an existing one: written beside it
     * first, then linked to its name (a link, unlike a move, never replaces).
     */
    private static void writeNewSecret(Path file, String text) throws IOException, UsageException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            try {
                Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                        "rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(temp);
            }
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            try {
                Files.createLink(file, temp);
            } catch (FileAlreadyExistsException e) {
                throw new UsageException(file + " exists: a provisioned fleet's keys are never overwritten");
            } catch (UnsupportedOperationException e) {
                Files.move(temp, file);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Replaces a file whole: written beside it, then moved over it. */
    static void writeAtomically(Path file, String text) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            try {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    // ---- run ----

    /** A provisioned fleet as read back from its devices file. */
    record Fleet(String vendor, String deviceClass, List<FleetProvisioning.Member> members) {
    }

    static Fleet readFleet(Path dir) throws UsageException {
        Path file = dir.resolve(DEVICES_FILE);
        if (!Files.isRegularFile(file)) {
            throw new UsageException("option --fleet: no " + file + " (make it with updraft-fleet provision)");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UsageException("cannot read " + file + ": " + e);
        }
        String vendor = null;
        String deviceClass = null;
        List<FleetProvisioning.Member> members = new ArrayList<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+");
            // the line number only: the line holds a private key
            String where = file + " line " + (n + 1);
            if (f[0].equals("vendor") && f.length == 2) {
                vendor = f[1];
            } else if (f[0].equals("class") && f.length == 2) {
                deviceClass = f[1];
            } else if (f[0].equals("device") && f.length == 4) {
                byte[] seed;
                try {
                    seed = HexFormat.of().parseHex(f[3]);
                } catch (IllegalArgumentException e) {
                    throw new UsageException(where + ": the key is not hex");
                }
                if (seed.length != 32) {
                    throw new UsageException(where + ": the key has " + seed.length + " bytes, not 32");
                }
                members.add(new FleetProvisioning.Member(f[1], SigningKey.ed25519(seed), f[2].equals("-") ? null
                        : f[2]));
                Arrays.fill(seed, (byte) 0);
            } else {
                throw new UsageException(where + ": neither 'vendor V', 'class C' nor 'device ID REGION KEY'");
            }
        }
        if (vendor == null || deviceClass == null) {
            throw new UsageException(file + " names no vendor or no class");
        }
        if (members.isEmpty()) {
            throw new UsageException(file + " has no device");
        }
        if (members.stream().map(FleetProvisioning.Member::id).distinct().count() != members.size()) {
            throw new UsageException(file + " names a device twice");
        }
        return new Fleet(vendor, deviceClass, members);
    }

    private static int runFleet(Options o, PrintStream out) throws UsageException, InterruptedException {
        o.allow("fleet", "node", "dtls-key", "log-key", "statement-key", "trust", "loss", "boot-failures", "timeout",
                "progress-file", "progress-every", "poll", "ack-timeout", "start-spread", "threads", "seed");
        Path dir = Path.of(o.required("fleet"));
        List<InetSocketAddress> nodes = new ArrayList<>();
        for (String node : o.all("node")) {
            nodes.add(node(node));
        }
        if (nodes.isEmpty()) {
            throw new UsageException("no --node HOST:PORT: give each platform node's DTLS address");
        }
        if (nodes.stream().distinct().count() != nodes.size()) {
            throw new UsageException("option --node: a node is given twice");
        }
        String dtlsKey = o.did("dtls-key");
        String logKey = o.did("log-key");
        String statementKey = o.did("statement-key");
        String manufacturer = manufacturerKey(o.required("trust"));
        double loss = o.share("loss", 0, false);
        double bootFailures = o.share("boot-failures", 0, true);
        long timeout = o.longValue("timeout", 1800, 1, 7 * 24 * 3600);
        long progressEvery = o.longValue("progress-every", 2, 1, 3600);
        long poll = o.longValue("poll", 2, 1, 3600);
        long ackTimeout = o.longValue("ack-timeout", 500, 10, 60_000);
        long startSpread = o.longValue("start-spread", 1, 0, 3600);
        int threads = (int) o.longValue("threads", 2, 1, 64);
        long seed = o.longValue("seed", 42, Long.MIN_VALUE, Long.MAX_VALUE);
        Path progressFile = o.optional("progress-file").map(Path::of).orElse(null);
        if (progressFile != null && progressFile.toAbsolutePath().getParent() != null
                && !Files.isDirectory(progressFile.toAbsolutePath().getParent())) {
            throw new UsageException("option --progress-file: no directory " + progressFile.toAbsolutePath()
                    .getParent());
        }
        Fleet fleet = readFleet(dir);
        if (KeyFiles.openToOthers(dir.resolve(DEVICES_FILE))) {
            out.println("warning: " + dir.resolve(DEVICES_FILE) + " holds private keys and is open to others:"
                    + " chmod 600 it");
        }

        TrustedKey trusted = new TrustedKey(manufacturer, fleet.vendor(), Set.of(), KeyStatus.ACTIVE, Instant.EPOCH,
                null, null, 0);
        TrustLookup trust = did -> did.equals(manufacturer) ? Optional.of(trusted) : Optional.empty();
        // the devices are dealt out to the nodes in turn: in a shuffled order, or the split would follow the order
        // provision dealt the regions in (with two regions and two nodes, every eu device on the first node)
        List<FleetProvisioning.Member> members = new ArrayList<>(fleet.members());
        Collections.shuffle(members, new Random(seed));
        List<SimulatedDevice> devices = FleetProvisioning.builder(fleet.vendor(), fleet.deviceClass(), logKey, trust)
                .statementKey(statementKey).installed(FACTORY_VERSION, FACTORY_SEQUENCE).seed(seed)
                .devices(members);
        FleetConfig config;
        try {
            config = FleetConfig.builder(nodes).dtls(dtlsKey).lossShare(loss).bootFailureShare(bootFailures)
                    .ackTimeout(Duration.ofMillis(ackTimeout)).pollInterval(Duration.ofSeconds(poll))
                    .startSpread(Duration.ofSeconds(startSpread)).threads(threads)
                    .progressInterval(Duration.ofSeconds(progressEvery)).deadline(Duration.ofSeconds(timeout))
                    .seed(seed).build();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        out.printf(Locale.ROOT, "%d devices of %s/%s over CoAP with DTLS to %s (server key %s), loss %s, boot"
                + " failures %s, timeout %d s%n", devices.size(), fleet.vendor(), fleet.deviceClass(),
                describe(nodes), dtlsKey, percent(loss), percent(bootFailures), timeout);
        out.flush();

        // opening a DTLS endpoint per device takes a while (about 30 ms each here): the file is there from the start
        writeProgress(progressFile, progressLine(0, 0, 0, devices.size(), devices.size(), 0), out);
        FleetSummary summary;
        Map<InetSocketAddress, Integer> endedOn;
        long moves;
        try (FleetSimulator simulator = new FleetSimulator(config, devices)) {
            CompletableFuture<FleetSummary> done;
            try {
                done = simulator.start();
            } catch (UncheckedIOException e) {
                throw new UsageException(e.getMessage());
            }
            tell(simulator, out, progressFile);
            // the simulator stops its devices at the deadline; this is only in case one never ends
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeout + 120);
            summary = null;
            while (summary == null) {
                try {
                    summary = done.get(progressEvery, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    tell(simulator, out, progressFile);
                    if (System.nanoTime() > giveUp) {
                        simulator.stop();
                        out.println("updraft-fleet: devices still running " + 120 + " s after the timeout; giving up");
                        return 1;
                    }
                } catch (ExecutionException e) {
                    out.println("updraft-fleet: the fleet run failed: " + e.getCause());
                    return 1;
                }
            }
            endedOn = simulator.devicesPerNode();
            moves = simulator.moves();
        }
        int timedOut = summary.problems().getOrDefault("stopped", 0);
        int refused = summary.unfinished() - timedOut;
        String last = progressLine(summary.updated(), summary.rolledBack(), summary.failed() + refused, timedOut,
                summary.devices(), moves);
        writeProgress(progressFile, last, out);
        out.println(last);
        out.printf(Locale.ROOT, "summary: %d devices in %.1f s: %d updated, %d rolled back, %d failed%s%n",
                summary.devices(), summary.elapsed().toMillis() / 1000.0, summary.updated(), summary.rolledBack(),
                summary.failed() + refused, timedOut == 0 ? "" : ", " + timedOut + " still at it at the timeout");
        if (!summary.reasons().isEmpty()) {
            out.println("  reasons: " + mostFrequent(summary.reasons(), REASONS_SHOWN));
        }
        if (!summary.problems().isEmpty()) {
            out.println("  not finished: " + mostFrequent(summary.problems(), REASONS_SHOWN));
        }
        StringBuilder perNode = new StringBuilder("  ended on:");
        endedOn.forEach((node, count) -> perNode.append(' ').append(hostPort(node)).append(' ').append(count)
                .append(','));
        perNode.setLength(perNode.length() - 1);
        out.println(perNode);
        out.printf(Locale.ROOT, "  moves: %d (devices that went on from another node when theirs stopped answering)%n",
                moves);
        out.printf(Locale.ROOT, "  %.2f MiB downloaded in %d block requests, %d block retries, %d CoAP"
                + " retransmissions, %d datagrams dropped, %d reports undelivered%n",
                summary.bytesDownloaded() / 1048576.0, summary.blockRequests(), summary.blockRetries(),
                summary.retransmissions(), summary.datagramsDropped(), summary.reportsUndelivered());
        return timedOut == 0 ? 0 : 1;
    }

    private static void tell(FleetSimulator simulator, PrintStream out, Path progressFile) {
        FleetProgress p = simulator.progress();
        int updated = p.count(DeviceState.INSTALLED);
        int rolledBack = p.count(DeviceState.ROLLED_BACK);
        // before the deadline, a device that ended without an outcome was refused by the platform: it failed
        int failed = p.count(DeviceState.FAILED) + simulator.endedWithoutOutcome();
        String line = progressLine(updated, rolledBack, failed, p.devices() - updated - rolledBack - failed,
                p.devices(), simulator.moves());
        StringBuilder nodes = new StringBuilder();
        simulator.devicesPerNode().forEach((node, count) -> nodes.append(nodes.length() == 0 ? "" : ", ")
                .append(hostPort(node)).append(' ').append(count));
        out.printf(Locale.ROOT, "%6.1fs %s | downloading %d | on %s%n", p.elapsed().toMillis() / 1000.0, line,
                p.count(DeviceState.DOWNLOADING) + p.count(DeviceState.DOWNLOADED) + p.count(DeviceState.VERIFIED),
                nodes);
        out.flush();
        writeProgress(progressFile, line, out);
    }

    /** The line the progress file holds; a script reads it, so its form is fixed. */
    static String progressLine(int updated, int rolledBack, int failed, int waiting, int total, long moves) {
        return "updated=" + updated + " rolledBack=" + rolledBack + " failed=" + failed + " waiting=" + waiting
                + " total=" + total + " moves=" + moves;
    }

    private static void writeProgress(Path file, String line, PrintStream out) {
        if (file == null) {
            return;
        }
        try {
            writeAtomically(file, line + "\n");
        } catch (IOException e) {
            // the run goes on: the progress file is for watching it
            out.println("warning: cannot write the progress file " + file + ": " + e);
        }
    }

    static InetSocketAddress node(String hostPort) throws UsageException {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new UsageException("option --node: '" + hostPort + "' is not HOST:PORT");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new UsageException("option --node: '" + hostPort + "' has no port from 1 to 65535");
        }
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new UsageException("option --node: cannot resolve the host of '" + hostPort + "'");
        }
        return address;
    }

    private static String manufacturerKey(String didOrFile) throws UsageException {
        if (didOrFile.startsWith("did:")) {
            try {
                return VerificationKey.fromDid(didOrFile).did();
            } catch (IllegalArgumentException e) {
                throw new UsageException("option --trust: " + e.getMessage());
            }
        }
        Path file = Path.of(didOrFile);
        if (!Files.isRegularFile(file)) {
            throw new UsageException("option --trust: no public key file " + file);
        }
        try {
            return KeyFiles.readPublicKey(file).did();
        } catch (KeyFileException e) {
            throw new UsageException("option --trust: " + e.getMessage());
        }
    }

    private static String describe(List<InetSocketAddress> nodes) {
        return nodes.size() == 1 ? hostPort(nodes.get(0))
                : nodes.size() + " nodes (" + String.join(", ", nodes.stream().map(FleetTool::hostPort).toList())
                        + ")";
    }

    private static String hostPort(InetSocketAddress a) {
        String host = a.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, "%.1f%%", share * 100);
    }

    /** A bad command line or setup: one line for the operator. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** {@code --name value} options, some repeated. */
    static final class Options {
        private final Map<String, List<String>> values = new LinkedHashMap<>();

        static Options parse(String[] args) throws UsageException {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (!arg.startsWith("--") || arg.length() == 2) {
                    throw new UsageException("unexpected '" + arg + "': options are --NAME VALUE");
                }
                if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                    throw new UsageException("option " + arg + " needs a value");
                }
                o.values.computeIfAbsent(arg.substring(2), k -> new ArrayList<>()).add(args[++i]);
            }
            return o;
        }

        void allow(String... names) throws UsageException {
            List<String> known = List.of(names);
            for (String name : values.keySet()) {
                if (!known.contains(name)) {
                    throw new UsageException("unknown option --" + name);
                }
                if (!name.equals("node") && values.get(name).size() > 1) {
                    throw new UsageException("option --" + name + " is given more than once");
                }
            }
        }

        List<String> all(String name) {
            return values.getOrDefault(name, List.of());
        }

        Optional<String> optional(String name) {
            List<String> v = all(name);
            return v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
        }

        String required(String name) throws UsageException {
            return optional(name).orElseThrow(() -> new UsageException("option --" + name + " is required"));
        }

        String name(String option) throws UsageException {
            String value = required(option);
            if (!NAME.matcher(value).matches()) {
                throw new UsageException("option --" + option + ": letters, digits, '.', '_' and '-' only, not '"
                        + value + "'");
            }
            return value;
        }

        String did(String option) throws UsageException {
            String value = required(option);
            try {
                return VerificationKey.fromDid(value).did();
            } catch (IllegalArgumentException e) {
                throw new UsageException("option --" + option + ": not an Ed25519 or P-256 did:key: '" + value + "'");
            }
        }

        int integer(String option, int min, int max) throws UsageException {
            return (int) number(option, required(option), min, max);
        }

        long longValue(String option, long fallback, long min, long max) throws UsageException {
            Optional<String> value = optional(option);
            return value.isEmpty() ? fallback : number(option, value.get(), min, max);
        }

        private static long number(String option, String value, long min, long max) throws UsageException {
            try {
                long n = Long.parseLong(value);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // told below
            }
            throw new UsageException("option --" + option + ": a whole number from " + min + " to " + max + ", not '"
                    + value + "'");
        }

        double share(String option, double fallback, boolean oneAllowed) throws UsageException {
            Optional<String> value = optional(option);
            if (value.isEmpty()) {
                return fallback;
            }
            try {
                double share = Double.parseDouble(value.get());
                if (share >= 0 && (oneAllowed ? share <= 1 : share < 1)) {
                    return share;
                }
            } catch (NumberFormatException e) {
                // told below
            }
            throw new UsageException("option --" + option + ": a share from 0 to " + (oneAllowed ? "1" : "below 1")
                    + " (0.05 is 5%), not '" + value.get() + "'");
        }
    }

    /** The {@code shown} most frequent of {@code counts} with their counts, then how many other kinds there were. */
    static String mostFrequent(Map<String, Integer> counts, int shown) {
        List<Map.Entry<String, Integer>> byCount = new ArrayList<>(counts.entrySet());
        byCount.sort(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        StringBuilder line = new StringBuilder("{");
        for (Map.Entry<String, Integer> e : byCount.subList(0, Math.min(shown, byCount.size()))) {
            line.append(line.length() > 1 ? ", " : "").append(e.getKey()).append('=').append(e.getValue());
        }
        line.append('}');
        if (byCount.size() > shown) {
            int others = byCount.subList(shown, byCount.size()).stream().mapToInt(Map.Entry::getValue).sum();
            line.append(" and ").append(byCount.size() - shown).append(" other reasons (").append(others)
                    .append(" devices)");
        }
        return line.toString();
    }
}
