package org.updraft.shell.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.CommandException;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.updraft.api.delta.Delta;
import org.updraft.api.delta.ReleaseDeltas;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseException;
import org.updraft.api.release.ReleaseService;
import org.updraft.core.manifest.ManifestCodec;

@Command(scope = "updraft", name = "release-publish", description = "Verifies a signed manifest and its firmware, "
        + "stores the firmware and records the release on the ledger")
@Service
public class ReleasePublishCommand extends UpdraftCommand {

    @Argument(index = 0, name = "manifest", description = "The signed manifest file (from updraft sign)",
            required = true)
    @Completion(FileCompleter.class)
    String manifest;

    @Argument(index = 1, name = "firmware", description = "The firmware image file", required = true)
    @Completion(FileCompleter.class)
    String firmware;

    @Option(name = "--class", description = "The device class you mean to publish for; refused if the manifest "
            + "names another")
    String deviceClass;

    @Option(name = "--quiet", aliases = "-q", description = "No progress bar")
    boolean quiet;

    @Option(name = "--delta-from", multiValued = true, description = "Also make a delta update to the new release "
            + "from this earlier release of the class (repeatable); devices running it are offered the patch")
    @Completion(ReleaseIdCompleter.class)
    List<String> deltaFrom;

    @Option(name = "--delta-codec", description = "The delta codec (bsdiff, vcdiff); default: the one the class's "
            + "device profile prefers, or org.updraft.delta's codec")
    String deltaCodec;

    @Reference(optional = true)
    ReleaseService releases;

    @Reference(optional = true)
    ReleaseDeltas deltas;

    @Override
    protected Object run() throws Exception {
        ReleaseService service = Services.require(releases, "release service", "updraft");
        byte[] manifestBytes = readManifest(Path.of(manifest).toAbsolutePath());
        Path image = Path.of(firmware).toAbsolutePath();
        ProgressBar progress = quiet ? null : new ProgressBar(System.out, "Storing");
        Release release;
        try {
            release = service.publish(manifestBytes, image, deviceClass, progress, Operators.current());
        } catch (ReleaseException e) {
            // the reason code first: operators grep for it, scripts match on it
            throw refused("release refused (" + e.reason() + "): " + e.getMessage());
        } finally {
            if (progress != null) {
                progress.finish();
            }
        }
        System.out.println("Published " + release.id());
        ReleaseShowCommand.print(release);
        publishDeltas(release);
        return null;
    }

    /**
     * The deltas the new release gets. The release stays published whatever happens here: a delta refused is said
     * as such, and the command fails so that a script notices, naming the release as published.
     */
    private void publishDeltas(Release release) throws CommandException {
        List<String> bases = deltaFrom == null ? List.of() : deltaFrom;
        if (deltas == null) {
            if (!bases.isEmpty()) {
                throw refused("release " + release.id() + " is published, but no delta was made: the delta service "
                        + "is not running (feature updraft-core)");
            }
            return;
        }
        List<Delta> made;
        try {
            made = deltas.publishFor(release.id(), bases, deltaCodec);
        } catch (ReleaseException e) {
            throw refused("release " + release.id() + " is published, but a delta was refused (" + e.reason() + "): "
                    + e.getMessage());
        }
        for (Delta d : made) {
            System.out.println("Delta " + d.label() + ": " + Format.bytes(d.patchSize()) + " ("
                    + Math.round(100.0 * d.patchSize() / Math.max(1, release.size())) + "% of the image), patch "
                    + d.patch() + ", ledger #" + d.ledgerIndex());
        }
    }

    static byte[] readManifest(Path file) throws IOException {
        try {
            if (Files.size(file) > ManifestCodec.MAX_MANIFEST_BYTES) {
                throw new IllegalArgumentException(file + " is too large to be a manifest ("
                        + Format.bytes(Files.size(file)) + ")");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("manifest file " + file + " does not exist");
        }
    }
}
