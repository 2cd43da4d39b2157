package org.updraft.device.internal.mqtt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The properties of one packet (MQTT 5.0, 2.2.2.2): each identifier with its value (a {@link Long} for the integer
 * types, a {@link String} for UTF-8 strings, a {@code byte[]} for binary data), User Properties in their order, and
 * Subscription Identifiers (the one other property that may repeat).
 */
public final class MqttProperties {

    public static final int PAYLOAD_FORMAT = 0x01;
    public static final int MESSAGE_EXPIRY = 0x02;
    public static final int CONTENT_TYPE = 0x03;
    public static final int RESPONSE_TOPIC = 0x08;
    public static final int CORRELATION_DATA = 0x09;
    public static final int SUBSCRIPTION_ID = 0x0B;
    public static final int SESSION_EXPIRY = 0x11;
    public static final int ASSIGNED_CLIENT_ID = 0x12;
    public static final int SERVER_KEEP_ALIVE = 0x13;
    public static final int AUTH_METHOD = 0x15;
    public static final int AUTH_DATA = 0x16;
    public static final int REQUEST_PROBLEM_INFO = 0x17;
    public static final int WILL_DELAY = 0x18;
    public static final int REQUEST_RESPONSE_INFO = 0x19;
    public static final int RESPONSE_INFO = 0x1A;
    public static final int SERVER_REFERENCE = 0x1C;
    public static final int REASON_STRING = 0x1F;
    public static final int RECEIVE_MAXIMUM = 0x21;
    public static final int TOPIC_ALIAS_MAXIMUM = 0x22;
    public static final int TOPIC_ALIAS = 0x23;
    public static final int MAXIMUM_QOS = 0x24;
    public static final int RETAIN_AVAILABLE = 0x25;
    public static final int USER_PROPERTY = 0x26;
    public static final int MAXIMUM_PACKET_SIZE = 0x27;
    public static final int WILDCARD_AVAILABLE = 0x28;
    public static final int SUBSCRIPTION_IDS_AVAILABLE = 0x29;
    public static final int SHARED_AVAILABLE = 0x2A;

    /** How each property is written (MQTT 5.0, 1.5 data representation). */
    enum Type {
        BYTE, TWO_BYTES, FOUR_BYTES, VARIABLE, UTF8, BINARY, PAIR
    }

    static Type type(int id) {
        return switch (id) {
            case PAYLOAD_FORMAT, REQUEST_PROBLEM_INFO, REQUEST_RESPONSE_INFO, MAXIMUM_QOS, RETAIN_AVAILABLE,
                    WILDCARD_AVAILABLE, SUBSCRIPTION_IDS_AVAILABLE, SHARED_AVAILABLE -> Type.BYTE;
            case SERVER_KEEP_ALIVE, RECEIVE_MAXIMUM, TOPIC_ALIAS_MAXIMUM, TOPIC_ALIAS -> Type.TWO_BYTES;
            case MESSAGE_EXPIRY, SESSION_EXPIRY, WILL_DELAY, MAXIMUM_PACKET_SIZE -> Type.FOUR_BYTES;
            case SUBSCRIPTION_ID -> Type.VARIABLE;
            case CONTENT_TYPE, RESPONSE_TOPIC, ASSIGNED_CLIENT_ID, AUTH_METHOD, RESPONSE_INFO, SERVER_REFERENCE,
                    REASON_STRING -> Type.UTF8;
            case CORRELATION_DATA, AUTH_DATA -> Type.BINARY;
            case USER_PROPERTY -> Type.PAIR;
            default -> null;
        };
    }

    private final Map<Integer, Object> values = new TreeMap<>();
    private final List<Map.Entry<String, String>> userProperties = new ArrayList<>();
    private final List<Long> subscriptionIds = new ArrayList<>();

    /** Sets an integer, string or binary property (not a User Property or Subscription Identifier). */
    public MqttProperties put(int id, Object value) {
        Type type = type(id);
        Objects.requireNonNull(value, "value");
        if (type == null || type == Type.PAIR || type == Type.VARIABLE) {
            throw new IllegalArgumentException("property " + id + " is not set by put");
        }
        boolean fits = switch (type) {
            case BYTE, TWO_BYTES, FOUR_BYTES -> value instanceof Long;
            case UTF8 -> value instanceof String;
            case BINARY -> value instanceof byte[];
            default -> false;
        };
        if (!fits) {
            throw new IllegalArgumentException("property " + id + " of type " + type + " cannot hold a "
                    + value.getClass().getSimpleName());
        }
        values.put(id, value);
        return this;
    }

    public MqttProperties userProperty(String name, String value) {
        userProperties.add(Map.entry(name, value));
        return this;
    }

    MqttProperties subscriptionId(long id) {
        subscriptionIds.add(id);
        return this;
    }

    boolean has(int id) {
        return values.containsKey(id);
    }

    /** An integer property, or null when absent. */
    public Long number(int id) {
        return (Long) values.get(id);
    }

    public String text(int id) {
        return (String) values.get(id);
    }

    public byte[] binary(int id) {
        byte[] value = (byte[]) values.get(id);
        return value == null ? null : value.clone();
    }

    /** The first User Property of that name, or null. */
    public String userProperty(String name) {
        for (Map.Entry<String, String> property : userProperties) {
            if (property.getKey().equals(name)) {
                return property.getValue();
            }
        }
        return null;
    }

    public List<Map.Entry<String, String>> userProperties() {
        return List.copyOf(userProperties);
    }

    public List<Long> subscriptionIds() {
        return List.copyOf(subscriptionIds);
    }

    Map<Integer, Object> values() {
        return values;
    }

    public boolean isEmpty() {
        return values.isEmpty() && userProperties.isEmpty() && subscriptionIds.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof MqttProperties other) || !values.keySet().equals(other.values.keySet())
                || !userProperties.equals(other.userProperties) || !subscriptionIds.equals(other.subscriptionIds)) {
            return false;
        }
        for (Map.Entry<Integer, Object> e : values.entrySet()) {
            Object mine = e.getValue();
            Object theirs = other.values.get(e.getKey());
            if (mine instanceof byte[] a ? !(theirs instanceof byte[] b && Arrays.equals(a, b))
                    : !mine.equals(theirs)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Objects.hash(values.keySet(), userProperties, subscriptionIds);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("{");
        values.forEach((id, v) -> s.append(s.length() > 1 ? ", " : "").append(String.format("0x%02X", id))
                .append('=').append(v instanceof byte[] b ? b.length + " bytes" : v));
        userProperties.forEach(p -> s.append(s.length() > 1 ? ", " : "").append(p.getKey()).append(':')
                .append(p.getValue()));
        subscriptionIds.forEach(i -> s.append(s.length() > 1 ? ", " : "").append("subscription ").append(i));
        return s.append('}').toString();
    }
}
