package org.updraft.rest.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import javax.ws.rs.Consumes;
import javax.ws.rs.GET;
import javax.ws.rs.POST;
import javax.ws.rs.Path;
import javax.ws.rs.PathParam;
import javax.ws.rs.Produces;
import javax.ws.rs.QueryParam;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.HttpHeaders;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Request;
import javax.ws.rs.core.Response;
import javax.ws.rs.core.SecurityContext;

import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseException;
import org.updraft.core.log.CheckpointCodec;
import org.updraft.core.log.InvalidCheckpointException;
import org.updraft.core.log.InvalidProofException;
import org.updraft.core.log.LedgerEventCodec;
import org.updraft.core.log.MerkleTree;
import org.updraft.core.manifest.ManifestCodec;

/**
 * Releases as {@code updraft:release-list}, {@code release-show}, {@code ledger-proof --release} and
 * {@code release-publish} see them. A publish is {@code multipart/form-data} with the signed manifest (part
 * {@code manifest}) and the image (part {@code image}), optionally the class meant (part {@code class}): the image is
 * streamed to a file and from there verified and stored, never held in memory.
 */
@Path("releases")
@Produces({MediaType.APPLICATION_JSON, ApiProblem.MEDIA_TYPE})
public final class ReleasesResource {

    private final Platform platform;
    private final Supplier<Limits> limits;

    ReleasesResource(Platform platform, Supplier<Limits> limits) {
        this.platform = platform;
        this.limits = limits;
    }

    @GET
    @Allowed(Role.VIEWER)
    public Response list(@Context Request request, @QueryParam("vendor") String vendor,
            @QueryParam("class") String deviceClass) {
        List<Object> releases = new ArrayList<>();
        for (Release r : platform.releases().list()) {
            if ((vendor == null || vendor.equals(r.vendor()))
                    && (deviceClass == null || deviceClass.equals(r.deviceClass()))) {
                releases.add(Views.release(r));
            }
        }
        return Json.ok(request, Map.of("releases", releases));
    }

    @GET
    @Path("{vendor}/{class}/{sequence}")
    @Allowed(Role.VIEWER)
    public Response show(@Context Request request, @PathParam("vendor") String vendor,
            @PathParam("class") String deviceClass, @PathParam("sequence") long sequence) {
        return Json.ok(request, Views.release(find(vendor, deviceClass, sequence)));
    }

    /**
     * The release's {@code release.published} event in the latest signed checkpoint, checked here as a device checks
     * it (checkpoint signature under the log key, then the audit path to its root) before it is answered.
     */
    @GET
    @Path("{vendor}/{class}/{sequence}/proof")
    @Allowed(Role.VIEWER)
    public Response proof(@Context Request request, @PathParam("vendor") String vendor,
            @PathParam("class") String deviceClass, @PathParam("sequence") long sequence)
            throws LedgerException, InvalidProofException, InvalidCheckpointException {
        Release release = find(vendor, deviceClass, sequence);
        return Json.ok(request, proof(platform.ledger(), release.ledgerIndex()));
    }

    static Map<String, Object> proof(Ledger log, long index)
            throws LedgerException, InvalidProofException, InvalidCheckpointException {
        Checkpoint checkpoint = log.checkpoint();
        if (index < 0 || index >= checkpoint.treeSize()) {
            throw ApiProblem.notFound("unknown-event", "no event #" + index + " in the latest checkpoint ("
                    + checkpoint.treeSize() + " events)");
        }
        LedgerEntry entry = log.get(index);
        InclusionProof proof = log.inclusionProof(index, checkpoint.treeSize());
        String logKey = log.logKey();
        CheckpointCodec.verify(checkpoint.envelope(), logKey);
        byte[] leaf = LedgerEventCodec.leafHash(entry.event());
        MerkleTree.verifyInclusion(proof, leaf, checkpoint.rootHash());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", Views.entry(entry));
        m.put("leafHash", Json.hex(leaf));
        m.put("path", proof.path().stream().map(Json::hex).toList());
        m.put("checkpoint", Views.checkpoint(checkpoint));
        m.put("logKey", logKey);
        m.put("verified", true);
        return m;
    }

    /**
     * Parts {@code manifest} (the signed manifest, at most 16 KiB), {@code image} and optionally {@code class}, in any
     * order; other parts are skipped. The body is read here as it arrives (not by a multipart provider), so that the
     * image goes from the socket to its file through one small buffer.
     */
    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Allowed(Role.OPERATOR)
    @FormParts(binary = {"manifest", "image"}, text = "class")
    public Response publish(@Context SecurityContext security, @Context HttpHeaders headers, InputStream body)
            throws ReleaseException, IOException {
        FormData form = new FormData(body, headers.getHeaderString(HttpHeaders.CONTENT_TYPE));
        Files.createDirectories(limits.get().uploads());
        java.nio.file.Path spooled = Files.createTempFile(limits.get().uploads(), "upload-", ".img");
        try {
            byte[] manifest = null;
            boolean image = false;
            String deviceClass = null;
            for (FormData.Part part; (part = form.next()) != null;) {
                switch (part.name()) {
                case "manifest" -> {
                    manifest = part.readNBytes(ManifestCodec.MAX_MANIFEST_BYTES + 1);
                    if (manifest.length > ManifestCodec.MAX_MANIFEST_BYTES) {
                        throw new ApiProblem(413, "too-large", "the manifest is larger than "
                                + ManifestCodec.MAX_MANIFEST_BYTES + " bytes");
                    }
                }
                case "image" -> {
                    copy(part, spooled, limits.get().maxImageBytes());
                    image = true;
                }
                case "class" -> deviceClass = new String(part.readNBytes(256), StandardCharsets.UTF_8).strip();
                default -> {
                    // skipped by next()
                }
                }
            }
            if (manifest == null || !image) {
                throw ApiProblem.badRequest("invalid", "a publish needs the parts 'manifest' and 'image'");
            }
            Release release = platform.releases().publish(manifest, spooled,
                    deviceClass == null || deviceClass.isEmpty() ? null : deviceClass, null,
                    Fields.caller(security).actor());
            return Response.created(URI.create("releases/" + release.id())).type(MediaType.APPLICATION_JSON_TYPE)
                    .entity(Json.bytes(Views.release(release))).build();
        } finally {
            Files.deleteIfExists(spooled);
        }
    }

    private static void copy(InputStream in, java.nio.file.Path file, long max) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0;) {
                total += n;
                if (total > max) {
                    throw new ApiProblem(413, "too-large", "the image is larger than " + max
                            + " bytes (org.updraft.rest max.image.bytes)");
                }
                out.write(buffer, 0, n);
            }
        }
    }

    private Release find(String vendor, String deviceClass, long sequence) {
        String id = Release.id(vendor, deviceClass, sequence);
        return platform.releases().find(id)
                .orElseThrow(() -> ApiProblem.notFound("unknown-release", "no release " + id + " is published"));
    }
}
