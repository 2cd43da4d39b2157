package org.updraft.device.internal;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.eclipse.californium.core.coap.BlockOption;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.network.Endpoint;
import org.eclipse.californium.elements.AddressEndpointContext;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.device.DeviceLink.Reply;
import org.updraft.device.DeviceLink.Session;

/**
 * One device's requests over CoAP ({@code docs/coap-api.md}) on an endpoint it may share with other devices: checks
 * with the ETag of the last answer (a 2.03 Valid costs no payload), offers larger than a block read block-wise
 * (RFC 7959), images by Block2 number, reports and enrollments by POST.
 */
public final class CoapSession implements Session {

    /** Retry soon after a 2.03 Valid for an answer this session no longer has. */
    private static final Duration SOON = Duration.ofMillis(50);

    private final String deviceId;
    private final Endpoint endpoint;
    private final AddressEndpointContext platform;
    private final AtomicLong retransmissions = new AtomicLong();
    private final Runnable closed;
    private byte[] etag;
    private byte[] lastAnswer;
    /** The block size the server answers with: it may choose smaller blocks than asked (RFC 7959 §2.4). */
    private int szxNow = BlockOption.size2Szx(1024);

    public CoapSession(String deviceId, Endpoint endpoint, InetSocketAddress platform) {
        this(deviceId, endpoint, platform, () -> { });
    }

    /** A session that runs {@code closed} when it is closed: it ends the device's own endpoint (DTLS). */
    public CoapSession(String deviceId, Endpoint endpoint, InetSocketAddress platform, Runnable closed) {
        this.deviceId = deviceId;
        this.endpoint = endpoint;
        this.platform = new AddressEndpointContext(platform);
        this.closed = closed;
    }

    @Override
    public synchronized CompletableFuture<Reply> check(long sequence, byte[] nonce) {
        Request request = checkRequest(sequence, nonce);
        byte[] knownTag = etag;
        if (knownTag != null && nonce.length == 0) {
            request.getOptions().addETag(knownTag);
        }
        return send(request).thenCompose(first -> wholeBody(first, () -> checkRequest(sequence, nonce),
                new ByteArrayOutputStream())).thenApply(response -> {
                    synchronized (this) {
                        ResponseCode code = response.getCode();
                        if (code == ResponseCode.CONTENT) {
                            List<byte[]> tags = response.getOptions().getETags();
                            etag = tags.isEmpty() ? null : tags.get(0);
                            lastAnswer = response.getPayload();
                            return Reply.ok(lastAnswer);
                        }
                        if (code == ResponseCode.VALID && lastAnswer != null) {
                            return Reply.ok(lastAnswer);
                        }
                        if (code == ResponseCode.VALID) {
                            etag = null;
                            return Reply.unavailable(SOON, "2.03 Valid for an answer no longer known");
                        }
                        return refusal(response);
                    }
                });
    }

    private Request checkRequest(long sequence, byte[] nonce) {
        Request request = Request.newGet();
        request.getOptions().setUriPath("check/" + deviceId);
        request.getOptions().addUriQuery("seq=" + sequence);
        if (nonce.length > 0) {
            request.getOptions().addUriQuery("nonce=" + HexFormat.of().formatHex(nonce));
        }
        return request;
    }

    /**
     * An offer is larger than one block: the server sends it block-wise (RFC 7959), and the device fetches the
     * remaining blocks of the same representation (same ETag) before decoding it.
     */
    private CompletableFuture<Response> wholeBody(Response response, Supplier<Request> next,
            ByteArrayOutputStream body) {
        BlockOption block = response.getOptions().getBlock2();
        if (response.getCode() != ResponseCode.CONTENT || block == null) {
            return CompletableFuture.completedFuture(response);
        }
        if (block.getOffset() != body.size()) {
            return CompletableFuture.failedFuture(new TimeoutException("block at " + block.getOffset()
                    + " does not follow the " + body.size() + " bytes received"));
        }
        body.writeBytes(response.getPayload());
        if (!block.isM()) {
            response.setPayload(body.toByteArray());
            return CompletableFuture.completedFuture(response);
        }
        if (body.size() > UpdateAnswers.MAX_ANSWER_BYTES) {
            return CompletableFuture.failedFuture(new TimeoutException("the answer grows past "
                    + UpdateAnswers.MAX_ANSWER_BYTES + " bytes"));
        }
        byte[] tag = response.getOptions().getETagCount() > 0 ? response.getOptions().getETags().get(0) : null;
        Request request = next.get();
        request.getOptions().setBlock2(block.getSzx(), false, block.getNum() + 1);
        return send(request).thenCompose(more -> {
            byte[] moreTag = more.getOptions().getETagCount() > 0 ? more.getOptions().getETags().get(0) : null;
            if (more.getCode() == ResponseCode.CONTENT && !Arrays.equals(tag, moreTag)) {
                // the answer changed between blocks: start over at the next check
                return CompletableFuture.failedFuture(new TimeoutException("the answer changed while it was read"));
            }
            return wholeBody(more, next, body);
        });
    }

