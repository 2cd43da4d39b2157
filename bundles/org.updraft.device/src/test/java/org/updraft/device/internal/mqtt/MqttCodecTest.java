package org.updraft.device.internal.mqtt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
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
 * The device's MQTT 5 codec against byte sequences written by hand from the OASIS MQTT 5.0 specification (not by
 * the codec), round trips of the packets that go both ways, and the malformed input a broker (or whatever answers
 * on its port) might send.
 */
class MqttCodecTest {

    private static final long ANY_SIZE = MqttCodec.packetSize(MqttCodec.MAX_VARIABLE);

    private static byte[] hex(String text) {
        return HexFormat.of().parseHex(text.replace(" ", ""));
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    private static String ascii(String text) {
        return hex(text.getBytes(StandardCharsets.UTF_8));
    }

    private static MqttPacket decode(String hexBytes) throws MqttProtocolException {
        return MqttCodec.decode(hex(hexBytes), ANY_SIZE);
    }

    private static MqttProtocolException refused(String hexBytes) {
        return assertThrows(MqttProtocolException.class, () -> decode(hexBytes));
    }

    // ---- Variable Byte Integers (1.5.5) ----

    @Test
    void variableByteIntegersAtEveryLengthsEdges() {
        Map<Integer, String> expected = Map.of(0, "00", 127, "7f", 128, "8001", 16_383, "ff7f", 16_384, "808001",
                2_097_151, "ffff7f", 2_097_152, "80808001", 268_435_455, "ffffff7f");
        expected.forEach((value, bytes) -> {
            MqttCodec.Out out = new MqttCodec.Out();
            out.variable(value);
            assertEquals(bytes, hex(out.toByteArray()), "value " + value);
            assertEquals(bytes.length() / 2, MqttCodec.variableSize(value));
        });
        assertThrows(IllegalArgumentException.class, () -> new MqttCodec.Out().variable(268_435_456));
        assertThrows(IllegalArgumentException.class, () -> MqttCodec.variableSize(-1));
    }

    @Test
    void remainingLengthsAtTheEdgesReadBack() throws IOException {
        for (int remaining : new int[] {127, 128, 16_383, 16_384, 2_097_151, 2_097_152}) {
            // topic "t" (3 bytes), packet id (2), empty properties (1), then the payload
            byte[] payload = new byte[remaining - 6];
            payload[payload.length - 1] = 42;
            Publish publish = new Publish("t", 1, false, false, 7, new MqttProperties(), payload);
            byte[] bytes = MqttCodec.encode(publish);
            assertEquals(1 + MqttCodec.variableSize(remaining) + remaining, bytes.length, "remaining " + remaining);
            Publish back = (Publish) MqttCodec.read(new ByteArrayInputStream(bytes), bytes.length);
            assertArrayEquals(payload, back.payload(), "remaining " + remaining);
            assertEquals(7, back.packetId());
        }
    }

    @Test
    void theLargestRemainingLengthIsReadAndAFifthByteIsMalformed() throws IOException {
        // 268,435,455 announced: over a device's maximum, refused before anything of the body is read
        MqttProtocolException large = assertThrows(MqttProtocolException.class,
                () -> MqttCodec.read(new ByteArrayInputStream(hex("30 ffffff7f")), 16_384));
        assertEquals(MqttProtocolException.PACKET_TOO_LARGE, large.reasonCode());
        assertTrue(large.getMessage().contains("PUBLISH packet of 268435460 bytes is over the maximum packet size"
                + " of 16384 bytes"), large.getMessage());
        // within the maximum, it is a length like any other: the stream ends long before
        EOFException cut = assertThrows(EOFException.class,
                () -> MqttCodec.read(new ByteArrayInputStream(hex("30 ffffff7f 0001 74")), ANY_SIZE));
        assertTrue(cut.getMessage().contains("3 bytes into the 268435455-byte body of a PUBLISH packet"),
                cut.getMessage());

        MqttProtocolException five = assertThrows(MqttProtocolException.class,
                () -> MqttCodec.read(new ByteArrayInputStream(hex("30 ffffffff01")), ANY_SIZE));
        assertEquals(MqttProtocolException.MALFORMED, five.reasonCode());
        assertTrue(five.getMessage().contains("more than four bytes"), five.getMessage());
    }

    @Test
    void aRemainingLengthNotInItsShortestFormIsMalformed() {
        // 0 written in two bytes (1.5.5: the minimum number of bytes)
        MqttProtocolException e = refused("d0 8000");
        assertEquals(MqttProtocolException.MALFORMED, e.reasonCode());
        assertTrue(e.getMessage().contains("shortest form"), e.getMessage());
    }

    // ---- what a device sends, byte for byte ----

    @Test
    void connectWithCleanStartKeepAliveLoginAndProperties() {
        MqttProperties properties = new MqttProperties().put(MqttProperties.SESSION_EXPIRY, 0L)
                .put(MqttProperties.RECEIVE_MAXIMUM, 32L).put(MqttProperties.MAXIMUM_PACKET_SIZE, 4096L);
        byte[] bytes = MqttCodec.encode(new Connect("dev-1", true, 30, "dev-1",
                "pw".getBytes(StandardCharsets.UTF_8), properties));
        String expected = "10 2a" // CONNECT, 42 bytes follow
                + "0004" + ascii("MQTT") + "05" // protocol name, version 5
                + "c2" // user name, password, clean start
                + "001e" // keep alive 30 s
                + "0d 11 00000000 21 0020 27 00001000" // Session Expiry 0, Receive Maximum 32, Maximum Packet Size
                + "0005" + ascii("dev-1") // client id
                + "0005" + ascii("dev-1") // user name
                + "0002" + ascii("pw"); // password
        assertEquals(hex(hex(expected)), hex(bytes));
    }

    @Test
    void connectWithoutLoginOrProperties() {
        byte[] bytes = MqttCodec.encode(new Connect("d", false, 0, null, null, new MqttProperties()));
        assertEquals(hex(hex("10 0e 0004" + ascii("MQTT") + "05 00 0000 00 0001" + ascii("d"))), hex(bytes));
    }

    @Test
    void subscribe() {
        byte[] bytes = MqttCodec.encode(new Subscribe(1, List.of("updraft/down/dev-1/#"), 1, new MqttProperties()));
        // fixed header flags 0010 (3.8.1), packet id, no properties, the filter and its options (QoS 1)
        assertEquals(hex(hex("82 1a 0001 00 0014" + ascii("updraft/down/dev-1/#") + "01")), hex(bytes));
    }

    @Test
    void pingAndDisconnect() throws MqttProtocolException {
        assertEquals("c000", hex(MqttCodec.encode(new PingReq())));
        assertEquals("e000", hex(MqttCodec.encode(new Disconnect(0, new MqttProperties()))));
        assertEquals("e00181", hex(MqttCodec.encode(new Disconnect(0x81, new MqttProperties()))));
        assertInstanceOf(PingResp.class, decode("d0 00"));
    }

    @Test
    void aRequestWithResponseTopicAndCorrelationData() throws MqttProtocolException {
        MqttProperties properties = new MqttProperties().put(MqttProperties.CORRELATION_DATA, hex("00000007"))
                .put(MqttProperties.RESPONSE_TOPIC, "u/d/answers");
        Publish request = new Publish("u/up/d/check", 1, false, false, 258, properties, hex("a1 63736571 02"));
        byte[] bytes = MqttCodec.encode(request);
        String expected = "32 2c" // PUBLISH, QoS 1; 44 bytes follow
                + "000c" + ascii("u/up/d/check") + "0102" // topic, packet id 258
                + "15 08 000b" + ascii("u/d/answers") + "09 0004 00000007" // Response Topic, Correlation Data
                + "a1 63736571 02"; // {"seq": 2}
        assertEquals(hex(hex(expected)), hex(bytes));

        Publish back = (Publish) MqttCodec.decode(bytes, ANY_SIZE);
        assertEquals(request.topic(), back.topic());
        assertEquals(1, back.qos());
        assertEquals(258, back.packetId());
        assertEquals(properties, back.properties());
        assertArrayEquals(request.payload(), back.payload());
    }

    @Test
    void anAnswerWithEveryPropertyTheDeviceApiUsesRoundTrips() throws MqttProtocolException {
        MqttProperties properties = new MqttProperties().put(MqttProperties.CORRELATION_DATA, hex("0000002a"))
                .put(MqttProperties.CONTENT_TYPE, "application/cbor").put(MqttProperties.MESSAGE_EXPIRY, 600L)
                .put(MqttProperties.PAYLOAD_FORMAT, 0L).userProperty("error", "unavailable")
                .userProperty("retry-after", "30");
        Publish answer = new Publish("updraft/down/dev-1/offer", 0, true, false, 0, properties, new byte[0]);
        byte[] bytes = MqttCodec.encode(answer);
        assertEquals(0x31, bytes[0] & 0xFF, "PUBLISH, QoS 0, retained");
        Publish back = (Publish) MqttCodec.decode(bytes, ANY_SIZE);
        assertTrue(back.retain());
        assertEquals(0, back.packetId());
        assertEquals(properties, back.properties());
        assertEquals("unavailable", back.properties().userProperty("error"));
        assertEquals("30", back.properties().userProperty("retry-after"));
        assertEquals(600L, back.properties().number(MqttProperties.MESSAGE_EXPIRY));
        assertEquals(0, back.payload().length);
    }

    // ---- what a broker sends ----

    @Test
    void connAckSuccessWithTheBrokersLimits() throws MqttProtocolException {
        // mosquitto's: Receive Maximum 20, Maximum Packet Size 65536, Topic Alias Maximum 10, Retain Available 1
        ConnAck ack = (ConnAck) decode("20 10 00 00 0d 21 0014 27 00010000 22 000a 25 01");
        assertFalse(ack.sessionPresent());
        assertEquals(0, ack.reasonCode());
        assertEquals(20L, ack.properties().number(MqttProperties.RECEIVE_MAXIMUM));
        assertEquals(65_536L, ack.properties().number(MqttProperties.MAXIMUM_PACKET_SIZE));
        ConnAck present = (ConnAck) decode("20 03 01 00 00");
        assertTrue(present.sessionPresent());
    }

    @Test
    void connAckRefusalWithReasonString() throws MqttProtocolException {
        ConnAck ack = (ConnAck) decode("20 0a 00 86 07 1f 0004" + ascii("nope"));
        assertEquals(0x86, ack.reasonCode());
        MqttRefusal refusal = new MqttRefusal(ack.reasonCode(), ack.properties().text(MqttProperties.REASON_STRING));
        assertTrue(refusal.refusesLogin());
        assertEquals("reason code 134, bad user name or password: nope", refusal.getMessage());
        assertFalse(new MqttRefusal(0x89, null).refusesLogin(), "server busy is not about who the device is");
    }

    @Test
    void pubAckInItsShortAndLongForms() throws MqttProtocolException {
        assertEquals("40020007", hex(MqttCodec.encode(new PubAck(7, 0, new MqttProperties()))));
        assertEquals(new PubAck(7, 0, new MqttProperties()), decode("40 02 0007"));
        PubAck refused = (PubAck) decode("40 03 0007 87");
        assertEquals(0x87, refused.reasonCode());
        PubAck withReason = (PubAck) decode("40 0b 0007 87 07 1f 0004" + ascii("ACL!"));
        assertEquals("ACL!", withReason.properties().text(MqttProperties.REASON_STRING));
        assertEquals(0x87, ((PubAck) decode("40 04 0007 87 00")).reasonCode(), "an empty property length");
        PubAck roundTrip = new PubAck(9, 0x10, new MqttProperties().userProperty("a", "b"));
        assertEquals(roundTrip, MqttCodec.decode(MqttCodec.encode(roundTrip), ANY_SIZE));
    }

    @Test
    void subAckGrantsOrRefuses() throws MqttProtocolException {
        assertEquals(List.of(1), ((SubAck) decode("90 04 0001 00 01")).reasonCodes());
        assertEquals(List.of(0x87), ((SubAck) decode("90 04 0001 00 87")).reasonCodes());
        assertEquals(List.of(0, 1, 0x8f), ((SubAck) decode("90 06 0002 00 00 01 8f")).reasonCodes());
    }

    @Test
    void theBrokersDisconnectWithReason() throws MqttProtocolException {
        assertEquals(0, ((Disconnect) decode("e0 00")).reasonCode());
        Disconnect d = (Disconnect) decode("e0 0c 8e 0a 1f 0007" + ascii("kicked!"));
        assertEquals(0x8e, d.reasonCode());
        assertEquals("kicked!", d.properties().text(MqttProperties.REASON_STRING));
        Disconnect roundTrip = new Disconnect(0x98, new MqttProperties().put(MqttProperties.REASON_STRING, "x"));
        assertEquals(roundTrip, MqttCodec.decode(MqttCodec.encode(roundTrip), ANY_SIZE));
    }

    // ---- malformed input ----

    @Test
    void truncatedPackets() throws IOException {
        // the remaining length promises more than follows
        MqttProtocolException promised = refused("32 28 000c" + ascii("u/up/d/check"));
        assertTrue(promised.getMessage().contains("truncated"), promised.getMessage());
        // a field runs past the packet's end: a topic of 12 bytes in a body of 5
        MqttProtocolException field = refused("30 05 000c" + ascii("u/u"));
        assertEquals(MqttProtocolException.MALFORMED, field.reasonCode());
        assertTrue(field.getMessage().contains("truncated: the PUBLISH packet ends inside a 12-byte field"),
                field.getMessage());
        // properties longer than the packet
        assertTrue(refused("40 04 0007 87 05").getMessage().contains("ends inside its properties"));
        // from a stream: the connection ends inside a packet
        InputStream cut = new ByteArrayInputStream(hex("90 04 0001"));
        EOFException e = assertThrows(EOFException.class, () -> MqttCodec.read(cut, ANY_SIZE));
        assertTrue(e.getMessage().contains("2 bytes into the 4-byte body of a SUBACK packet"), e.getMessage());
        assertThrows(EOFException.class, () -> MqttCodec.read(new ByteArrayInputStream(hex("90 84")), ANY_SIZE));
        assertNull(MqttCodec.read(new ByteArrayInputStream(new byte[0]), ANY_SIZE), "the end between packets");
    }

    @Test
    void badRemainingLengths() {
        // more bytes than the remaining length says: what follows is not a packet
        assertTrue(refused("d0 00 00").getMessage().contains("extra bytes"));
        // a PINGRESP has no body
        assertTrue(refused("d0 01 00").getMessage().contains("1 bytes left over after a PINGRESP"));
        // a PUBACK's remaining length too short for its packet id
        assertTrue(refused("40 01 00").getMessage().contains("truncated"));
    }

    @Test
    void unknownMisplacedAndRepeatedProperties() {
        // identifier 0x05 is not a property of MQTT 5.0
        MqttProtocolException unknown = refused("40 06 0001 00 02 05 00");
        assertEquals(MqttProtocolException.MALFORMED, unknown.reasonCode());
        assertTrue(unknown.getMessage().contains("unknown property identifier 5 in a PUBACK"), unknown.getMessage());
        // a Response Topic is a property of PUBLISH and will messages, not of PUBACK
        MqttProtocolException misplaced = refused("40 08 0001 00 04 08 0001" + ascii("x"));
        assertEquals(MqttProtocolException.PROTOCOL_ERROR, misplaced.reasonCode());
        assertTrue(misplaced.getMessage().contains("property 0x08 in a PUBACK"), misplaced.getMessage());
        // a Receive Maximum twice
        assertTrue(refused("20 09 00 00 06 21 0014 21 0014").getMessage().contains("twice"));
        // a Receive Maximum of 0 (3.2.2.3.3)
        assertTrue(refused("20 06 00 00 03 21 0000").getMessage().contains("property 0x21 with the value 0"));
        // a Topic Alias to a client that allowed none
        assertTrue(refused("30 07 0001" + ascii("t") + "03 23 0001").getMessage().contains("Topic Alias"));
    }

    @Test
    void aPacketOverTheDevicesMaximumIsRefusedBeforeItsBodyIsRead() throws IOException {
        Publish big = new Publish("t", 0, false, false, 0, new MqttProperties(), new byte[5_000]);
        byte[] bytes = MqttCodec.encode(big);
        // a stream that holds only the fixed header: the body is never asked for
        InputStream header = new ByteArrayInputStream(bytes, 0, 3);
        MqttProtocolException e = assertThrows(MqttProtocolException.class, () -> MqttCodec.read(header, 4096));
        assertEquals(MqttProtocolException.PACKET_TOO_LARGE, e.reasonCode());
        assertTrue(e.getMessage().contains("PUBLISH packet of " + bytes.length + " bytes is over the maximum packet"
                + " size of 4096 bytes"), e.getMessage());
        // one byte less than the maximum, or exactly it, passes
        assertInstanceOf(Publish.class, MqttCodec.read(new ByteArrayInputStream(bytes), bytes.length));
        assertThrows(MqttProtocolException.class, () -> MqttCodec.decode(bytes, bytes.length - 1));
    }

    @Test
    void headersABrokerMayNotSend() {
        assertTrue(refused("00 00").getMessage().contains("reserved"));
        assertTrue(refused("41 02 0001").getMessage().contains("fixed header flags 1"), "PUBACK flags are 0000");
        assertTrue(refused("36 05 0001" + ascii("t") + "0001").getMessage().contains("QoS 3"));
        assertTrue(refused("38 04 0001" + ascii("t") + "00").getMessage().contains("duplicate"));
        assertEquals(MqttProtocolException.PROTOCOL_ERROR, refused("34 06 0001" + ascii("t") + "0001 00")
                .reasonCode(), "QoS 2 to a client that subscribed at QoS 1");
        assertTrue(refused("32 05 0001" + ascii("t") + "0000").getMessage().contains("packet identifier 0"));
        assertTrue(refused("10 00").getMessage().contains("a server never sends CONNECT"));
        assertTrue(refused("c0 00").getMessage().contains("a server never sends PINGREQ"));
        assertTrue(refused("50 02 0001").getMessage().contains("PUBREC"));
        assertTrue(refused("f0 00").getMessage().contains("AUTH"));
    }

    @Test
    void topicNamesMustBeWellFormed() {
        assertTrue(refused("30 04 0002 c328").getMessage().contains("not well-formed UTF-8"));
        assertTrue(refused("30 04 0002 7400").getMessage().contains("U+0000"));
        assertTrue(refused("30 04 0002 612b").getMessage().contains("topic filter 'a+'"));
        assertTrue(refused("30 03 0000 00").getMessage().contains("without a topic name"));
    }
}
