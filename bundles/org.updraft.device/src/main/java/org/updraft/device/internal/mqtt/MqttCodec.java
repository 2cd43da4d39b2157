package org.updraft.device.internal.mqtt;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.updraft.device.internal.mqtt.MqttPacket.ConnAck;
import org.updraft.device.internal.mqtt.MqttPacket.Connect;
import org.updraft.device.internal.mqtt.MqttPacket.Disconnect;
import org.updraft.device.internal.mqtt.MqttPacket.PingReq;
import org.updraft.device.internal.mqtt.MqttPacket.PingResp;
import org.updraft.device.internal.mqtt.MqttPacket.PubAck;
import org.updraft.device.internal.mqtt.MqttPacket.Publish;
import org.updraft.device.internal.mqtt.MqttPacket.SubAck;
import org.updraft.device.internal.mqtt.MqttPacket.Subscribe;

/**
 * MQTT 5.0's wire format for a client (OASIS MQTT Version 5.0, chapters 1 to 3): it writes what a client sends and
 * reads what a server sends. Reading is strict, because the bytes come from the network: a packet that is
 * truncated, has a remaining length that is not a minimal Variable Byte Integer, carries a property its type may
 * not have or one twice, or is larger than the Maximum Packet Size the device announced, is an
 * {@link MqttProtocolException}, whose reason code the connection sends in its DISCONNECT before it closes. A
 * packet only a client sends (CONNECT, SUBSCRIBE, PINGREQ) or one of a feature this client never asks for (QoS 2,
 * UNSUBSCRIBE, enhanced authentication) is a protocol error when it arrives.
 */
public final class MqttCodec {

    static final int CONNECT = 1;
    static final int CONNACK = 2;
    static final int PUBLISH = 3;
    static final int PUBACK = 4;
    static final int SUBSCRIBE = 8;
    static final int SUBACK = 9;
    static final int PINGREQ = 12;
    static final int PINGRESP = 13;
    static final int DISCONNECT = 14;

    /** The largest Variable Byte Integer (four bytes), and so the largest remaining length. */
    public static final int MAX_VARIABLE = 268_435_455;

    private static final String[] NAMES = {"reserved", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL",
        "PUBCOMP", "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"};

    /** The properties each packet a server sends may have (MQTT 5.0, 3.x.2.2). */
    private static final Map<Integer, Set<Integer>> ALLOWED = Map.of(
            CONNACK, Set.of(MqttProperties.SESSION_EXPIRY, MqttProperties.RECEIVE_MAXIMUM, MqttProperties.MAXIMUM_QOS,
                    MqttProperties.RETAIN_AVAILABLE, MqttProperties.MAXIMUM_PACKET_SIZE,
                    MqttProperties.ASSIGNED_CLIENT_ID, MqttProperties.TOPIC_ALIAS_MAXIMUM,
                    MqttProperties.REASON_STRING, MqttProperties.USER_PROPERTY, MqttProperties.WILDCARD_AVAILABLE,
                    MqttProperties.SUBSCRIPTION_IDS_AVAILABLE, MqttProperties.SHARED_AVAILABLE,
                    MqttProperties.SERVER_KEEP_ALIVE, MqttProperties.RESPONSE_INFO, MqttProperties.SERVER_REFERENCE,
                    MqttProperties.AUTH_METHOD, MqttProperties.AUTH_DATA),
            PUBLISH, Set.of(MqttProperties.PAYLOAD_FORMAT, MqttProperties.MESSAGE_EXPIRY, MqttProperties.TOPIC_ALIAS,
                    MqttProperties.RESPONSE_TOPIC, MqttProperties.CORRELATION_DATA, MqttProperties.USER_PROPERTY,
                    MqttProperties.SUBSCRIPTION_ID, MqttProperties.CONTENT_TYPE),
            PUBACK, Set.of(MqttProperties.REASON_STRING, MqttProperties.USER_PROPERTY),
            SUBACK, Set.of(MqttProperties.REASON_STRING, MqttProperties.USER_PROPERTY),
            DISCONNECT, Set.of(MqttProperties.SESSION_EXPIRY, MqttProperties.REASON_STRING,
                    MqttProperties.USER_PROPERTY, MqttProperties.SERVER_REFERENCE));

    private MqttCodec() {
    }

    // ---- writing ----

