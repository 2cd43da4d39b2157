package org.updraft.transport.mqtt.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.device.Device;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.ObjectNotFoundException;
import org.updraft.api.store.StoreException;
import org.updraft.api.update.ReportReceipt;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.api.update.UpdateException;
import org.updraft.api.update.UpdateService;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.serving.ChunkCache;
import org.updraft.core.serving.CountedRefusals;
import org.updraft.core.serving.ReleaseImages;
import org.updraft.core.update.DeviceReports;
import org.updraft.core.update.Enrollment;
import org.updraft.core.update.Enrollments;
import org.updraft.core.update.AnswerStatements;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.core.update.UpdateFormatException;

/**
 * The device API's requests turned into {@link UpdateService} calls, their answers into MQTT messages. Every
 * request ends in one answer (on its Response Topic, or on the device's block topic for firmware blocks) or, when
 * there is nowhere to answer, in a dropped message counted by kind and logged at WARN at most once a minute per
 * kind; nothing escapes to the MQTT client's threads. The payloads are the CoAP transport's, from the same codecs
 * (docs/mqtt-api.md).
 */
final class DeviceRequests {

    /** Publishes a message; never throws (a failure is the connection's to report). */
    @FunctionalInterface
    interface Publisher {
        void publish(String topic, MqttMessage message);
    }

    static final String CBOR = "application/cbor";
    static final String TEXT = "text/plain; charset=utf-8";

    private static final Logger LOG = LoggerFactory.getLogger(DeviceRequests.class);
    private static final List<String> CHECK_FIELDS = List.of("seq", "nonce");
    private static final List<String> CONSISTENCY_FIELDS = List.of("first", "second");
    private static final List<String> BLOCK_FIELDS = List.of("cid", "offset", "length", "max-packet");
    /**
     * Bytes a PUBLISH of a block takes besides its topic, correlation data and CBOR payload, at most: fixed header
     * (1 + a 4-byte remaining length), packet identifier (2), property length (4), content type (3 + 16), and what
     * a broker may add on its way to the device: a subscription identifier (1 + 4) and a topic alias (3).
     */
    private static final int PUBLISH_OVERHEAD = 1 + 4 + 2 + 4 + 3 + CBOR.length() + 5 + 3;

    private final Topics topics;
    private final UpdateService updates;
    private final Supplier<FirmwareStore> store;
    private final ReleaseImages images;
    private final ChunkCache chunks;
    private final RetainedOffers offers;
    private final Limits limits;
    private final Publisher publisher;
    /** Requests dropped by kind; the CoAP transport counts its malformed input the same way. */
    private final CountedRefusals dropped = new CountedRefusals(DeviceRequests.class, "MQTT device API refused malformed input");
    /** Requests that failed with a platform bug, by exception class; logged here, with their stack trace. */
    private final CountedRefusals failures = new CountedRefusals(CountedRefusals.INTERVAL, System::nanoTime,
            (kind, since, total, detail) -> { });
    private final LongAdder handled = new LongAdder();

    DeviceRequests(Topics topics, UpdateService updates, Supplier<FirmwareStore> store, ReleaseImages images,
            ChunkCache chunks, RetainedOffers offers, Limits limits, Publisher publisher) {
        this.topics = topics;
        this.updates = updates;
        this.store = store;
        this.images = images;
        this.chunks = chunks;
        this.offers = offers;
        this.limits = limits;
        this.publisher = publisher;
    }

    /** Requests dropped because there was nowhere (or nowhere safe) to answer them. */
    long dropped() {
        return dropped.total();
    }

    /** The requests dropped by kind, e.g. {@code foreign-response-topic 1, malformed 2}; empty when none. */
    String droppedByKind() {
        return dropped.summary();
    }

    /** The requests that failed with a platform bug, by exception class; empty when none. */
    String failedByClass() {
        return failures.summary();
    }

