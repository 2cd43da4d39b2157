package org.updraft.cli;

import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import org.updraft.core.swu.SwuException;
import org.updraft.core.swu.SwuVerifier;
import org.updraft.core.swu.SwuWriter;

/**
 * {@code updraft swu-build}: a signed SWUpdate archive from sw-description and the images it names, with the library
 * the Linux profile checks archives with; the result is checked with it before it takes its name.
 */
final class SwuBuildCommand implements Command {

    private static final Arguments.Spec SPEC = new Arguments.Spec("swu-build")
            .value("sw-description").value("key").value("cert").value("out").flag("force")
            .positional("IMAGE", 1, 4096);

    @Override
    public String name() {
        return "swu-build";
    }

    @Override
    public String summary() {
        return "build and sign a SWUpdate archive (.swu) from sw-description and its images";
    }

    @Override
    public String usage() {
        return """
                usage: updraft swu-build --sw-description FILE --key KEY.pem --cert CERT.pem --out X.swu
                                         [--force] IMAGE...

                Writes X.swu as SWUpdate reads it: a cpio archive (-H crc) of sw-description, its CMS signature
                sw-description.sig (what 'openssl cms -sign -binary -nosmimecap -outform DER' writes) and the
                IMAGEs, in that order. Each IMAGE is named in the archive by its file name and must be named in
                sw-description, and every file sw-description names must be an IMAGE.
                  --sw-description FILE  libconfig text; a sha256 written "$swupdate_get_sha256(NAME)" is filled
                                         in, a stated one must match NAME's
                  --key KEY.pem          the signer's private key, unencrypted PEM (RSA, EC or Ed25519)
                  --cert CERT.pem        its certificate, included in the signature; devices verify with it or
                                         its issuer (swupdate -k; a code-signing certificate needs swupdate's
                                         --cert-purpose codeSigning)
                  --force                replace X.swu if it exists
                X.swu is written whole or not at all.

                exit status: 0 written; 2 bad usage or input (an image missing or not matching sw-description,
                sw-description not libconfig, a key that does not match the certificate)
                """;
    }

    @Override
    public Arguments.Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Arguments args, PrintStream out, PrintStream err) throws Exception {
        Path description = args.requiredPath("sw-description");
        Path keyFile = args.requiredPath("key");
        Path certFile = args.requiredPath("cert");
        Path swu = args.requiredPath("out");
        boolean force = args.flag("force");
        InputFile.checkReadable("sw-description", description);
        InputFile.checkReadable("key", keyFile);
        InputFile.checkReadable("certificate", certFile);
        List<Path> images = new ArrayList<>();
        for (String image : args.positional()) {
            Path path = Arguments.path("IMAGE", image);
            InputFile.checkReadable("image", path);
            images.add(path);
        }
        OutputFile.checkWritable(swu, force, "archive");
        List<X509Certificate> certificates = SwuVerifier.readCertificates(certFile);
        byte[] text;
        byte[] signature;
        try {
            PrivateKey key = SwuWriter.readPrivateKey(keyFile);
            text = SwuWriter.complete(Files.readString(description, StandardCharsets.UTF_8), images);
            signature = SwuWriter.sign(text, key, certificates.get(0));
        } catch (SwuException e) {
            throw new UsageException(e.getMessage(), e);
        }
        long imagesSize;
        StreamedFile.write(swu, force, stream -> {
            SwuWriter.write(stream, text, signature, images);
            stream.flush();
        });
        try (FileChannel written = FileChannel.open(swu)) {
            // the archive must verify under the certificate given, or the key was not the certificate's
            imagesSize = SwuVerifier.verify(written, written.size(), new SwuVerifier.Policy(certificates,
                    List.of(), Long.MAX_VALUE)).imagesSize();
        } catch (SwuException e) {
            Files.deleteIfExists(swu);
            throw new UsageException("the archive does not verify under " + certFile + ": " + e.getMessage(), e);
        }
        out.println("swu " + swu + " written, signed by " + certificates.get(0).getSubjectX500Principal()
                .getName());
        out.println("  files    sw-description, sw-description.sig, " + String.join(", ",
                images.stream().map(p -> p.getFileName().toString()).toList()));
        out.println("  images   " + imagesSize + " bytes");
        out.println("  size     " + Files.size(swu) + " bytes");
        return UpdraftCli.EXIT_OK;
    }
}