    /** The packet's bytes, fixed header included. */
    public static byte[] encode(MqttPacket packet) {
        Out body = new Out();
        int first;
        if (packet instanceof Connect c) {
            first = CONNECT << 4;
            body.utf8("MQTT");
            body.write(5);
            int flags = (c.cleanStart() ? 0x02 : 0) | (c.userName() != null ? 0x80 : 0)
                    | (c.password() != null ? 0x40 : 0);
            body.write(flags);
            body.twoBytes(c.keepAliveSeconds());
            body.properties(c.properties());
            body.utf8(c.clientId());
            if (c.userName() != null) {
                body.utf8(c.userName());
            }
            if (c.password() != null) {
                body.binary(c.password());
            }
        } else if (packet instanceof Publish p) {
            first = PUBLISH << 4 | (p.duplicate() ? 0x08 : 0) | p.qos() << 1 | (p.retain() ? 1 : 0);
            body.utf8(p.topic());
            if (p.qos() > 0) {
                body.twoBytes(p.packetId());
            }
            body.properties(p.properties());
            body.writeBytes(p.payload());
        } else if (packet instanceof PubAck a) {
            first = PUBACK << 4;
            body.twoBytes(a.packetId());
            // success without properties is the short form (3.4.2.1)
            if (a.reasonCode() != 0 || !a.properties().isEmpty()) {
                body.write(a.reasonCode());
                if (!a.properties().isEmpty()) {
                    body.properties(a.properties());
                }
            }
        } else if (packet instanceof Subscribe s) {
            first = SUBSCRIBE << 4 | 0x02;
            body.twoBytes(s.packetId());
            body.properties(s.properties());
            for (String filter : s.topicFilters()) {
                body.utf8(filter);
                body.write(s.maxQos());
            }
        } else if (packet instanceof PingReq) {
            first = PINGREQ << 4;
        } else if (packet instanceof Disconnect d) {
            first = DISCONNECT << 4;
            if (d.reasonCode() != 0 || !d.properties().isEmpty()) {
                body.write(d.reasonCode());
                if (!d.properties().isEmpty()) {
                    body.properties(d.properties());
                }
            }
        } else if (packet instanceof ConnAck c) {
            first = CONNACK << 4;
            body.write(c.sessionPresent() ? 1 : 0);
            body.write(c.reasonCode());
            body.properties(c.properties());
        } else if (packet instanceof SubAck s) {
            first = SUBACK << 4;
            body.twoBytes(s.packetId());
            body.properties(s.properties());
            s.reasonCodes().forEach(body::write);
        } else if (packet instanceof PingResp) {
            first = PINGRESP << 4;
        } else {
            throw new IllegalArgumentException("cannot encode " + packet);
        }
        Out out = new Out();
        out.write(first);
        out.variable(body.size());
        body.writeTo(out);
        return out.toByteArray();
    }

    /** How many bytes the Variable Byte Integer {@code value} takes. */
    public static int variableSize(long value) {
        if (value < 0 || value > MAX_VARIABLE) {
            throw new IllegalArgumentException("a Variable Byte Integer is 0 to " + MAX_VARIABLE + ", not " + value);
        }
        return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
    }

    /** A packet's size on the wire, for a body of {@code remaining} bytes. */
    public static long packetSize(long remaining) {
        return 1 + variableSize(remaining) + remaining;
    }

    /** A byte buffer with MQTT's data types (1.5). */
    static final class Out extends ByteArrayOutputStream {

        void twoBytes(int value) {
            write(value >>> 8);
            write(value);
        }

        void fourBytes(long value) {
            for (int shift = 24; shift >= 0; shift -= 8) {
                write((int) (value >>> shift));
            }
        }

        void variable(long value) {
            variableSize(value);
            do {
                int digit = (int) (value % 128);
                value /= 128;
                write(value > 0 ? digit | 0x80 : digit);
            } while (value > 0);
        }

        void utf8(String text) {
            binary(text.getBytes(StandardCharsets.UTF_8));
        }

        void binary(byte[] data) {
            if (data.length > 0xFFFF) {
                throw new IllegalArgumentException("a string or binary field holds at most 65535 bytes, not "
                        + data.length);
            }
            twoBytes(data.length);
            writeBytes(data);
        }

