package org.updraft.transport.coap.internal;

import java.util.List;

import org.eclipse.californium.core.coap.BlockOption;
import org.eclipse.californium.core.coap.CoAP;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.CoAPMessageFormatException;
import org.eclipse.californium.core.coap.CoAPOptionException;
import org.eclipse.californium.core.coap.Message;
import org.eclipse.californium.core.coap.MessageFormatException;
import org.eclipse.californium.core.coap.Option;
import org.eclipse.californium.core.coap.OptionNumberRegistry;
import org.eclipse.californium.core.coap.OptionSet;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.option.StandardOptionRegistry;
import org.eclipse.californium.core.network.serialization.MessageHeader;
import org.eclipse.californium.core.network.serialization.UdpDataParser;
import org.eclipse.californium.elements.util.DatagramReader;
import org.updraft.core.serving.CountedRefusals;

/**
 * Californium's UDP parser with the device API's rules for malformed datagrams, each counted by kind. Anyone on the
 * network can send these, so none of them may cost more than a counter increment and an answer of a few bytes.
 *
 * <ul>
 * <li>Dropped without an answer: a datagram shorter than a CoAP header ({@code short-datagram}), of another CoAP
 * version ({@code bad-version}), or whose token length is above 8 or longer than the datagram
 * ({@code bad-token-length}): there is no message to answer.</li>
 * <li>Answered 4.02 Bad Option (RFC 7252 §5.4.1) when confirmable: an unknown critical option
 * ({@code unknown-critical-option}), OSCORE, which this server does not speak (RFC 8613 §2: an OSCORE option it
 * does not support is an unknown critical option; {@code oscore}), a critical option whose value is out of its range
 * ({@code bad-option}; RFC 7252 §5.4.3, an elective one is ignored and counted).</li>
 * <li>Answered 4.00 Bad Request when confirmable: a Uri-Path segment that is empty or holds a '/'
 * ({@code bad-path}: Californium's request matcher throws on it), a Block1 payload larger than the block size its
 * SZX names ({@code oversized-block}: Californium's parser throws on it), SZX 7 (BERT) over UDP
 * ({@code bad-block}).</li>
 * <li>Answered 4.05 Method Not Allowed when confirmable: a request code that names no method (RFC 7252 §5.8;
 * {@code bad-method}).</li>
 * <li>Answered 4.02 by Californium when confirmable: options that cannot be read ({@code bad-option}: a nibble of 15,
 * an option longer than the datagram, a payload marker with no payload).</li>
 * <li>Answered with a RST by Californium when confirmable: a message code of class 1, 6 or 7
 * ({@code bad-code}).</li>
 * <li>Dropped: any response (class 2, 4 or 5; {@code unexpected-response}), since this server sends no requests.</li>
 * </ul>
 *
 * A non-confirmable request with such a fault is dropped: RFC 7252 §4.3 lets a server silently ignore it, and
 * Californium does. The answers come from Californium's endpoint, which sends the error code and the exception's
 * message of a {@link CoAPMessageFormatException} (carrying a code) as the diagnostic payload.
 */
final class DeviceDatagramParser extends UdpDataParser {

    private static final int HEADER_BYTES = 4;
    private static final int MAX_TOKEN_BYTES = 8;

    private final CountedRefusals refusals;
    /** Told of each datagram a protocol thread takes from the endpoint's queue: parsing is the first thing done. */
    private final Runnable taken;
    /**
     * The kind of the option rule that refused the message this thread is parsing. Californium calls the rules from
     * its option loop and wraps what they throw in an exception of its own, the same for its own faults; parsing a
     * message is one call on one thread, so the kind waits here for that call's catch.
     */
    private final ThreadLocal<String> optionRefusedAs = new ThreadLocal<>();

    DeviceDatagramParser(CountedRefusals refusals) {
        this(refusals, () -> { });
    }

    /**
     * @param taken told, on the protocol thread, of each datagram it starts parsing: Californium's endpoint parses a
     *        datagram first thing once a protocol thread takes it from the queue, so this is where it stops waiting
     */
    DeviceDatagramParser(CountedRefusals refusals, Runnable taken) {
        // the standard options only: Californium's default registry also makes definitions up for unknown numbers
        super(false, StandardOptionRegistry.STANDARD_OPTIONS);
        this.refusals = refusals;
        this.taken = taken;
    }

    @Override
    protected MessageHeader parseHeader(DatagramReader reader) {
        // DataParser.parseMessage calls this first, for every datagram, before anything can throw
        taken.run();
        int length = reader.bitsLeft() / Byte.SIZE;
        if (length < HEADER_BYTES) {
            throw dropped("short-datagram", "a datagram of " + length + " bytes, shorter than a CoAP header (4)");
        }
        reader.mark();
        int first = reader.read(Byte.SIZE);
        reader.reset();
        int version = first >>> 6;
        int tokenLength = first & 0x0F;
        if (version != CoAP.VERSION) {
            throw dropped("bad-version", "CoAP version " + version + ", not 1");
        }
        if (tokenLength > MAX_TOKEN_BYTES) {
            throw dropped("bad-token-length", "token length " + tokenLength + ", more than 8");
        }
        if (tokenLength > length - HEADER_BYTES) {
            throw dropped("bad-token-length", "token length " + tokenLength + " in a datagram of " + length
                    + " bytes");
        }
        MessageHeader header = super.parseHeader(reader);
        int code = header.getCode();
        if (CoAP.isResponse(code)) {
            // the device API sends no requests, so it awaits no response: Californium matched one carrying an
            // observer's token to the notification it sent that observer and failed on it, logging a stack trace
            // per datagram (found by EndpointFuzzTest)
            throw dropped("unexpected-response", "a response (" + codeName(code) + ") to a server that sends no "
                    + "requests");
        }
        if (isDefined(code)) {
            return header;
        }
        String name = codeName(code);
        if (CoAP.isRequest(code)) {
            // RFC 7252 §5.8: an unknown method gets 4.05
            refusals.refused("bad-method", "unknown method " + name);
            throw new CoAPMessageFormatException("unknown method " + name + "; the device API has GET and POST",
                    header.getToken(), header.getMID(), code, header.getType() == CoAP.Type.CON,
                    ResponseCode.METHOD_NOT_ALLOWED);
        }
        // DataParser refuses it next (a RST when confirmable)
        refusals.refused("bad-code", "message code " + name + " is not defined");
        return header;
    }

