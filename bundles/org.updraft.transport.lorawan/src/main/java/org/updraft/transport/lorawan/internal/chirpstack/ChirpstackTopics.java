package org.updraft.transport.lorawan.internal.chirpstack;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.updraft.core.json.JsonReader;

/**
 * ChirpStack v4's MQTT integration with its default topic templates: events on
 * {@code application/{application_id}/device/{dev_eui}/event/{event}}, commands on
 * {@code application/{application_id}/device/{dev_eui}/command/{command}}. Uplink events are the JSON encoding of
 * its {@code UplinkEvent}: {@code deviceInfo.devEui}, {@code fCnt}, {@code fPort}, base64 {@code data}; fields at
 * their default value (port 0, no data) are left out, as its JSON encoding does.
 */
public final class ChirpstackTopics {

    /** The largest LoRaWAN FRMPayload of any region and data rate (US915 DR8-13, AS923 DR5-7). */
    public static final int MAX_FRAME_PAYLOAD = 242;

    /** Uplink events carry gateway metadata too; more than this is not an uplink event. */
    public static final int MAX_EVENT_BYTES = 64 * 1024;

    private static final Pattern DEV_EUI = Pattern.compile("[0-9A-Fa-f]{16}");
    // ChirpStack's application ids are UUIDs; any single topic level without wildcards is accepted
    private static final Pattern APPLICATION_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern EVENT_TOPIC = Pattern.compile(
            "application/([^/]+)/device/([^/]+)/event/([^/]+)");

    private ChirpstackTopics() {
    }

    static String requireDevEui(String devEui) {
        if (devEui == null || !DEV_EUI.matcher(devEui).matches()) {
            throw new IllegalArgumentException("a DevEUI is 16 hex digits, not '" + devEui + "'");
        }
        return devEui.toLowerCase(Locale.ROOT);
    }

    static String requireApplicationId(String applicationId) {
        if (applicationId == null || !APPLICATION_ID.matcher(applicationId).matches()) {
            throw new IllegalArgumentException("an application id is 1 to 64 of A-Z a-z 0-9 . _ -, not '"
                    + applicationId + "'");
        }
        return applicationId;
    }

    /** The subscription for every device's uplinks in one application ({@code +} for all applications). */
    public static String uplinkSubscription(String applicationId) {
        String app = applicationId.equals("+") ? "+" : requireApplicationId(applicationId);
        return "application/" + app + "/device/+/event/up";
    }

    static String commandTopic(String applicationId, String devEui, String command) {
        return "application/" + applicationId + "/device/" + devEui + "/command/" + command;
    }

    /**
     * The uplink an {@code event/up} message carries.
     *
     * @throws IntegrationException for another topic or event, a payload that is not an uplink event, or one
     *     whose device or application differs from its topic's
     */
    public static Uplink parseUplink(String topic, byte[] payload) throws IntegrationException {
        Matcher m = EVENT_TOPIC.matcher(topic == null ? "" : topic);
        if (!m.matches()) {
            throw new IntegrationException("topic '" + topic + "' is not application/{id}/device/{dev_eui}/event/up");
        }
        if (!m.group(3).equals("up")) {
            throw new IntegrationException("topic '" + topic + "' is a '" + m.group(3) + "' event, not an uplink");
        }
        String applicationId;
        String devEui;
        try {
            applicationId = requireApplicationId(m.group(1));
            devEui = requireDevEui(m.group(2));
        } catch (IllegalArgumentException e) {
            throw new IntegrationException("topic '" + topic + "': " + e.getMessage());
        }
        if (payload == null || payload.length > MAX_EVENT_BYTES) {
            throw new IntegrationException("uplink of " + devEui + ": " + (payload == null ? "no payload"
                    : payload.length + " bytes, more than an uplink event's " + MAX_EVENT_BYTES));
        }
        Map<String, Object> event;
        try {
            event = JsonReader.object(JsonReader.parse(payload), "the uplink event");
        } catch (IllegalArgumentException e) {
            throw new IntegrationException("uplink of " + devEui + ": " + e.getMessage());
        }
        String where = "uplink of " + devEui + ": ";
        Object info = event.get("deviceInfo");
        String named;
        if (info != null) {
            if (!(info instanceof Map)) {
                throw new IntegrationException(where + "deviceInfo is not an object");
            }
            Map<String, Object> deviceInfo = JsonReader.object(info, "deviceInfo");
            named = string(deviceInfo, "devEui", where);
            String app = deviceInfo.containsKey("applicationId") ? string(deviceInfo, "applicationId", where) : null;
            if (app != null && !app.equals(applicationId)) {
                throw new IntegrationException(where + "deviceInfo.applicationId " + app + " is not the topic's "
                        + applicationId);
            }
        } else {
            named = event.containsKey("devEui") ? string(event, "devEui", where) : null;
        }
        if (named == null) {
            throw new IntegrationException(where + "the event names no device (deviceInfo.devEui)");
        }
        if (!named.equalsIgnoreCase(devEui)) {
            throw new IntegrationException(where + "the event is about device " + named + ", its topic about "
                    + devEui);
        }
        long fCnt = number(event, "fCnt", 0xFFFF_FFFFL, where);
        int fPort = (int) number(event, "fPort", 255, where);
        byte[] data = new byte[0];
        if (event.containsKey("data")) {
            try {
                data = Base64.getDecoder().decode(string(event, "data", where).getBytes(StandardCharsets.US_ASCII));
            } catch (IllegalArgumentException e) {
                throw new IntegrationException(where + "data is not base64");
            }
        }
        if (data.length > MAX_FRAME_PAYLOAD) {
            throw new IntegrationException(where + "data of " + data.length + " bytes is larger than any LoRaWAN "
                    + "frame payload (" + MAX_FRAME_PAYLOAD + ")");
        }
        if (fPort == 0 && data.length > 0) {
            throw new IntegrationException(where + "application data without fPort");
        }
        return new Uplink(applicationId, devEui, fCnt, fPort, data);
    }

    private static String string(Map<String, Object> object, String key, String where) throws IntegrationException {
        Object value = object.get(key);
        if (!(value instanceof String s)) {
            throw new IntegrationException(where + key + " is " + (value == null ? "missing" : "not a string"));
        }
        return s;
    }

    /** A non-negative integer field, 0 when absent (default values are left out of the JSON). */
    private static long number(Map<String, Object> object, String key, long max, String where)
            throws IntegrationException {
        Object value = object.get(key);
        if (value == null && !object.containsKey(key)) {
            return 0;
        }
        if (!(value instanceof Long n) || n < 0 || n > max) {
            throw new IntegrationException(where + key + " must be an integer from 0 to " + max + ", not " + value);
        }
        return n;
    }
}
