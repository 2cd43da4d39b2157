package org.updraft.transport.lorawan.internal.chirpstack;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.Consumer;

import javax.net.ssl.SSLContext;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.updraft.core.net.BrokerAccess;
import org.updraft.core.serving.CountedRefusals;
import org.updraft.transport.lorawan.internal.session.SessionRunner;
import org.updraft.transport.lorawan.internal.session.Transmission;

/**
 * A FUOTA session's link to its devices through ChirpStack v4's MQTT integration: it subscribes to one
 * application's uplink events and hands each well-formed one to the session's listener, and publishes the session's
 * unicast downlinks as ChirpStack's {@code command/down} JSON. An event that is not a well-formed uplink of that
 * application is counted ({@code bad-event}) and dropped. Multicast frames cannot go this way: ChirpStack takes them
 * through its multicast-group API, not the MQTT integration, so a multicast transmission is refused.
 */
public final class ChirpstackBridge implements AutoCloseable {

    private final String applicationId;
    /** Paho's MQTT 5 reason code in a PUBACK: the broker took the message and no subscription matched it. */
    static final int NO_MATCHING_SUBSCRIBERS = 16;
    private static final long PUBLISH_TIMEOUT_MILLIS = 30_000;

    private final Client client;
    private final CountedRefusals refusals;

    /**
     * Connects to the broker ChirpStack publishes to and subscribes to {@code application/{applicationId}/device/+/
     * event/up}; {@code uplinks} is called on the client's thread, so it must return fast.
     *
     * @throws MqttException when the broker cannot be reached or refuses the client
     */
    public ChirpstackBridge(String brokerUri, String clientId, String applicationId, Consumer<Uplink> uplinks,
            CountedRefusals refusals) throws MqttException {
        this(brokerUri, clientId, applicationId, uplinks, refusals, null, null);
    }

    /**
     * The same, logging in with {@code credentials} and trusting, over TLS, only the CAs of {@code tls}.
     *
     * @param credentials the broker's user and password ({@link BrokerAccess#credentials}), or null for none
     * @param tls the TLS context of an {@code ssl://} broker ({@link BrokerAccess#trusting}), or null for the JVM's
     */
    public ChirpstackBridge(String brokerUri, String clientId, String applicationId, Consumer<Uplink> uplinks,
            CountedRefusals refusals, BrokerAccess.Credentials credentials, SSLContext tls) throws MqttException {
        this.applicationId = ChirpstackTopics.requireApplicationId(applicationId);
        this.refusals = Objects.requireNonNull(refusals, "refusals");
        Objects.requireNonNull(uplinks, "uplinks");
        this.client = new Client(brokerUri, clientId);
        String subscription = ChirpstackTopics.uplinkSubscription(applicationId);
        client.setCallback(new MqttCallback() {
            @Override
            public void messageArrived(String topic, MqttMessage message) {
                Uplink uplink;
                try {
                    uplink = ChirpstackTopics.parseUplink(topic, message.getPayload());
                } catch (IntegrationException e) {
                    refusals.refused("bad-event", e.getMessage());
                    return;
                }
                uplinks.accept(uplink);
            }

            @Override
            public void connectComplete(boolean reconnect, String serverUri) {
                if (reconnect) {
                    try {
                        // a clean session forgets subscriptions
                        client.subscribe(subscription, 1);
                    } catch (MqttException e) {
                        refusals.refused("resubscribe-failed", serverUri + ": " + e.getMessage());
                    }
                }
            }

            @Override
            public void disconnected(MqttDisconnectResponse response) {
            }

            @Override
            public void mqttErrorOccurred(MqttException exception) {
            }

            @Override
            public void deliveryComplete(IMqttToken token) {
            }

            @Override
            public void authPacketArrived(int reasonCode, MqttProperties properties) {
            }
        });
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setCleanStart(true);
        options.setAutomaticReconnect(true);
        options.setAutomaticReconnectDelay(1, 30);
        if (credentials != null) {
            options.setUserName(credentials.username());
            if (credentials.password().length > 0) {
                options.setPassword(credentials.password());
            }
        }
        if (tls != null) {
            options.setSocketFactory(tls.getSocketFactory());
        }
        client.connect(options);
        try {
            client.subscribe(subscription, 1);
        } catch (MqttException e) {
            client.disconnect();
            client.close();
            throw e;
        }
    }

    /**
     * Enqueues {@code t}'s frame for its device in ChirpStack, unconfirmed (FUOTA packages answer on their own).
     *
     * @throws IllegalArgumentException for a multicast transmission
     * @throws MqttException when the broker does not take the message
     * @throws SessionRunner.NotTaken when the broker took it but nobody is subscribed to the command topic: ChirpStack
     *     is not connected to the broker (restarting, say), and the frame went nowhere
     */
    public void send(Transmission t) throws MqttException, SessionRunner.NotTaken {
        if (t.multicast()) {
            throw new IllegalArgumentException("multicast frames go through ChirpStack's multicast-group API, not its "
                    + "MQTT integration");
        }
        Downlink down = new Downlink(applicationId, t.devEui(), false, t.fPort(), t.frame());
        MqttMessage message = new MqttMessage(down.json().getBytes(StandardCharsets.US_ASCII));
        message.setQos(1);
        IMqttToken token = client.publishAsync(down.topic(), message);
        token.waitForCompletion(PUBLISH_TIMEOUT_MILLIS);
        int[] codes = token.getReasonCodes();
        if (codes != null) {
            for (int code : codes) {
                if (code == NO_MATCHING_SUBSCRIBERS) {
                    throw new SessionRunner.NotTaken("no subscriber to " + down.topic() + ": ChirpStack is not "
                            + "connected to the broker");
                }
            }
        }
    }

    /** Paho's synchronous client, with its asynchronous publish, whose token carries the PUBACK's reason code. */
    private static final class Client extends MqttClient {
        Client(String brokerUri, String clientId) throws MqttException {
            super(brokerUri, clientId, new MemoryPersistence());
        }

        IMqttToken publishAsync(String topic, MqttMessage message) throws MqttException {
            return aClient.publish(topic, message);
        }
    }

    public boolean connected() {
        return client.isConnected();
    }

    @Override
    public void close() throws MqttException {
        try {
            if (client.isConnected()) {
                client.disconnect();
            }
        } finally {
            client.close();
        }
    }
}
