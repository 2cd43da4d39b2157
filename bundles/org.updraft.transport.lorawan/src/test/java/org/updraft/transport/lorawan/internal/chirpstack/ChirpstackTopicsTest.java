package org.updraft.transport.lorawan.internal.chirpstack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.updraft.core.json.JsonReader;
import org.updraft.transport.lorawan.internal.fuota.Direction;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.FragSessionStatusAns;
import org.updraft.transport.lorawan.internal.fuota.Ts004Version;

/** ChirpStack v4's MQTT integration: uplink events in, downlink commands out. */
class ChirpstackTopicsTest {

    private static final String APP = "0b4a4a0e-5b1c-4f43-9a2a-1bd1a4c1e5d2";
    private static final String TOPIC = "application/" + APP + "/device/0102030405060708/event/up";

    /** An uplink event as ChirpStack v4 writes it (its JSON encoding of UplinkEvent, gateway metadata included). */
    private static String event(String devEui, String extra) {
        return """
                {"deduplicationId":"3f1c9c1e-7a54-4f3b-8d2a-9e1f7c0b8a11","time":"2026-12-07T02:00:00.123456+00:00",
                 "deviceInfo":{"tenantId":"52f14cd4-c6f1-4fbd-8f87-4025e1d49242","tenantName":"Updraft",
                  "applicationId":"%s","applicationName":"meters",
                  "deviceProfileId":"e7b1c3a0-2a2b-4b9c-9f0e-5c1d2e3f4a5b","deviceProfileName":"EU868 class C",
                  "deviceName":"meter-1","devEui":"%s","deviceClassEnabled":"CLASS_C","tags":{}},
                 "devAddr":"01f2a3b4","adr":true,"dr":5,"fCnt":42,"fPort":201,"confirmed":false,
                 "data":"AQYsQQc=",%s
                 "rxInfo":[{"gatewayId":"0016c001ff10a235","uplinkId":1234,"rssi":-57,"snr":9.5,"channel":2,
                  "location":{},"context":"AAAAAA==","metadata":{"region_config_id":"eu868"},"crcStatus":"CRC_OK"}],
                 "txInfo":{"frequency":868500000,"modulation":{"lora":{"bandwidth":125000,"spreadingFactor":7,
                  "codeRate":"CR_4_5"}}}}
                """.formatted(APP, devEui, extra);
    }