    /** Requests that reached this node, answered or not. */
    long handled() {
        return handled.sum();
    }

    /** Handles one message that arrived on a request topic. */
    void handle(String topic, MqttMessage message) {
        handled.increment();
        Optional<Topics.Request> parsed = topics.request(topic);
        if (parsed.isEmpty()) {
            drop("bad-topic", topic, "not a request topic with a valid device id");
            return;
        }
        Topics.Request request = parsed.get();
        String device = request.deviceId();
        MqttProperties properties = message.getProperties();
        String responseTopic = properties == null ? null : properties.getResponseTopic();
        byte[] correlation = properties == null ? null : properties.getCorrelationData();
        if (responseTopic != null && !topics.isResponseTopicOf(device, responseTopic)) {
            // answering there would let one device publish on another's topics through the platform
            drop("foreign-response-topic", topic, "its Response Topic '" + responseTopic + "' is not below "
                    + topics.prefix() + "/down/" + device + "/");
            return;
        }
        String answerTopic = request.kind() == Topics.Kind.FW ? topics.blocks(device) : responseTopic;
        try {
            byte[] payload = payload(message);
            switch (request.kind()) {
            case CHECK -> {
                if (responseTopic == null) {
                    throw Refusal.malformed("a check needs a Response Topic below " + topics.prefix() + "/down/"
                            + device + "/");
                }
                reply(answerTopic, correlation, check(device, payload));
            }
            case FW -> block(device, payload, correlation);
            case REPORT -> reply(answerTopic, correlation, report(device, payload));
            case ENROLL -> reply(answerTopic, correlation, enroll(device, payload));
            case CONSISTENCY -> {
                if (responseTopic == null) {
                    throw Refusal.malformed("a consistency request needs a Response Topic below " + topics.prefix()
                            + "/down/" + device + "/");
                }
                reply(answerTopic, correlation, consistency(payload));
            }
            default -> throw new IllegalStateException(request.kind().toString());
            }
        } catch (Refusal refusal) {
            refuse(topic, answerTopic, correlation, refusal);
        } catch (RuntimeException e) {
            // a platform bug, which some input may trigger at will: its stack trace at most once a minute per class
            String kind = e.getClass().getSimpleName();
            if (failures.refused(kind, topic)) {
                LOG.warn("MQTT request on {} failed ({} {} so far; a stack trace at most once a minute per exception "
                        + "class, the others at DEBUG)", topic, failures.count(kind), kind, e);
            } else {
                LOG.debug("MQTT request on {} failed", topic, e);
            }
            refuse(topic, answerTopic, correlation, Refusal.internal("internal error (" + kind
                    + "); the platform's log has the details"));
        }
    }

    private byte[] payload(MqttMessage message) throws Refusal {
        byte[] payload = message.getPayload();
        if (payload == null || payload.length == 0) {
            throw Refusal.malformed("the request is empty");
        }
        if (payload.length > limits.maxRequestBytes()) {
            throw Refusal.tooLarge("the request has " + payload.length + " bytes, more than the "
                    + limits.maxRequestBytes() + " accepted");
        }
        return payload;
    }

    private byte[] check(String device, byte[] payload) throws Refusal {
        long sequence;
        byte[] nonce;
        try {
            CborMap request = CborMap.decode("check request", payload).onlyKeys(CHECK_FIELDS);
            sequence = request.unsigned("seq");
            nonce = request.has("nonce") ? request.bytes("nonce") : new byte[0];
        } catch (CborException e) {
            throw Refusal.malformed(e.getMessage());
        }
        if (nonce.length > AnswerStatements.MAX_NONCE_BYTES) {
            throw Refusal.malformed("check request: a nonce has at most " + AnswerStatements.MAX_NONCE_BYTES
                    + " bytes, not " + nonce.length);
        }
        UpdateAnswer answer;
        byte[] statement;
        try {
            answer = updates.check(device, sequence);
            statement = updates.statement(device, answer, nonce);
        } catch (UpdateException e) {
            throw Refusal.of(e, limits.unavailableRetry());
        }
        if (answer instanceof UpdateAnswer.Offer offer) {
            images.learn(offer);
        }
        offers.checked(device, sequence, answer);
        return UpdateAnswers.encode(answer, statement);
    }