        void properties(MqttProperties properties) {
            Out p = new Out();
            properties.values().forEach((id, value) -> {
                p.variable(id);
                switch (MqttProperties.type(id)) {
                    case BYTE -> p.write(((Long) value).intValue());
                    case TWO_BYTES -> p.twoBytes(((Long) value).intValue());
                    case FOUR_BYTES -> p.fourBytes((Long) value);
                    case UTF8 -> p.utf8((String) value);
                    case BINARY -> p.binary((byte[]) value);
                    default -> throw new IllegalStateException("property " + id);
                }
            });
            for (long id : properties.subscriptionIds()) {
                p.variable(MqttProperties.SUBSCRIPTION_ID);
                p.variable(id);
            }
            for (Map.Entry<String, String> user : properties.userProperties()) {
                p.variable(MqttProperties.USER_PROPERTY);
                p.utf8(user.getKey());
                p.utf8(user.getValue());
            }
            variable(p.size());
            p.writeTo(this);
        }

        private void writeTo(Out other) {
            other.write(buf, 0, count);
        }
    }

    // ---- reading ----

    /**
     * The next packet from a server, or null when the stream ends between packets.
     *
     * @param maxPacketSize the Maximum Packet Size the client announced: a larger packet is refused before its body
     *        is read
     * @throws EOFException when the stream ends inside a packet
     * @throws MqttProtocolException when the packet breaks MQTT 5.0 or is too large
     */
    public static MqttPacket read(InputStream in, long maxPacketSize) throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        long remaining = 0;
        int length = 0;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the connection ended inside the fixed header of a " + name(first)
                        + " packet");
            }
            remaining = variableDigit(remaining, b, length++);
            if ((b & 0x80) == 0) {
                break;
            }
        }
        long size = 1 + length + remaining;
        if (size > maxPacketSize) {
            throw new MqttProtocolException(MqttProtocolException.PACKET_TOO_LARGE, "a " + name(first)
                    + " packet of " + size + " bytes is over the maximum packet size of " + maxPacketSize + " bytes");
        }
        byte[] body = in.readNBytes((int) remaining);
        if (body.length < remaining) {
            throw new EOFException("the connection ended " + body.length + " bytes into the " + remaining
                    + "-byte body of a " + name(first) + " packet");
        }
        return decode(first, body);
    }

    /** One whole packet, fixed header included, as {@link #read} takes it from a stream. */
    public static MqttPacket decode(byte[] packet, long maxPacketSize) throws MqttProtocolException {
        if (packet.length < 2) {
            throw MqttProtocolException.malformed("truncated: " + packet.length + " bytes are no fixed header");
        }
        long remaining = 0;
        int i = 1;
        while (true) {
            if (i >= packet.length) {
                throw MqttProtocolException.malformed("truncated inside the remaining length");
            }
            int b = packet[i] & 0xFF;
            remaining = variableDigit(remaining, b, i - 1);
            i++;
            if ((b & 0x80) == 0) {
                break;
            }
        }
        if (i + remaining > maxPacketSize) {
            throw new MqttProtocolException(MqttProtocolException.PACKET_TOO_LARGE, "a " + name(packet[0] & 0xFF)
                    + " packet of " + (i + remaining) + " bytes is over the maximum packet size of " + maxPacketSize
                    + " bytes");
        }
        if (packet.length - i != remaining) {
            throw MqttProtocolException.malformed("the remaining length says " + remaining + " bytes, "
                    + (packet.length - i) + " follow (" + (packet.length - i < remaining ? "truncated" : "extra bytes")
                    + ")");
        }
        byte[] body = new byte[(int) remaining];
        System.arraycopy(packet, i, body, 0, body.length);
        return decode(packet[0] & 0xFF, body);
    }

    /** Adds the {@code index}th byte of a Variable Byte Integer; at most four, the last not a redundant zero. */
    private static long variableDigit(long value, int b, int index) throws MqttProtocolException {
        if (index >= 4) {
            throw MqttProtocolException.malformed("a Variable Byte Integer of more than four bytes");
        }
        if (index > 0 && b == 0) {
            throw MqttProtocolException.malformed("a Variable Byte Integer not in its shortest form");
        }
        return value | (long) (b & 0x7F) << (7 * index);
    }

    private static String name(int first) {
        return NAMES[first >>> 4 & 0x0F];
    }

    private static MqttPacket decode(int first, byte[] body) throws MqttProtocolException {
        int type = first >>> 4;
        int flags = first & 0x0F;
        if (type != PUBLISH && flags != 0 && !(flags == 0x02 && (type == 6 || type == 8 || type == 10))) {
            throw MqttProtocolException.malformed("a " + name(first) + " packet with fixed header flags " + flags);
        }
        In in = new In(body, name(first));
        MqttPacket packet = switch (type) {
            case CONNACK -> {
                int ackFlags = in.u8();
                if ((ackFlags & 0xFE) != 0) {
                    throw MqttProtocolException.malformed("CONNACK acknowledge flags " + ackFlags);
                }
                int reason = in.u8();
                yield new ConnAck(ackFlags == 1, reason, in.properties(CONNACK));
            }
            case PUBLISH -> {
                int qos = flags >>> 1 & 0x03;
                if (qos == 3) {
                    throw MqttProtocolException.malformed("a PUBLISH packet with QoS 3");
                }
                if (qos == 2) {
                    throw MqttProtocolException.protocolError("a PUBLISH at QoS 2 to a client that subscribes at"
                            + " QoS 1 at most");
                }
                if (qos == 0 && (flags & 0x08) != 0) {
                    throw MqttProtocolException.malformed("a QoS 0 PUBLISH marked as a duplicate");
                }
                String topic = in.utf8();
                if (topic.contains("+") || topic.contains("#")) {
                    throw MqttProtocolException.protocolError("a PUBLISH to the topic filter '" + topic + "'");
                }
                int id = 0;
                if (qos > 0) {
                    id = in.u16();
                    if (id == 0) {
                        throw MqttProtocolException.protocolError("a QoS 1 PUBLISH with packet identifier 0");
                    }
                }
                MqttProperties properties = in.properties(PUBLISH);
                if (properties.has(MqttProperties.TOPIC_ALIAS)) {
                    throw MqttProtocolException.protocolError("a Topic Alias to a client whose Topic Alias Maximum"
                            + " is 0");
                }
                if (topic.isEmpty()) {
                    throw MqttProtocolException.protocolError("a PUBLISH without a topic name");
                }
                yield new Publish(topic, qos, (flags & 1) != 0, (flags & 0x08) != 0, id, properties, in.rest());
            }
            case PUBACK -> {
                int id = in.u16();
                int reason = in.available() > 0 ? in.u8() : 0;
                yield new PubAck(id, reason, in.available() > 0 ? in.properties(PUBACK) : new MqttProperties());
            }
            case SUBACK -> {
                int id = in.u16();
                MqttProperties properties = in.properties(SUBACK);
                List<Integer> reasons = new ArrayList<>();
                while (in.available() > 0) {
                    reasons.add(in.u8());
                }
                if (reasons.isEmpty()) {
                    throw MqttProtocolException.protocolError("a SUBACK without reason codes");
                }
                yield new SubAck(id, reasons, properties);
            }
            case PINGRESP -> new PingResp();
            case DISCONNECT -> {
                int reason = in.available() > 0 ? in.u8() : 0;
                yield new Disconnect(reason, in.available() > 0 ? in.properties(DISCONNECT) : new MqttProperties());
            }
            case 0 -> throw MqttProtocolException.malformed("packet type 0 is reserved");
            case CONNECT, SUBSCRIBE, 10, PINGREQ -> throw MqttProtocolException.protocolError("a server never sends "
                    + name(first));
            default -> throw MqttProtocolException.protocolError("a " + name(first) + " packet to a client that"
                    + " uses neither QoS 2, UNSUBSCRIBE nor enhanced authentication");
        };
        if (in.available() > 0) {
            throw MqttProtocolException.malformed(in.available() + " bytes left over after a " + name(first)
                    + " packet");
        }
        return packet;
    }

    /** Reads MQTT's data types from a packet's body; running out of bytes is a malformed packet. */
    private static final class In {
        private final byte[] data;
        private final String packet;
        private int position;
        private int limit;

        In(byte[] data, String packet) {
            this.data = data;
            this.packet = packet;
            this.limit = data.length;
        }

        int available() {
            return limit - position;
        }

        private void need(int n, String what) throws MqttProtocolException {
            if (available() < n) {
                throw MqttProtocolException.malformed("truncated: the " + packet + " packet ends inside " + what);
            }
        }

        int u8() throws MqttProtocolException {
            need(1, "a byte");
            return data[position++] & 0xFF;
        }

        int u16() throws MqttProtocolException {
            need(2, "a two-byte integer");
            int v = (data[position] & 0xFF) << 8 | data[position + 1] & 0xFF;
            position += 2;
            return v;
        }

        long u32() throws MqttProtocolException {
            need(4, "a four-byte integer");
            long v = 0;
            for (int i = 0; i < 4; i++) {
                v = v << 8 | data[position++] & 0xFF;
            }
            return v;
        }

        long variable() throws MqttProtocolException {
            long value = 0;
            for (int i = 0;; i++) {
                need(1, "a Variable Byte Integer");
                int b = data[position++] & 0xFF;
                value = variableDigit(value, b, i);
                if ((b & 0x80) == 0) {
                    return value;
                }
            }
        }

        byte[] binary() throws MqttProtocolException {
            int n = u16();
            need(n, "a " + n + "-byte field");
            byte[] v = new byte[n];
            System.arraycopy(data, position, v, 0, n);
            position += n;
            return v;
        }

        String utf8() throws MqttProtocolException {
            byte[] bytes = binary();
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw MqttProtocolException.malformed("a string in a " + packet + " packet is not well-formed UTF-8");
            }
            if (text.indexOf('\u0000') >= 0) {
                throw MqttProtocolException.malformed("a string in a " + packet + " packet holds U+0000");
            }
            return text;
        }

        byte[] rest() {
            byte[] v = new byte[available()];
            System.arraycopy(data, position, v, 0, v.length);
            position = limit;
            return v;
        }

        MqttProperties properties(int type) throws MqttProtocolException {
            long length = variable();
            need((int) Math.min(Integer.MAX_VALUE, length), "its properties");
            int outer = limit;
            limit = position + (int) length;
            MqttProperties properties = new MqttProperties();
            Set<Integer> allowed = ALLOWED.get(type);
            while (available() > 0) {
                long id = variable();
                MqttProperties.Type kind = id > 0x7F ? null : MqttProperties.type((int) id);
                if (kind == null) {
                    throw MqttProtocolException.malformed("unknown property identifier " + id + " in a " + packet
                            + " packet");
                }
                if (!allowed.contains((int) id)) {
                    throw MqttProtocolException.protocolError(String.format("property 0x%02X in a %s packet", id,
                            packet));
                }
                if (properties.has((int) id)) {
                    throw MqttProtocolException.protocolError(String.format("property 0x%02X twice in a %s packet",
                            id, packet));
                }
                switch (kind) {
                    case BYTE -> properties.put((int) id, (long) check((int) id, u8()));
                    case TWO_BYTES -> properties.put((int) id, (long) check((int) id, u16()));
                    case FOUR_BYTES -> properties.put((int) id, (long) check((int) id, u32()));
                    case VARIABLE -> {
                        long subscription = variable();
                        if (subscription == 0) {
                            throw MqttProtocolException.protocolError("subscription identifier 0");
                        }
                        properties.subscriptionId(subscription);
                    }
                    case UTF8 -> properties.put((int) id, utf8());
                    case BINARY -> properties.put((int) id, binary());
                    case PAIR -> properties.userProperty(utf8(), utf8());
                }
            }
            limit = outer;
            return properties;
        }

        /** The values MQTT 5.0 forbids: a flag other than 0 or 1, a zero Receive Maximum or Maximum Packet Size. */
        private long check(int id, long value) throws MqttProtocolException {
            boolean bad = switch (id) {
                case MqttProperties.PAYLOAD_FORMAT, MqttProperties.MAXIMUM_QOS, MqttProperties.RETAIN_AVAILABLE,
                        MqttProperties.WILDCARD_AVAILABLE, MqttProperties.SUBSCRIPTION_IDS_AVAILABLE,
                        MqttProperties.SHARED_AVAILABLE -> value > 1;
                case MqttProperties.RECEIVE_MAXIMUM, MqttProperties.MAXIMUM_PACKET_SIZE,
                        MqttProperties.TOPIC_ALIAS -> value == 0;
                default -> false;
            };
            if (bad) {
                throw MqttProtocolException.protocolError(String.format("property 0x%02X with the value %d in a %s"
                        + " packet", id, value, packet));
            }
            return value;
        }
    }
}
