package org.updraft.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.updraft.core.io.AtomicFile;
import org.updraft.transport.lorawan.internal.fuota.DataBlockMic;
import org.updraft.transport.lorawan.internal.multicast.DeviceKeyFile;
import org.updraft.transport.lorawan.internal.multicast.McKeys;

/**
 * {@code updraft lorawan-keys}: derives, on the operator's machine, the per-device keys the LoRaWAN transport needs
 * from the devices' root keys, so that the platform is never given a root key: TS005's McRootKey
 * ({@code multicast.keys.file}) and TS004 v2.0.0's DataBlockIntKey ({@code ts004.keys.file}). The input file follows
 * the transport's rule for key files (readable by its owner only, every line well-formed, or nothing is written).
 */
final class LorawanKeysCommand implements Command {

    private static final Arguments.Spec SPEC = new Arguments.Spec("lorawan-keys")
            .value("lorawan").value("mc-root-keys").value("data-block-int-keys").flag("force")
            .positional("a FILE", 1, 1);

    @Override
    public String name() {
        return "lorawan-keys";
    }

    @Override
    public String summary() {
        return "derive LoRaWAN McRootKeys and DataBlockIntKeys from devices' root keys, offline";
    }

    @Override
    public String usage() {
        return """
                usage: updraft lorawan-keys --lorawan 1.0|1.1 [--mc-root-keys OUT] [--data-block-int-keys OUT]
                                            [--force] FILE

                Reads FILE, lines 'DevEUI RootKey' (16 and 32 hex digits; '#' starts a comment): each device's
                root key, its GenAppKey (LoRaWAN 1.0.x) or AppKey (1.1). FILE must be readable by its owner only
                (chmod 600). Writes, readable by their owner only, the files the LoRaWAN transport reads instead:
                  --mc-root-keys OUT         lines 'DevEUI McRootKey' for multicast.keys.file (TS005):
                                             aes128_encrypt(GenAppKey, 0x00 | pad16), or (AppKey, 0x20 | pad16)
                  --data-block-int-keys OUT  lines 'DevEUI DataBlockIntKey' for ts004.keys.file (TS004 v2.0.0):
                                             aes128_encrypt(root key, 0x30 | pad16)
                  --lorawan 1.0|1.1          the LoRaWAN version of every device of FILE (it decides McRootKey's
                                             derivation; a mixed fleet takes one FILE per version)
                  --force                    replace existing output files
                At least one output is required. A bad line (named by its number, never its key) writes nothing;
                no key is printed.
                """;
    }

    @Override
    public Arguments.Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Arguments args, PrintStream out, PrintStream err) throws Exception {
        String version = args.optional("lorawan");
        UnaryOperator<byte[]> mcRootKey = switch (version == null ? "" : version) {
            case "1.0" -> McKeys::rootKeyFromGenAppKey;
            case "1.1" -> McKeys::rootKeyFromAppKey;
            default -> throw new UsageException("option --lorawan is 1.0 (root keys are GenAppKeys) or 1.1 (AppKeys)"
                    + (version == null ? "; it is required" : ", not '" + version + "'"));
        };
        Path mcOut = args.optionalPath("mc-root-keys");
        Path intOut = args.optionalPath("data-block-int-keys");
        if (mcOut == null && intOut == null) {
            throw new UsageException("nothing to write: give --mc-root-keys OUT, --data-block-int-keys OUT or both");
        }
        if (mcOut != null && intOut != null && mcOut.toAbsolutePath().normalize()
                .equals(intOut.toAbsolutePath().normalize())) {
            throw new UsageException("--mc-root-keys and --data-block-int-keys name the same file " + mcOut);
        }
        boolean force = args.flag("force");
        Path file = Arguments.path("FILE", args.positional().get(0));
        InputFile.checkReadable("file", file);
        // both outputs are checked before anything is read or written: a refusal leaves no half pair behind
        for (Path p : new Path[] {mcOut, intOut}) {
            if (p != null) {
                OutputFile.checkWritable(p, force, "keys");
            }
        }
        Map<String, byte[]> roots;
        try {
            roots = DeviceKeyFile.read(file, DeviceKeyFile.Kind.ROOT_KEY);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (roots.isEmpty()) {
            throw new UsageException("file " + file + " lists no device");
        }
        String source = version.equals("1.0") ? "GenAppKey, LoRaWAN 1.0.x" : "AppKey, LoRaWAN 1.1";
        byte[] mcText = mcOut == null ? null : keyFile("McRootKey", source, roots, mcRootKey);
        byte[] intText = intOut == null ? null : keyFile("DataBlockIntKey", source, roots,
                DataBlockMic::dataBlockIntKey);
        roots.values().forEach(k -> Arrays.fill(k, (byte) 0));
        // what --force replaces, kept until both files are written: a failed second write puts the first back
        byte[] mcBefore = mcOut != null && force && Files.isRegularFile(mcOut) ? Files.readAllBytes(mcOut) : null;
        boolean mcWritten = false;
        try {
            if (mcOut != null) {
                write(mcOut, mcText, force);
                mcWritten = true;
            }
            if (intOut != null) {
                write(intOut, intText, force);
            }
        } catch (IOException | UsageException e) {
            // one new file of the pair is a trap: an operator would configure half of what was asked
            if (mcWritten) {
                if (mcBefore == null) {
                    Files.deleteIfExists(mcOut);
                } else {
                    AtomicFile.replace(mcOut, mcBefore, "rw-------");
                }
            }
            throw e;
        } finally {
            Arrays.fill(mcBefore == null ? new byte[0] : mcBefore, (byte) 0);
            Arrays.fill(mcText == null ? new byte[0] : mcText, (byte) 0);
            Arrays.fill(intText == null ? new byte[0] : intText, (byte) 0);
        }
        out.println(roots.size() + " device(s): " + (mcOut == null ? "" : "McRootKeys in " + mcOut)
                + (mcOut != null && intOut != null ? ", " : "")
                + (intOut == null ? "" : "DataBlockIntKeys in " + intOut));
        return UpdraftCli.EXIT_OK;
    }

    private static byte[] keyFile(String keyName, String source, Map<String, byte[]> roots,
            UnaryOperator<byte[]> derive) {
        StringBuilder text = new StringBuilder("# DevEUI " + keyName + " (updraft lorawan-keys, from each device's "
                + source + ")\n");
        HexFormat hex = HexFormat.of();
        roots.forEach((devEui, root) -> text.append(devEui).append(' ').append(hex.formatHex(derive.apply(root)))
                .append('\n'));
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    // keys: readable by their owner only, as the transport demands
    private static void write(Path file, byte[] bytes, boolean replace) throws IOException, UsageException {
        try {
            if (replace) {
                AtomicFile.replace(file, bytes, "rw-------");
            } else {
                AtomicFile.create(file, bytes, "rw-------");
            }
        } catch (FileAlreadyExistsException e) {
            throw new UsageException(file + " already exists; refusing to overwrite it (use --force to replace it)");
        }
    }
}