    /** A message code as RFC 7252 writes it, c.dd. */
    private static String codeName(int code) {
        return (code >> 5) + "." + String.format("%02d", code & 0x1F);
    }

    private static boolean isDefined(int code) {
        try {
            if (CoAP.isRequest(code)) {
                CoAP.Code.valueOf(code);
                return true;
            }
            if (CoAP.isResponse(code)) {
                ResponseCode.valueOf(code);
                return true;
            }
            return CoAP.isEmptyMessage(code);
        } catch (MessageFormatException | IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public Option createOption(int code, int optionNumber, byte[] value) {
        if (optionNumber == OptionNumberRegistry.OSCORE) {
            throw badOption("oscore", "OSCORE (option 9) is not supported by this server; use plain CoAP");
        }
        if (optionRegistry.getDefinitionByNumber(code, optionNumber) == null
                && OptionNumberRegistry.isCritical(optionNumber)) {
            throw badOption("unknown-critical-option", "unknown critical option " + optionNumber);
        }
        try {
            return super.createOption(code, optionNumber, value);
        } catch (IllegalArgumentException | MessageFormatException e) {
            // a value out of the option's range (a Block option of 4 bytes, say): RFC 7252 §5.4.3 treats it as an
            // unrecognized option, so a critical one is refused and an elective one ignored
            if (OptionNumberRegistry.isCritical(optionNumber)) {
                throw badOption("bad-option", "critical option " + optionNumber + ": " + e.getMessage());
            }
            refusals.refused("bad-option", "elective option " + optionNumber + " ignored: " + e.getMessage());
            return null;
        }
    }

    @Override
    protected void assertValidOptions(OptionSet options) {
        try {
            super.assertValidOptions(options);
        } catch (IllegalArgumentException e) {
            // Californium answers 4.00 (SZX 7 is for CoAP over TCP)
            optionRefusedAs.set("bad-block");
            throw e;
        }
    }

    @Override
    public void parseOptionsAndPayload(DatagramReader reader, Message message) {
        try {
            super.parseOptionsAndPayload(reader, message);
        } catch (CoAPMessageFormatException e) {
            // a rule of ours (createOption, assertValidOptions) named its kind; else it is one of Californium's own:
            // an option length nibble of 15, an option longer than the datagram, a payload marker with no payload
            String kind = optionRefusedAs.get();
            optionRefusedAs.remove();
            refusals.refused(kind != null ? kind : "bad-option", e.getMessage());
            throw e;
        } catch (IllegalStateException e) {
            // Californium's own check of a payload against its Block1 (or Block2) size, which it does not turn into
            // an answer: left to itself, the exception reaches the endpoint's executor and is logged with its stack
            BlockOption block = message.getOptions().getBlock1();
            if (message instanceof Request && block != null && message.getPayloadSize() > block.getSize()) {
                throw refused(message, "oversized-block", ResponseCode.BAD_REQUEST, "Block1 payload of "
                        + message.getPayloadSize() + " bytes is larger than its block size " + block.getSize());
            }
            refusals.refused("oversized-block", e.getMessage());
            throw new MessageFormatException(e.getMessage());
        }
        if (message instanceof Request) {
            List<String> path = message.getOptions().getUriPath();
            for (String segment : path) {
                if (segment.isEmpty()) {
                    throw refused(message, "bad-path", ResponseCode.BAD_REQUEST,
                            "an empty Uri-Path segment (a '//' or a trailing '/' in the URI)");
                }
                if (segment.indexOf('/') >= 0) {
                    throw refused(message, "bad-path", ResponseCode.BAD_REQUEST,
                            "a Uri-Path segment holds '/': each segment is its own Uri-Path option");
                }
            }
        }
    }

    private MessageFormatException dropped(String kind, String why) {
        refusals.refused(kind, why);
        return new MessageFormatException(why);
    }

    /** Counted where Californium hands it back, wrapped, to {@link #parseOptionsAndPayload}. */
    private CoAPOptionException badOption(String kind, String why) {
        optionRefusedAs.set(kind);
        return new CoAPOptionException(why, ResponseCode.BAD_OPTION);
    }

    private CoAPMessageFormatException refused(Message message, String kind, ResponseCode code, String why) {
        refusals.refused(kind, why);
        return new CoAPMessageFormatException(why, message.getToken(), message.getMID(), message.getRawCode(),
                message.isConfirmable(), code);
    }
}
