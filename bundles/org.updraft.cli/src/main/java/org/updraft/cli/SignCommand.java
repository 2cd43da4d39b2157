package org.updraft.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

import org.updraft.api.store.CidOptions;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.MeasuredImage;
import org.updraft.core.manifest.SemanticVersion;

/** {@code updraft sign}: measures a firmware image and writes its signed manifest. */
final class SignCommand implements Command {

    private static final Arguments.Spec SPEC = new Arguments.Spec("sign")
            .value("key").value("firmware").value("vendor").value("class").value("version").value("sequence")
            .value("out").value("profile").value("min-version").value("passphrase-file").value("cid-version")
            .flag("force").positional("no arguments", 0, 0);

    @Override
    public String name() {
        return "sign";
    }

    @Override
    public String summary() {
        return "sign a firmware image: write its manifest";
    }

    @Override
    public String usage() {
        return """
                usage: updraft sign --key KEYFILE --firmware FILE --vendor V --class C --version X.Y.Z
                                    --sequence N --out MANIFEST [--profile P] [--min-version X.Y.Z]
                                    [--passphrase-file FILE] [--cid-version 0|1] [--force]

                Reads the firmware once (size, SHA-256, IPFS CID), then writes MANIFEST: a COSE_Sign1
                manifest signed with KEYFILE, naming the key's did:key as signer and now as creation time.
                  --key KEYFILE           private key from 'updraft keygen'
                  --firmware FILE         the image devices will install
                  --vendor V              vendor id, e.g. acme
                  --class C               device class id, e.g. thermo-v2
                  --version X.Y.Z         the image's semantic version
                  --sequence N            anti-rollback sequence number; devices take only a higher one
                  --out MANIFEST          where to write the manifest (whole or not at all)
                  --profile P             device profile (MCU family) the image is built for; default any
                  --min-version X.Y.Z     lowest version a device must run to take this image
                  --passphrase-file FILE  passphrase of an encrypted KEYFILE (its first line)
                  --cid-version 0|1       0 (default): as 'ipfs add'; 1: as 'ipfs add --cid-version 1'
                                          (raw leaves); both with 256 KiB chunks
                  --force                 replace MANIFEST if it exists
                """;
    }

    @Override
    public Arguments.Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Arguments args, PrintStream out, PrintStream err) throws Exception {
        // every cheap check first: a typo must not cost a pass over a large image or a passphrase prompt
        Path keyFile = args.requiredPath("key");
        Path firmware = args.requiredPath("firmware");
        String vendor = id(args, "vendor", "vendor id", true);
        String deviceClass = id(args, "class", "device class id", true);
        String profile = id(args, "profile", "device profile", false);
        String version = version(args, "version", true);
        String minVersion = version(args, "min-version", false);
        long sequence = args.requiredNonNegative("sequence");
        Path manifestFile = args.requiredPath("out");
        boolean force = args.flag("force");
        CidOptions cidOptions = cidOptions(args);
        Path passphraseFile = args.optionalPath("passphrase-file");
        InputFile.checkReadable("firmware file", firmware);
        OutputFile.checkWritable(manifestFile, force, "manifest");

        SigningKey key = Keys.signingKey(keyFile, passphraseFile);
        MeasuredImage image = MeasuredImage.of(firmware, List.of(cidOptions));
        Manifest manifest = new Manifest(vendor, deviceClass, profile, version, sequence, image.size(),
                image.sha256(), image.cid(cidOptions), minVersion, Instant.now(), key.did());
        byte[] signed = ManifestCodec.sign(manifest, key);
        OutputFile.write(manifestFile, signed, force);

        out.println("signed " + manifest.releaseId() + " -> " + manifestFile);
        out.println("  version  " + manifest.version()
                + (minVersion != null ? " (requires " + minVersion + " or later installed)" : ""));
        out.println("  size     " + manifest.size() + " bytes");
        out.println("  sha256   " + HexFormat.of().formatHex(manifest.sha256()));
        out.println("  cid      " + manifest.cid());
        out.println("  signer   " + manifest.signer());
        return UpdraftCli.EXIT_OK;
    }

    static String id(Arguments args, String option, String what, boolean required) throws UsageException {
        String value = required ? args.required(option) : args.optional(option);
        if (value != null) {
            try {
                Manifest.checkId(what, value);
            } catch (IllegalArgumentException e) {
                throw new UsageException("option --" + option + ": " + e.getMessage());
            }
        }
        return value;
    }

    static String version(Arguments args, String option, boolean required) throws UsageException {
        String value = required ? args.required(option) : args.optional(option);
        if (value != null) {
            try {
                SemanticVersion.parse(value);
            } catch (IllegalArgumentException e) {
                throw new UsageException("option --" + option + ": " + e.getMessage());
            }
        }
        return value;
    }

    private static CidOptions cidOptions(Arguments args) throws UsageException {
        String v = args.optional("cid-version", "0");
        switch (v) {
            case "0":
                return CidOptions.DEFAULT;
            case "1":
                return CidOptions.V1;
            default:
                throw new UsageException("option --cid-version is 0 or 1, not '" + v + "'");
        }
    }
}
