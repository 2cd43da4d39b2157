package org.updraft.device.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.californium.core.coap.MessageObserverAdapter;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.network.Endpoint;

/** One CoAP request and its response as a future, on a client endpoint that may be shared by many devices. */
public final class Exchanges {

    private Exchanges() {
    }

    /**
     * Sends {@code request} (confirmable: CoAP retransmits it on its own) and completes with the response, or
     * exceptionally with {@link TimeoutException} when every retransmission went unanswered.
     *
     * @param retransmissions counts CoAP-level retransmissions of this request
     */
    public static CompletableFuture<Response> send(Endpoint endpoint, Request request, AtomicLong retransmissions) {
        CompletableFuture<Response> result = new CompletableFuture<>();
        request.addMessageObserver(new MessageObserverAdapter() {
            @Override
            public void onResponse(Response response) {
                result.complete(response);
            }

            @Override
            public void onRetransmission() {
                retransmissions.incrementAndGet();
            }

            @Override
            public void onTimeout() {
                result.completeExceptionally(new TimeoutException("no answer to " + describe(request)));
            }

            @Override
            public void onReject() {
                result.completeExceptionally(new CompletionException(
                        new java.io.IOException("the platform rejected " + describe(request))));
            }

            @Override
            public void onCancel() {
                result.completeExceptionally(new TimeoutException(describe(request) + " was cancelled"));
            }

            @Override
            protected void failed() {
                // onTimeout, onReject, onCancel and onSendError complete the future themselves
            }

            @Override
            public void onSendError(Throwable error) {
                result.completeExceptionally(new LinkBusyException("could not send " + describe(request) + ": "
                        + error.getMessage()));
            }
        });
        endpoint.sendRequest(request);
        return result;
    }

    /**
     * The request never left: the endpoint refused to send it, typically because every message id is in use
     * (too many requests through one endpoint within the exchange lifetime). Not the platform's fault, so a
     * device waits and sends again without counting it as a failed exchange.
     */
    public static final class LinkBusyException extends TimeoutException {
        private static final long serialVersionUID = 1L;

        LinkBusyException(String message) {
            super(message);
        }
    }

    private static String describe(Request request) {
        return request.getCode() + " /" + request.getOptions().getUriPathString();
    }

    /** The one-line diagnostic an error response carries (RFC 7252 §5.5.2), or its code when it has none. */
    public static String diagnostic(Response response) {
        String text = response.getPayloadString();
        return response.getCode() + (text == null || text.isEmpty() ? "" : " " + text);
    }
}
