package org.updraft.cli;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

import org.updraft.core.mcuboot.ImageHash;
import org.updraft.core.mcuboot.ImageSigner;
import org.updraft.core.mcuboot.ImageSigningKey;
import org.updraft.core.mcuboot.ImageSource;
import org.updraft.core.mcuboot.ImageVersion;
import org.updraft.core.mcuboot.SignOptions;
import org.updraft.core.mcuboot.SignedImage;
import org.updraft.core.mcuboot.SlotLayout;

/**
 * {@code updraft mcuboot-sign}: {@code imgtool sign} for Ed25519 and ECDSA P-256 keys, with imgtool's option
 * names; for the same key, input and options the image is imgtool's, byte for byte (ECDSA signatures aside,
 * which imgtool makes at random). The image is streamed to a temporary file that takes OUTFILE's name only once
 * it is complete.
 */
final class McubootSignCommand implements Command {

    private static final Arguments.Spec SPEC = new Arguments.Spec("mcuboot-sign")
            .value("key").value("header-size").value("version").value("slot-size").value("align")
            .value("security-counter").value("max-sectors").value("max-align").value("load-addr").value("rom-fixed")
            .value("erased-val").value("public-key-format").value("sha")
            .flag("pad-header").flag("pad").flag("confirm").flag("test").flag("overwrite-only").flag("non-bootable")
            .flag("pure").flag("force").positional("INFILE and OUTFILE", 2, 2);

    @Override
    public String name() {
        return "mcuboot-sign";
    }

    @Override
    public String summary() {
        return "sign a firmware binary into an MCUboot image, as imgtool sign does";
    }

    @Override
    public String usage() {
        return """
                usage: updraft mcuboot-sign [--key KEY] --header-size N --version V --slot-size N [options]
                                            INFILE OUTFILE

                Makes the MCUboot image imgtool sign makes, with the same option names (long forms only):
                header, payload, protected TLVs (security counter), then the hash, key hash and signature
                TLVs. Integers are decimal or 0x/0o/0b prefixed. INFILE and OUTFILE are binaries.
                  --key KEY                  Ed25519 or ECDSA P-256 private key, PEM (PKCS#8 as imgtool keygen
                                             writes it, or SEC1); without it the image is hashed, not signed
                  --header-size N            bytes before the payload (at least 0x20)
                  --pad-header               add the header in front of INFILE; otherwise INFILE must start
                                             with N zero bytes, which the header replaces
                  --version V                major.minor.revision+build, later parts optional
                  --security-counter N|auto  a protected security counter (auto: from the version)
                  --slot-size N              the slot: image and trailer must fit it
                  --align 1|2|4|8|16|32      flash write size (default 1), sizes the trailer
                  --max-sectors N            sectors the trailer's swap status covers (default 128)
                  --max-align 8|16|32        the larger write size of the two slots (default max(8, align))
                  --overwrite-only           the bootloader overwrites rather than swaps (smaller trailer)
                  --pad                      pad to the slot size, ending with the trailer's boot magic
                  --confirm, --test          pad and mark the image confirmed, or leave it for a test swap
                  --load-addr A              a RAM-load image, copied to A before it runs
                  --rom-fixed A              the address the image must run from
                  --erased-val 0|0xff        the value of erased flash, for padding (default 0xff)
                  --non-bootable             mark the image non-bootable
                  --public-key-format hash|full
                                             name the key by its SHA hash (default) or carry it whole
                  --sha auto|256|384|512     the image hash (Ed25519: 256 or 512; P-256: 256)
                  --pure                     Ed25519 over the image itself rather than its hash (SHA-512)
                  --force                    replace OUTFILE if it exists

                Not supported: encryption, compression, dependencies, boot records, custom TLVs, big-endian,
                Intel HEX, RSA and P-384 keys, --fix-sig and --vector-to-sign.
                Prints the image's version, size and digest. Bad usage or input exits 2.
                """;
    }

