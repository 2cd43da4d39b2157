package org.updraft.cli;

import java.io.PrintStream;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.manifest.Expectations;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestVerifier;
import org.updraft.core.manifest.SignedManifest;
import org.updraft.core.manifest.VerificationException;

/**
 * {@code updraft inspect}: what a manifest says, and whether its signature is that of the signer it names.
 * That is self-consistency only; whether the signer deserves trust is {@code updraft verify}'s question.
 */
final class InspectCommand implements Command {

    static final String SCOPE = "self-consistency only: the signature is checked against the signer the manifest "
            + "names; whether that signer is trusted is 'updraft verify'";

    private static final Arguments.Spec SPEC = new Arguments.Spec("inspect").flag("json")
            .positional("a MANIFEST", 1, 1);

    @Override
    public String name() {
        return "inspect";
    }

    @Override
    public String summary() {
        return "show a manifest's fields and whether its signature matches its signer";
    }

    @Override
    public String usage() {
        return """
                usage: updraft inspect MANIFEST [--json]

                Prints every field of MANIFEST and whether its signature is valid for the signer it names.
                That is self-consistency only: anyone can sign with their own key, so whether the signer is
                trusted is for 'updraft verify'. Exits 0 whenever the manifest can be read, whatever the
                signature.
                  --json    one JSON object instead of text
                """;
    }

    @Override
    public Arguments.Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Arguments args, PrintStream out, PrintStream err) throws Exception {
        SignedManifest signed = ManifestFile.read(Arguments.path("MANIFEST", args.positional().get(0)));
        Manifest m = signed.manifest();
        String problem = signatureProblem(signed);
        String sha256 = HexFormat.of().formatHex(m.sha256());
        if (args.flag("json")) {
            out.println(new Json()
                    .put("releaseId", m.releaseId())
                    .put("vendor", m.vendor())
                    .put("deviceClass", m.deviceClass())
                    .put("profile", m.profile())
                    .put("version", m.version())
                    .put("sequence", m.sequence())
                    .put("size", m.size())
                    .put("sha256", sha256)
                    .put("cid", m.cid().toString())
                    .put("minimumInstalledVersion", m.minimumInstalledVersion())
                    .put("created", m.created().toString())
                    .put("signer", m.signer())
                    .put("algorithm", signed.envelope().algorithm().label())
                    .put("signatureValid", problem == null)
                    .put("signatureProblem", problem)
                    .put("signatureScope", SCOPE));
            return UpdraftCli.EXIT_OK;
        }
        line(out, "release", m.releaseId());
        line(out, "vendor", m.vendor());
        line(out, "class", m.deviceClass());
        line(out, "profile", m.profile() != null ? m.profile() : "(any)");
        line(out, "version", m.version());
        line(out, "sequence", Long.toString(m.sequence()));
        line(out, "size", m.size() + " bytes");
        line(out, "sha256", sha256);
        line(out, "cid", m.cid().toString());
        line(out, "min-version", m.minimumInstalledVersion() != null ? m.minimumInstalledVersion() : "(none)");
        line(out, "created", m.created().toString());
        line(out, "signer", m.signer() + " (" + signed.envelope().algorithm().label() + ")");
        line(out, "signature", (problem == null ? "valid for the signer it names" : "INVALID: " + problem)
                + " (" + SCOPE + ")");
        return UpdraftCli.EXIT_OK;
    }

    /**
     * Asks the one verifier, trusting exactly the signer the manifest names for everything it claims: only a
     * bad signature or an unusable signer key can then fail.
     */
    private static String signatureProblem(SignedManifest signed) {
        Manifest m = signed.manifest();
        TrustedKey named = new TrustedKey(m.signer(), m.vendor(), Set.of(), KeyStatus.ACTIVE, null, null, null, -1);
        ManifestVerifier verifier = new ManifestVerifier(
                did -> did.equals(m.signer()) ? Optional.of(named) : Optional.empty());
        try {
            verifier.verify(signed, Expectations.none());
            return null;
        } catch (VerificationException e) {
            return e.failure().code() + ": " + e.getMessage();
        }
    }

    /** Manifest text is the signer's to choose; control characters are shown escaped, never obeyed. */
    private static void line(PrintStream out, String label, String value) {
        StringBuilder sb = new StringBuilder();
        value.codePoints().forEach(c -> {
            if (Character.isISOControl(c) || c == 0x2028 || c == 0x2029) {
                sb.append(String.format("\\u%04x", c));
            } else {
                sb.appendCodePoint(c);
            }
        });
        out.printf("%-12s %s%n", label, sb);
    }
}
