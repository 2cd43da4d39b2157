package org.updraft.cli;

import java.io.PrintStream;
import java.nio.file.Path;

import org.updraft.core.mcuboot.ImageException;
import org.updraft.core.mcuboot.ImageKey;
import org.updraft.core.mcuboot.ImageVerifier;
import org.updraft.core.mcuboot.SlotLayout;
import org.updraft.core.mcuboot.VerifiedImage;

/**
 * {@code updraft mcuboot-verify}: {@code imgtool verify}, with the reasons spelled out. Whatever is wrong with
 * the image (not an MCUboot image, truncated, altered, not signed by the key, too large for the slot) is a
 * rejection, exit 1, as with imgtool; a bad key file or a missing image is bad input, exit 2.
 */
final class McubootVerifyCommand implements Command {

    private static final Arguments.Spec SPEC = new Arguments.Spec("mcuboot-verify")
            .value("key").value("slot-size").value("align").value("max-sectors").value("max-align")
            .flag("overwrite-only").positional("IMAGE", 1, 1);

    @Override
    public String name() {
        return "mcuboot-verify";
    }

    @Override
    public String summary() {
        return "check an MCUboot image's hash and signature, as imgtool verify does (exit 1 when rejected)";
    }

    @Override
    public String usage() {
        return """
                usage: updraft mcuboot-verify [--key KEY] [--slot-size N [--align N] [--max-sectors N]
                                              [--max-align N] [--overwrite-only]] IMAGE

                Checks, in order: the header and both TLV areas are well formed and within the file; the
                hash TLV matches header, payload and protected TLVs; with --key, a signature TLV of that key
                verifies; with --slot-size, image and trailer fit the slot (the trailer as mcuboot-sign sizes
                it from the same options). IMAGE may be padded to the slot.
                  --key KEY       the image key: Ed25519 or ECDSA P-256, PEM, private or public (as imgtool
                                  reads it); without it only the hash is checked, as with imgtool
                  --slot-size N   the slot the image must fit (decimal or 0x-prefixed)

                Prints "valid: ..." and exits 0, or prints "updraft: rejected (CODE): REASON" on standard
                error and exits 1: invalid-hash is imgtool's "Image has an invalid hash", no-signature its
                "No signature found for the given key". Bad usage or input exits 2.
                """;
    }

    @Override
    public Arguments.Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Arguments args, PrintStream out, PrintStream err) throws Exception {
        Path image = Arguments.path("IMAGE", args.positional().get(0));
        Path keyFile = args.optionalPath("key");
        SlotLayout slot = null;
        if (args.has("slot-size")) {
            slot = McubootArguments.slot(args, McubootArguments.integer(args, "slot-size", 0, 0xffff_ffffL));
        } else if (args.has("align") || args.has("max-sectors") || args.has("max-align") || args.has("overwrite-only")) {
            throw new UsageException("--align, --max-sectors, --max-align and --overwrite-only describe the slot: "
                    + "give --slot-size too");
        }
        InputFile.checkReadable("image", image);
        ImageKey key = keyFile == null ? null : ImageKey.read(keyFile);

        VerifiedImage verified;
        try {
            verified = new ImageVerifier().verify(image, key);
            if (slot != null) {
                slot.check(verified.image());
            }
        } catch (ImageException e) {
            err.println("updraft: rejected (" + e.problem().code() + "): " + UpdraftCli.oneLine(e.getMessage()));
            return UpdraftCli.EXIT_REJECTED;
        }
        out.println("valid: MCUboot image " + verified.version() + String.format(", 0x%x bytes",
                verified.image().size()) + (slot != null ? String.format(", fits slot 0x%x", slot.slotSize()) : ""));
        out.println("  digest   " + verified.digestHex() + " (" + verified.hash() + ")");
        out.println("  security counter " + (verified.securityCounter().isPresent()
                ? String.valueOf(verified.securityCounter().getAsLong()) : "none"));
        out.println("  key      " + verified.signer().map(k -> "signature verifies: " + k + (verified.pure()
                ? " (pure)" : "") + ", " + k.verificationKey().did())
                .orElse("not checked: no --key given, the hash only"));
        return UpdraftCli.EXIT_OK;
    }
}