    private byte[] consistency(byte[] payload) throws Refusal {
        long first;
        long second;
        try {
            CborMap map = CborMap.decode("consistency request", payload).onlyKeys(CONSISTENCY_FIELDS);
            first = map.unsigned("first");
            second = map.unsigned("second");
        } catch (CborException e) {
            throw Refusal.malformed(e.getMessage());
        }
        try {
            return UpdateAnswers.encodeConsistency(updates.consistency(first, second));
        } catch (UpdateException e) {
            throw Refusal.of(e, limits.unavailableRetry());
        }
    }

    private void block(String device, byte[] payload, byte[] correlation) throws Refusal {
        String text;
        long offset;
        long asked;
        long maxPacket;
        try {
            CborMap map = CborMap.decode("block request", payload).onlyKeys(BLOCK_FIELDS);
            text = map.text("cid");
            offset = map.unsigned("offset");
            asked = map.unsigned("length");
            maxPacket = map.has("max-packet") ? map.unsigned("max-packet") : Long.MAX_VALUE;
        } catch (CborException e) {
            throw Refusal.malformed(e.getMessage());
        }
        if (asked == 0) {
            throw Refusal.malformed("block request: length must be at least 1");
        }
        Cid cid;
        try {
            cid = Cid.parse(text);
        } catch (IllegalArgumentException e) {
            throw Refusal.malformed(e.getMessage());
        }
        ReleaseImages.Image image = images.find(cid)
                .orElseThrow(() -> Refusal.notFound("no published release has the image " + text));
        if (offset >= image.size()) {
            throw Refusal.outOfRange("the block starts at byte " + offset + ", past the end of the " + image.size()
                    + "-byte image");
        }
        String topic = topics.blocks(device);
        long room = maxPacket - envelope(topic, correlation, text, offset, image.size());
        if (room < 1) {
            throw Refusal.malformed("max-packet " + maxPacket + " leaves no room for a block: a block answer on "
                    + topic + " needs " + (maxPacket - room + 1) + " bytes at least");
        }
        int length = (int) Math.min(Math.min(asked, limits.maxBlockSize()), Math.min(room, image.size() - offset));
        FirmwareStore target = store.get();
        if (target == null) {
            throw Refusal.unavailable("no firmware store is running; retry later", limits.unavailableRetry());
        }
        byte[] data;
        try {
            data = chunks.read(target, image.cid(), image.size(), offset, length);
        } catch (ObjectNotFoundException e) {
            throw Refusal.notFound("the firmware store does not hold " + text);
        } catch (StoreException e) {
            throw Refusal.unavailable("the firmware store failed: " + e.getMessage(), limits.unavailableRetry());
        }
        reply(topic, correlation, Cbor.encode(blockAnswer(text, offset, image.size(), data)));
        try {
            updates.bytesServed(image.releaseId(), length);
        } catch (RuntimeException e) {
            // statistics must not cost the device its block
            LOG.debug("Counting bytes served of {} failed", image.releaseId(), e);
        }
    }

    private static Map<Object, Object> blockAnswer(String cid, long offset, long size, byte[] data) {
        Map<Object, Object> map = new TreeMap<>();
        map.put("cid", cid);
        map.put("offset", offset);
        map.put("size", size);
        map.put("data", data);
        return map;
    }

    /** The most a block answer takes besides its data's bytes, as the device receives it. */
    static long envelope(String topic, byte[] correlation, String cid, long offset, long size) {
        int empty = Cbor.encode(blockAnswer(cid, offset, size, new byte[0])).length;
        int correlationBytes = correlation == null ? 0 : 3 + correlation.length;
        // a byte string's head grows from 1 byte (empty) to at most 5
        return PUBLISH_OVERHEAD + 2 + topic.getBytes(StandardCharsets.UTF_8).length + correlationBytes + empty + 4;
    }

