package org.updraft.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.manifest.Expectations;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestVerifier;
import org.updraft.core.manifest.MeasuredImage;
import org.updraft.core.manifest.SignedManifest;
import org.updraft.core.manifest.VerificationException;
import org.updraft.core.manifest.VerifiedManifest;

/**
 * {@code updraft verify}: the checks a device makes before installing, offline, with the trusted keys given
 * on the command line. The manifest and image checks are {@link ManifestVerifier}'s; this command adds only
 * that the image's CID is the one the manifest names.
 */
final class VerifyCommand implements Command {

    /** {@code ipfs add --cid-version 1 --raw-leaves=false}: the other way a CIDv1 of a file is commonly made. */

    private static final Arguments.Spec SPEC = new Arguments.Spec("verify")
            .value("manifest").value("firmware").repeated("trust").repeated("revoked").value("vendor")
            .value("class").value("profile").value("installed-sequence").value("installed-version")
            .positional("no arguments", 0, 0);

    @Override
    public String name() {
        return "verify";
    }

    @Override
    public String summary() {
        return "check a manifest and its image as a device would (exit 1 when rejected)";
    }

    @Override
    public String usage() {
        return """
                usage: updraft verify --manifest MANIFEST --firmware FILE --trust KEYFILE.pub|DID [--trust ...]
                                      [--revoked KEYFILE.pub|DID ...] [--vendor V] [--class C] [--profile P]
                                      [--installed-sequence N] [--installed-version X.Y.Z]

                Checks, in order: the manifest is well formed; its signature verifies under the signer it
                names; the signer is trusted and not revoked; the target (class, profile, sequence, installed
                version) when given; the firmware's size and SHA-256; and its IPFS CID.
                  --manifest MANIFEST          the signed manifest
                  --firmware FILE              the image it describes
                  --trust KEYFILE.pub|DID      a trusted manufacturer key (repeatable), trusted for the
                                               manifest's vendor (or --vendor) and every device class
                  --revoked KEYFILE.pub|DID    a revoked key (repeatable): what it signed is rejected
                  --vendor V                   the vendor the trusted keys belong to
                  --class C                    the device's class
                  --profile P                  the device's profile
                  --installed-sequence N       the sequence number the device runs: only a higher one passes
                  --installed-version X.Y.Z    the version the device runs, checked against the manifest's
                                               minimum

                Prints "valid: RELEASE ..." and exits 0, or prints "updraft: rejected (CODE): REASON" on
                standard error and exits 1. Bad usage or input exits 2.
                """;
    }

    @Override
    public Arguments.Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Arguments args, PrintStream out, PrintStream err) throws Exception {
        Path manifestFile = args.requiredPath("manifest");
        Path firmware = args.requiredPath("firmware");
        if (args.all("trust").isEmpty()) {
            throw new UsageException("'updraft verify' needs at least one --trust key (a did:key or a public key "
                    + "file) (see 'updraft verify --help')");
        }
        String vendor = SignCommand.id(args, "vendor", "vendor id", false);
        String deviceClass = SignCommand.id(args, "class", "device class id", false);
        String profile = SignCommand.id(args, "profile", "device profile", false);
        long installedSequence = args.nonNegative("installed-sequence", -1);
        String installedVersion = SignCommand.version(args, "installed-version", false);
        InputFile.checkReadable("firmware file", firmware);
        SignedManifest signed = ManifestFile.read(manifestFile);
        Map<String, TrustedKey> trust = trust(args, vendor != null ? vendor : signed.manifest().vendor());

        ManifestVerifier verifier = new ManifestVerifier(did -> Optional.ofNullable(trust.get(did)));
        Expectations expect = Expectations.none().deviceClass(deviceClass).profile(profile)
                .installedSequence(installedSequence).installedVersion(installedVersion);
        Manifest m = signed.manifest();
        try {
            VerifiedManifest verified = verifier.verify(signed, expect);
            verified.checkImage(MeasuredImage.forManifest(firmware, m));
        } catch (VerificationException e) {
            err.println("updraft: rejected (" + e.failure().code() + "): " + UpdraftCli.oneLine(e.getMessage()));
            return UpdraftCli.EXIT_REJECTED;
        }
        out.println("valid: " + m.releaseId() + " version " + m.version() + ", " + m.size() + " bytes, cid "
                + m.cid() + ", signed by " + m.signer());
        return UpdraftCli.EXIT_OK;
    }

    /** The keys given on the command line; one listed with --revoked is revoked even if also trusted. */
    private static Map<String, TrustedKey> trust(Arguments args, String vendor) throws Exception {
        Map<String, TrustedKey> trust = new HashMap<>();
        for (String t : args.all("trust")) {
            String did = Keys.publicKey("trust", t).did();
            trust.put(did, new TrustedKey(did, vendor, Set.of(), KeyStatus.ACTIVE, null, null, null, -1));
        }
        for (String r : args.all("revoked")) {
            String did = Keys.publicKey("revoked", r).did();
            trust.put(did, new TrustedKey(did, vendor, Set.of(), KeyStatus.REVOKED, null, null,
                    "listed with --revoked", -1));
        }
        return trust;
    }
}