    @Override
    public CompletableFuture<Reply> consistency(long first, long second) {
        Supplier<Request> request = () -> {
            Request r = Request.newGet();
            r.getOptions().setUriPath("log/consistency");
            r.getOptions().addUriQuery("first=" + first);
            r.getOptions().addUriQuery("second=" + second);
            return r;
        };
        // a proof of a large tree outgrows one block
        return send(request.get()).thenCompose(response -> wholeBody(response, request, new ByteArrayOutputStream()))
                .thenApply(response -> response.getCode() == ResponseCode.CONTENT ? Reply.ok(response.getPayload())
                        : refusal(response));
    }

    /** {@code length} must be a CoAP block size (a power of two from 16 to 1024); the block holding {@code offset}. */
    @Override
    public CompletableFuture<Reply> block(String cid, long offset, int length) {
        int szx;
        synchronized (this) {
            szx = Math.min(szxNow, BlockOption.size2Szx(length));
        }
        int size = BlockOption.szx2Size(szx);
        Request request = Request.newGet();
        request.getOptions().setUriPath("fw/" + cid);
        request.getOptions().setBlock2(szx, false, (int) (offset / size));
        return send(request).thenApply(response -> {
            if (response.getCode() != ResponseCode.CONTENT) {
                return refusal(response);
            }
            BlockOption block = response.getOptions().getBlock2();
            if (block == null) {
                // the whole image fitted one response
                return Reply.block(0, response.getPayload(), false);
            }
            synchronized (this) {
                szxNow = Math.min(szxNow, block.getSzx());
            }
            return Reply.block(block.getOffset(), response.getPayload(), block.isM());
        });
    }

    @Override
    public CompletableFuture<Reply> report(byte[] signed) {
        return post("report", signed);
    }

    @Override
    public CompletableFuture<Reply> enroll(byte[] signed) {
        return post("enroll", signed);
    }

    private CompletableFuture<Reply> post(String path, byte[] signed) {
        Request request = Request.newPost();
        request.getOptions().setUriPath(path);
        request.getOptions().setContentFormat(MediaTypeRegistry.APPLICATION_COSE_SIGN1);
        request.setPayload(signed);
        return send(request).thenApply(response -> response.isSuccess() ? Reply.ok(response.getPayload())
                : refusal(response));
    }

    @Override
    public CompletableFuture<byte[]> pushedOffer() {
        // CoAP devices poll: the platform never pushes. A new future each time, so that nothing piles up on it
        return new CompletableFuture<>();
    }

    @Override
    public long retransmissions() {
        return retransmissions.get();
    }

    @Override
    public void close() {
        // a shared endpoint is the link's, and stays; a device's own (DTLS) ends with its session
        closed.run();
    }

    private static Reply refusal(Response response) {
        if (response.getCode() == ResponseCode.SERVICE_UNAVAILABLE) {
            Duration retry = response.getOptions().hasMaxAge()
                    ? Duration.ofSeconds(response.getOptions().getMaxAge()) : null;
            return Reply.unavailable(retry, Exchanges.diagnostic(response));
        }
        return Reply.refused(Exchanges.diagnostic(response));
    }

    /** Every failure to get an answer is a {@link TimeoutException}; {@link Exchanges.LinkBusyException} stays one. */
    private CompletableFuture<Response> send(Request request) {
        request.setDestinationContext(platform);
        return Exchanges.send(endpoint, request, retransmissions).exceptionallyCompose(e -> {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            return CompletableFuture.failedFuture(cause instanceof TimeoutException ? cause
                    : new TimeoutException(cause.getMessage()));
        });
    }
}