    private byte[] report(String device, byte[] payload) throws Refusal {
        String about;
        try {
            about = DeviceReports.parse(payload).report().deviceId();
        } catch (UpdateFormatException e) {
            throw Refusal.malformed(e.getMessage());
        }
        if (!device.equals(about)) {
            // the update service checks the signature with the key of the device the report names
            throw Refusal.wrongDevice("the report is about device " + about + ", published on the topic of "
                    + device);
        }
        ReportReceipt receipt;
        try {
            receipt = updates.report(payload);
        } catch (UpdateException e) {
            throw Refusal.of(e, limits.unavailableRetry());
        }
        return Cbor.encode(Map.of("index", receipt.duplicate() ? -1L : receipt.ledgerIndex()));
    }

    private byte[] enroll(String device, byte[] payload) throws Refusal {
        if (!limits.autoRegister()) {
            throw Refusal.forbidden("this platform does not register devices on request (auto.register=false); "
                    + "an operator registers them");
        }
        Enrollment enrollment;
        try {
            enrollment = Enrollments.verify(payload);
        } catch (UpdateFormatException e) {
            throw Refusal.malformed(e.getMessage());
        }
        if (!device.equals(enrollment.deviceId())) {
            throw Refusal.wrongDevice("the enrollment is of device " + enrollment.deviceId()
                    + ", published on the topic of " + device);
        }
        Device registered;
        try {
            registered = updates.enroll(payload);
        } catch (UpdateException e) {
            throw Refusal.of(e, limits.unavailableRetry());
        }
        return Cbor.encode(Map.of("device", registered.id()));
    }

    private void reply(String topic, byte[] correlation, byte[] payload) {
        if (topic == null) {
            return; // a report or enrollment without a Response Topic wants no answer
        }
        MqttMessage message = new MqttMessage(payload);
        message.setQos(limits.qos());
        message.setRetained(false);
        MqttProperties properties = new MqttProperties();
        properties.setContentType(CBOR);
        if (correlation != null) {
            properties.setCorrelationData(correlation);
        }
        message.setProperties(properties);
        publisher.publish(topic, message);
    }

    private void refuse(String requestTopic, String answerTopic, byte[] correlation, Refusal refusal) {
        if (answerTopic == null) {
            // the refusal's code is the kind: malformed, too-large, unknown-device, wrong-device, ...
            drop(refusal.code(), requestTopic, refusal.getMessage());
            return;
        }
        LOG.debug("Refused {}: {}: {}", requestTopic, refusal.code(), refusal.getMessage());
        MqttMessage message = new MqttMessage(refusal.getMessage().getBytes(StandardCharsets.UTF_8));
        message.setQos(limits.qos());
        message.setRetained(false);
        MqttProperties properties = new MqttProperties();
        properties.setContentType(TEXT);
        properties.setPayloadFormat(true);
        if (correlation != null) {
            properties.setCorrelationData(correlation);
        }
        List<UserProperty> user = new ArrayList<>();
        user.add(new UserProperty("error", refusal.code()));
        if (refusal.retryAfter() >= 0) {
            user.add(new UserProperty("retry-after", Long.toString(refusal.retryAfter())));
        }
        properties.setUserProperties(user);
        message.setProperties(properties);
        publisher.publish(answerTopic, message);
    }

    /**
     * Counted by kind, and logged at WARN at most once a minute per kind (with the count since the last line), so that
     * a device sending nonsense cannot flood the log.
     */
    private void drop(String kind, String topic, String why) {
        dropped.refused(kind, "on " + topic + ": " + why);
        LOG.debug("Dropped an MQTT message on {}: {}: {}", topic, kind, why);
    }
}
