package org.updraft.transport.coap.internal;

import java.util.Arrays;
import java.util.Optional;
import java.util.function.Supplier;

import org.eclipse.californium.core.coap.CoAP.Code;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.coap.BlockOption;
import org.eclipse.californium.core.server.resources.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.ObjectNotFoundException;
import org.updraft.api.store.StoreException;
import org.updraft.api.update.UpdateService;
import org.updraft.core.serving.ChunkCache;
import org.updraft.core.serving.ReleaseImages;

/**
 * {@code /fw/{cid}}: a release's image, one Block2 block per request (RFC 7959), any block number, so a device
 * resumes where it stopped. Each block is cut from the store's ranged read through core's {@link ChunkCache} (as the
 * MQTT transport's blocks are); no request holds a whole image, and every response is at most one block, which
 * Californium's block-wise layer passes through untouched (its preferred and largest message size are set to the
 * largest block).
 */
final class FirmwareResource extends DeviceApiResource {

    private static final Logger LOG = LoggerFactory.getLogger(FirmwareResource.class);

    private final ByCid byCid = new ByCid();
    private final Supplier<FirmwareStore> store;
    private final ReleaseImages images;
    private final ChunkCache chunks;
    private final UpdateService updates;
    private final Limits limits;

    private final PeerBinding binding;

    FirmwareResource(Supplier<FirmwareStore> store, ReleaseImages images, ChunkCache chunks, UpdateService updates,
            Limits limits, PeerBinding binding) {
        super("fw");
        this.binding = binding;
        this.store = store;
        this.images = images;
        this.chunks = chunks;
        this.updates = updates;
        this.limits = limits;
        byCid.setParent(this);
    }

    @Override
    Response answer(Request request) throws Refusal {
        throw Refusal.notFound("name the image: GET /fw/{cid}");
    }

    @Override
    public Resource getChild(String name) {
        return byCid;
    }

    /** One resource for every CID: the CID is read from the request's path. */
    private final class ByCid extends DeviceApiResource {

        ByCid() {
            super("cid");
        }

        @Override
        Response answer(Request request) throws Refusal {
            if (request.getCode() != Code.GET) {
                throw Refusal.methodNotAllowed(request.getCode() + " is not allowed on /fw/{cid}; use GET");
            }
            binding.requireBound(request);
            String text = request.getOptions().getUriPath().get(1);
            Cid cid;
            try {
                cid = Cid.parse(text);
            } catch (IllegalArgumentException e) {
                throw Refusal.badRequest(e.getMessage()).countedAs("bad-path");
            }
            Optional<ReleaseImages.Image> found = images.find(cid);
            if (found.isEmpty()) {
                throw Refusal.notFound("no published release has the image " + text);
            }
            ReleaseImages.Image image = found.get();

            BlockOption asked = request.getOptions().getBlock2();
            int szx = limits.maxBlockSzx();
            long offset = 0;
            if (asked != null) {
                // SZX 7 (BERT) never gets here: Californium refuses it over UDP with 4.00
                szx = Math.min(asked.getSzx(), limits.maxBlockSzx());
                offset = (long) asked.getNum() * asked.getSize();
            }
            int size = BlockOption.szx2Size(szx);
            if (offset > 0 && offset >= image.size()) {
                throw Refusal.badOption("block " + asked.getNum() + " of " + asked.getSize() + " bytes starts at byte "
                        + offset + ", past the end of the " + image.size() + "-byte image");
            }
            int length = (int) Math.min(size, image.size() - offset);
            FirmwareStore target = store.get();
            if (target == null) {
                throw Refusal.unavailable("no firmware store is running; retry later", limits.unavailableMaxAge());
            }
            byte[] block;
            try {
                block = chunks.read(target, image.cid(), image.size(), offset, length);
            } catch (ObjectNotFoundException e) {
                throw Refusal.notFound("the firmware store does not hold " + text);
            } catch (StoreException e) {
                throw Refusal.unavailable("the firmware store failed: " + e.getMessage(), limits.unavailableMaxAge());
            }

            Response response = new Response(ResponseCode.CONTENT);
            response.getOptions().setContentFormat(MediaTypeRegistry.APPLICATION_OCTET_STREAM);
            response.getOptions().addETag(etag(image.cid()));
            boolean more = offset + length < image.size();
            if (asked != null || more) {
                response.getOptions().setBlock2(szx, more, (int) (offset / size));
            }
            if (offset == 0 || request.getOptions().hasSize2()) {
                response.getOptions().setSize2((int) Math.min(Integer.MAX_VALUE, image.size()));
            }
            response.setPayload(block);
            try {
                updates.bytesServed(image.releaseId(), length);
            } catch (RuntimeException e) {
                // statistics must not cost the device its block
                LOG.debug("Counting bytes served of {} failed", image.releaseId(), e);
            }
            return response;
        }

        @Override
        public Resource getChild(String name) {
            return new NoSuchPath(this, name);
        }
    }

    /** The last 8 bytes of the image's SHA-256 multihash digest: the same for every block of one image. */
    static byte[] etag(Cid cid) {
        byte[] digest = cid.digest();
        return Arrays.copyOfRange(digest, digest.length - 8, digest.length);
    }
}
