package org.updraft.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;

import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;
import org.updraft.core.update.DeviceAttestations;

/**
 * {@code updraft attest}: the device certificate a manufacturer signs at the factory for each device key, which the
 * device's enrollment carries, so that a platform letting devices register themselves registers only the
 * manufacturer's devices.
 */
final class AttestCommand implements Command {

    private static final Arguments.Spec SPEC = new Arguments.Spec("attest")
            .value("key").value("device").value("vendor").value("class").value("passphrase-file").value("out")
            .flag("force").positional("no arguments", 0, 0);

    @Override
    public String name() {
        return "attest";
    }

    @Override
    public String summary() {
        return "sign a device certificate (attestation) for a device key, for its enrollment";
    }

    @Override
    public String usage() {
        return """
                usage: updraft attest --key KEY --device DID|KEYFILE.pub --vendor VENDOR --class CLASS
                                      [--passphrase-file FILE] [--out FILE] [--force]

                Signs, with a manufacturer key the platform trusts for VENDOR and CLASS (updraft:trust-add), the
                statement that the device key is one of its VENDOR/CLASS devices. Prints it in base64, or writes
                its bytes to FILE; the device's enrollment carries those bytes ("attestation", docs/coap-api.md).
                  --key KEY                    private key file of the manufacturer key
                  --device DID|KEYFILE.pub     the device's key, as did:key or public key file
                  --vendor VENDOR              the vendor id
                  --class CLASS                the device class id
                  --passphrase-file FILE       passphrase of an encrypted KEY (its first line)
                  --out FILE                   write the attestation to FILE (whole or not at all)
                  --force                      replace FILE if it exists
                """;
    }

    @Override
    public Arguments.Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Arguments args, PrintStream out, PrintStream err) throws Exception {
        Path keyFile = args.requiredPath("key");
        VerificationKey device = Keys.publicKey("device", args.required("device"));
        DeviceAttestations.Attestation attestation;
        try {
            attestation = new DeviceAttestations.Attestation(device.did(), args.required("vendor"),
                    args.required("class"), Instant.now());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Path outFile = args.optionalPath("out");
        boolean force = args.flag("force");
        if (outFile != null) {
            OutputFile.checkWritable(outFile, force, "attestation");
        }
        SigningKey manufacturer = Keys.signingKey(keyFile, args.optionalPath("passphrase-file"));
        if (manufacturer.did().equals(device.did())) {
            throw new UsageException("the device key is the manufacturer key itself (" + device.did() + ")");
        }
        byte[] signed = DeviceAttestations.sign(attestation, manufacturer);
        if (outFile == null) {
            out.println(Base64.getEncoder().encodeToString(signed));
        } else {
            OutputFile.write(outFile, signed, force);
            out.println("attestation of " + device.did() + " as " + attestation.vendor() + "/"
                    + attestation.deviceClass() + " by " + manufacturer.did() + " written to " + outFile);
        }
        return UpdraftCli.EXIT_OK;
    }
}