    @Override
    public Arguments.Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Arguments args, PrintStream out, PrintStream err) throws Exception {
        Path infile = McubootArguments.binary("INFILE", args.positional().get(0));
        Path outfile = McubootArguments.binary("OUTFILE", args.positional().get(1));
        boolean force = args.flag("force");
        SignOptions options = options(args);
        Path keyFile = args.optionalPath("key");
        InputFile.checkReadable("firmware file", infile);
        OutputFile.checkWritable(outfile, force, "image");

        ImageSigningKey key = keyFile == null ? null : ImageSigningKey.read(keyFile);
        ImageSigner signer;
        try {
            signer = new ImageSigner(options, key);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        SignedImage signed = write(outfile, force, infile, signer);

        out.println("signed " + infile + " -> " + outfile);
        out.println("  version  " + signed.header().version());
        out.println(String.format("  image    0x%x bytes (header 0x%x, payload 0x%x)%s", signed.imageSize(),
                signed.header().headerSize(), signed.header().imageSize(),
                signed.written() != signed.imageSize() ? String.format(", padded to 0x%x", signed.written()) : ""));
        out.println("  digest   " + signed.digestHex() + " (" + signed.hash() + ")");
        if (options.securityCounter().isPresent()) {
            out.println("  security counter " + options.securityCounter().getAsLong());
        }
        out.println("  key      " + (signed.key() == null ? "none: hash only, not signed" : signed.key()));
        return UpdraftCli.EXIT_OK;
    }

    private static SignOptions options(Arguments args) throws UsageException {
        args.required("header-size");
        long headerSize = McubootArguments.integer(args, "header-size", -1, 0xffff);
        if (headerSize < 0x20) {
            throw new UsageException("option --header-size is at least 0x20 (the header's own fields), not "
                    + args.optional("header-size"));
        }
        ImageVersion version;
        try {
            version = ImageVersion.parse(args.required("version"));
        } catch (IllegalArgumentException e) {
            throw new UsageException("option --version: " + e.getMessage());
        }
        args.required("slot-size");
        long slotSize = McubootArguments.integer(args, "slot-size", 0, 0xffff_ffffL);
        SlotLayout slot = McubootArguments.slot(args, slotSize);
        try {
            SignOptions.Builder b = SignOptions.builder((int) headerSize, version, slotSize).align(slot.align())
                    .maxSectors(slot.maxSectors()).overwriteOnly(slot.overwriteOnly())
                    .padHeader(args.flag("pad-header")).pad(args.flag("pad")).confirm(args.flag("confirm"))
                    .test(args.flag("test")).nonBootable(args.flag("non-bootable")).pure(args.flag("pure"))
                    .loadAddress(McubootArguments.integer(args, "load-addr", 0, 0xffff_ffffL))
                    .romFixed(McubootArguments.integer(args, "rom-fixed", 0, 0xffff_ffffL));
            if (args.has("max-align")) {
                b.maxAlign(slot.maxAlign());
            }
            String counter = args.optional("security-counter");
            if ("auto".equalsIgnoreCase(counter)) {
                b.securityCounterFromVersion();
            } else if (counter != null) {
                b.securityCounter(McubootArguments.integer(args, "security-counter", 0, 0xffff_ffffL));
            }
            String erased = args.optional("erased-val", "0xff");
            if (!erased.equals("0") && !erased.equals("0xff")) {
                throw new UsageException("option --erased-val is 0 or 0xff, not '" + erased + "'");
            }
            b.erasedValue(erased.equals("0") ? 0 : 0xff);
            String format = args.optional("public-key-format", "hash");
            if (!format.equals("hash") && !format.equals("full")) {
                throw new UsageException("option --public-key-format is hash or full, not '" + format + "'");
            }
            b.keyFormat(format.equals("hash") ? SignOptions.KeyFormat.HASH : SignOptions.KeyFormat.FULL);
            String sha = args.optional("sha", "auto");
            switch (sha) {
                case "auto" -> b.hash(null);
                case "256" -> b.hash(ImageHash.SHA256);
                case "384" -> b.hash(ImageHash.SHA384);
                case "512" -> b.hash(ImageHash.SHA512);
                default -> throw new UsageException("option --sha is auto, 256, 384 or 512, not '" + sha + "'");
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /**
     * Streams the image to a temporary file beside OUTFILE, which then takes its name in one step: a reader
     * never sees half an image, and a refusal or failure leaves nothing behind.
     */
    private static SignedImage write(Path outfile, boolean replace, Path infile, ImageSigner signer)
            throws Exception {
        Path tmp = Files.createTempFile(outfile.toAbsolutePath().getParent(), "." + outfile.getFileName(), ".tmp");
        try {
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: its default permissions apply
            }
            SignedImage signed;
            try (FileChannel in = FileChannel.open(infile, StandardOpenOption.READ);
                    OutputStream o = new BufferedOutputStream(Files.newOutputStream(tmp), 64 * 1024)) {
                signed = signer.sign(ImageSource.of(in), o);
            }
            if (replace) {
                try {
                    Files.move(tmp, outfile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, outfile, StandardCopyOption.REPLACE_EXISTING);
                }
            } else {
                try {
                    // a hard link appears atomically and, unlike rename, fails when the name is taken
                    Files.createLink(outfile, tmp);
                } catch (FileAlreadyExistsException e) {
                    throw new UsageException(outfile + " already exists; refusing to overwrite it (use --force to "
                            + "replace it)");
                } catch (UnsupportedOperationException | FileSystemException e) {
                    Files.move(tmp, outfile);
                }
            }
            return signed;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
