package org.updraft.device.internal.mqtt;

import java.util.List;
import java.util.Objects;

/** The MQTT 5.0 control packets a device sends or receives; {@link MqttCodec} writes and reads them. */
public sealed interface MqttPacket {

    /** Without a Will (a device has nothing to say when it goes away). */
    record Connect(String clientId, boolean cleanStart, int keepAliveSeconds, String userName, byte[] password,
            MqttProperties properties) implements MqttPacket {
        public Connect {
            Objects.requireNonNull(clientId, "clientId");
            Objects.requireNonNull(properties, "properties");
            if (keepAliveSeconds < 0 || keepAliveSeconds > 0xFFFF) {
                throw new IllegalArgumentException("a keep alive is 0 to 65535 s, not " + keepAliveSeconds);
            }
        }
    }

    record ConnAck(boolean sessionPresent, int reasonCode, MqttProperties properties) implements MqttPacket {
    }

    /**
     * @param packetId 1 to 65535 with QoS 1, 0 with QoS 0
     */
    record Publish(String topic, int qos, boolean retain, boolean duplicate, int packetId,
            MqttProperties properties, byte[] payload) implements MqttPacket {
        public Publish {
            Objects.requireNonNull(topic, "topic");
            Objects.requireNonNull(properties, "properties");
            Objects.requireNonNull(payload, "payload");
            if (qos < 0 || qos > 1) {
                throw new IllegalArgumentException("this client publishes at QoS 0 or 1, not " + qos);
            }
            if ((qos == 0) != (packetId == 0) || packetId < 0 || packetId > 0xFFFF) {
                throw new IllegalArgumentException("packet id " + packetId + " with QoS " + qos);
            }
        }

        /** The same message with another packet id (the id is given when the message goes out). */
        public Publish withPacketId(int id) {
            return new Publish(topic, qos, retain, duplicate, id, properties, payload);
        }
    }

    record PubAck(int packetId, int reasonCode, MqttProperties properties) implements MqttPacket {
    }

    /** Subscriptions at one maximum QoS, with no-local, retain-as-published and retain handling 0. */
    record Subscribe(int packetId, List<String> topicFilters, int maxQos, MqttProperties properties)
            implements MqttPacket {
        public Subscribe {
            topicFilters = List.copyOf(topicFilters);
            if (topicFilters.isEmpty()) {
                throw new IllegalArgumentException("a SUBSCRIBE names at least one topic filter");
            }
        }
    }

    record SubAck(int packetId, List<Integer> reasonCodes, MqttProperties properties) implements MqttPacket {
    }

    record PingReq() implements MqttPacket {
    }

    record PingResp() implements MqttPacket {
    }

    record Disconnect(int reasonCode, MqttProperties properties) implements MqttPacket {
    }
}
