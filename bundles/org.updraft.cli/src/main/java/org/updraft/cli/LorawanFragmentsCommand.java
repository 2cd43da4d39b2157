package org.updraft.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

import org.updraft.transport.lorawan.internal.fec.FragmentEncoder;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation;
import org.updraft.transport.lorawan.internal.fuota.Ts004Version;

/**
 * {@code updraft lorawan-fragments}: a file as the fragments a TS004 session sends, in hex, one per line, for
 * inspection and for checking a device's decoder: the uncoded fragments, then the coded ones, by counter.
 */
final class LorawanFragmentsCommand implements Command {

    private static final Arguments.Spec SPEC = new Arguments.Spec("lorawan-fragments")
            .value("fragment-size").value("redundancy").value("ts004").positional("a FILE", 1, 1);

    @Override
    public String name() {
        return "lorawan-fragments";
    }

    @Override
    public String summary() {
        return "print a file's LoRaWAN TS004 fragments and FEC redundancy, in hex";
    }

    @Override
    public String usage() {
        return """
                usage: updraft lorawan-fragments --fragment-size N --redundancy R [--ts004 1|2] FILE

                Cuts FILE into M fragments of N bytes (the last padded with zeros) and adds R coded fragments,
                as a LoRaWAN fragmented data block transport session (TS004) sends them. Prints one fragment
                per line in hex, in counter order: lines 1 to M are FILE's fragments, lines M+1 to M+R the
                coded ones (each the XOR of the fragments its parity row names).
                  --fragment-size N   bytes per fragment, 1 to 255 (TS004's FragSize; a DataFragment adds 3
                                      bytes to the frame: EU868 carries at most 48 at DR0-2, 112 at DR3, 219
                                      at DR4-7)
                  --redundancy R      coded fragments after the M uncoded ones, 0 to 16383 - M
                  --ts004 1|2         the parity rows of TS004 v1.0.0 (default) or v2.0.0
                """;
    }

    @Override
    public Arguments.Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Arguments args, PrintStream out, PrintStream err) throws Exception {
        long fragSize = args.requiredNonNegative("fragment-size");
        if (fragSize < 1 || fragSize > 255) {
            throw new UsageException("option --fragment-size must be 1 to 255 bytes (TS004's FragSize), not "
                    + fragSize);
        }
        long redundancy = args.requiredNonNegative("redundancy");
        Ts004Version version = switch (args.optional("ts004", "1")) {
            case "1" -> Ts004Version.V1_0_0;
            case "2" -> Ts004Version.V2_0_0;
            default -> throw new UsageException("option --ts004 is 1 (v1.0.0) or 2 (v2.0.0), not '"
                    + args.optional("ts004") + "'");
        };
        Path file = Arguments.path("FILE", args.positional().get(0));
        InputFile.checkReadable("file", file);
        long size = Files.size(file);
        if (size == 0) {
            throw new UsageException("file " + file + " is empty: nothing to fragment");
        }
        long nbFrag = (size + fragSize - 1) / fragSize;
        // checked before reading, so a large file is refused without loading it
        if (nbFrag > Fragmentation.MAX_FRAGMENTS) {
            throw new UsageException("file " + file + " (" + size + " bytes) needs " + nbFrag + " fragments of "
                    + fragSize + " bytes, more than TS004's " + Fragmentation.MAX_FRAGMENTS
                    + "; use larger fragments");
        }
        if (nbFrag + redundancy > Fragmentation.MAX_FRAGMENTS) {
            throw new UsageException("option --redundancy: " + nbFrag + " fragments and " + redundancy
                    + " coded ones need counters beyond TS004's " + Fragmentation.MAX_FRAGMENTS + "; at most "
                    + (Fragmentation.MAX_FRAGMENTS - nbFrag) + " coded fragments");
        }
        FragmentEncoder encoder = new FragmentEncoder(Files.readAllBytes(file), (int) fragSize, version);
        HexFormat hex = HexFormat.of();
        for (int counter = 1; counter <= nbFrag + redundancy; counter++) {
            out.println(hex.formatHex(encoder.fragment(counter)));
        }
        return UpdraftCli.EXIT_OK;
    }
}