    private static Uplink parse(String topic, String json) throws IntegrationException {
        return ChirpstackTopics.parseUplink(topic, json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void anUplinkEventGivesItsFrame() throws Exception {
        Uplink up = parse(TOPIC, event("0102030405060708", ""));
        assertEquals(new Uplink(APP, "0102030405060708", 42, 201, HexFormat.of().parseHex("01062c4107")), up);
        // the frame is a TS004 v2 FragSessionStatusAns
        assertEquals(List.of(new FragSessionStatusAns(1, 300, 7, false, true, true)),
                Fragmentation.of(Ts004Version.V2_0_0).decode(Direction.UPLINK, up.data()));
    }

    @Test
    void defaultsLeftOutOfTheJsonAreZero() throws Exception {
        Uplink up = parse(TOPIC, "{\"deviceInfo\":{\"devEui\":\"0102030405060708\"}}");
        assertEquals(0, up.fPort());
        assertEquals(0, up.fCnt());
        assertEquals(0, up.data().length);
        // upper-case DevEUIs name the same device
        assertEquals("0102030405060708", parse("application/" + APP + "/device/0102030405060708/event/up",
                "{\"deviceInfo\":{\"devEui\":\"0102030405060708\"},\"fPort\":1,\"data\":\"AA==\"}").devEui());
        assertEquals("aabbccddeeff0011", parse("application/x/device/AABBCCDDEEFF0011/event/up",
                "{\"deviceInfo\":{\"devEui\":\"aabbccddeeff0011\"}}").devEui());
    }

    private static String refused(String topic, String json) {
        return assertThrows(IntegrationException.class, () -> parse(topic, json)).getMessage();
    }

    @Test
    void malformedEventsAreRefusedSayingWhy() {
        assertEquals("topic 'application/a/device/0102030405060708/event/join' is a 'join' event, not an uplink",
                refused("application/a/device/0102030405060708/event/join", event("0102030405060708", "")));
        assertTrue(refused("application/a/device/01020304/event/up", "{}").contains("a DevEUI is 16 hex digits"));
        assertTrue(refused("updraft/up/dev/check", "{}").contains("is not application/{id}/device/{dev_eui}/event/up"));
        assertEquals("uplink of 0102030405060708: the event is about device 0807060504030201, its topic about "
                + "0102030405060708", refused(TOPIC, event("0807060504030201", "")));
        assertTrue(refused("application/other/device/0102030405060708/event/up", event("0102030405060708", ""))
                .contains("deviceInfo.applicationId " + APP + " is not the topic's other"));
        assertTrue(refused(TOPIC, "{\"deviceInfo\":{}}").contains("devEui is missing"));
        assertTrue(refused(TOPIC, "{\"fPort\":1}").contains("names no device"));
        assertTrue(refused(TOPIC, "not json").startsWith("uplink of 0102030405060708: "));
        assertTrue(refused(TOPIC, "[1,2]").contains("is not a JSON object"));
        assertTrue(refused(TOPIC, event("0102030405060708", "\"fPort\":300,").replace("\"fPort\":201,", ""))
                .contains("fPort must be an integer from 0 to 255, not 300"));
        assertTrue(refused(TOPIC, event("0102030405060708", "").replace("AQYsQQc=", "***"))
                .contains("data is not base64"));
        assertTrue(refused(TOPIC, "{\"devEui\":\"0102030405060708\",\"fPort\":1,\"data\":\""
                + java.util.Base64.getEncoder().encodeToString(new byte[243]) + "\"}")
                .contains("243 bytes is larger than any LoRaWAN frame payload (242)"));
        assertTrue(refused(TOPIC, "{\"devEui\":\"0102030405060708\",\"data\":\"AA==\"}")
                .contains("application data without fPort"));
        assertTrue(ChirpstackTopics.MAX_EVENT_BYTES < 100_000);
        assertTrue(assertThrows(IntegrationException.class, () -> ChirpstackTopics.parseUplink(TOPIC,
                new byte[ChirpstackTopics.MAX_EVENT_BYTES + 1])).getMessage().contains("more than an uplink event's"));
    }

    @Test
    void aDownlinkIsChirpstacksEnqueueJson() {
        Downlink down = new Downlink(APP, "0102030405060708", false, 201, HexFormat.of().parseHex("0801000102"));
        assertEquals("application/" + APP + "/device/0102030405060708/command/down", down.topic());
        Map<String, Object> json = JsonReader.object(JsonReader.parse(down.json()), "downlink");
        assertEquals(Map.of("devEui", "0102030405060708", "confirmed", false, "fPort", 201L, "data", "CAEAAQI="), json);
        assertEquals("application/" + APP + "/device/+/event/up", ChirpstackTopics.uplinkSubscription(APP));
        assertEquals("application/+/device/+/event/up", ChirpstackTopics.uplinkSubscription("+"));
        assertEquals("aabbccddeeff0011", new Downlink("a", "AABBCCDDEEFF0011", true, 200, new byte[0]).devEui());
    }

    @Test
    void downlinksThatCannotBeSentAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Downlink(APP, "0102", false, 201, new byte[1]));
        assertThrows(IllegalArgumentException.class, () -> new Downlink("a/#", "0102030405060708", false, 201, new byte[1]));
        assertThrows(IllegalArgumentException.class, () -> new Downlink(APP, "0102030405060708", false, 0, new byte[1]));
        assertThrows(IllegalArgumentException.class, () -> new Downlink(APP, "0102030405060708", false, 224, new byte[1]));
        assertThrows(IllegalArgumentException.class, () -> new Downlink(APP, "0102030405060708", false, 201, new byte[243]));
        assertThrows(IllegalArgumentException.class, () -> ChirpstackTopics.uplinkSubscription("#"));
    }

    @Test
    void mutatedEventsThrowOnlyIntegrationException() {
        long seed = Long.getLong("updraft.fuzz.seed", 20261207L);
        Random random = new Random(seed);
        byte[] good = event("0102030405060708", "").getBytes(StandardCharsets.UTF_8);
        int parsed = 0;
        String jsonBytes = "{}[]\",:0123456789-etfn";
        for (int i = 0; i < 5000; i++) {
            byte[] input = good.clone();
            for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                input[random.nextInt(input.length)] = (byte) (random.nextBoolean() ? random.nextInt(128)
                        : jsonBytes.charAt(random.nextInt(jsonBytes.length())));
            }
            try {
                ChirpstackTopics.parseUplink(TOPIC, input);
                parsed++;
            } catch (IntegrationException e) {
                assertTrue(!e.getMessage().isBlank());
            } catch (Throwable t) {
                fail("input " + new String(input, StandardCharsets.UTF_8) + " (seed " + seed + ") threw " + t, t);
            }
        }
        assertTrue(parsed > 100, "only " + parsed + " mutated events parsed");
    }

    @Test
    void uplinkBytesAreCopied() throws Exception {
        Uplink up = parse(TOPIC, event("0102030405060708", ""));
        up.data()[0] = 9;
        assertArrayEquals(HexFormat.of().parseHex("01062c4107"), up.data());
    }
}
