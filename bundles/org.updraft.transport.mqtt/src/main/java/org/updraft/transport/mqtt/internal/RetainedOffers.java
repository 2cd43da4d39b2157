package org.updraft.transport.mqtt.internal;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.api.update.UpdateException;
import org.updraft.api.update.UpdateService;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.core.work.CoalescingSweep;

/**
 * Each device's offer topic holds, retained, the offer it should act on now, or nothing. Kept current for the
 * devices that checked through this node: what each was last told is remembered (its sequence, the rollout of
 * its offer, the offer's tag), and when a rollout changes ({@link #answersChanged}) one sweep on the executor asks
 * the update service again for the devices that change can concern, and publishes only where the answer changed:
 * the new offer, or an empty retained message that clears the old one. Changes during a sweep are coalesced into
 * the next. The first check of a device after a start publishes in any case, so a retained offer left by an earlier
 * run is replaced or cleared.
 */
final class RetainedOffers {

    private static final Logger LOG = LoggerFactory.getLogger(RetainedOffers.class);
    private static final byte[] NONE = new byte[0];

    /** What a device was last told; {@code tag} is the retained offer's, or empty when none is retained. */
    private record Told(long sequence, String rollout, byte[] tag) {
    }

    private final Topics topics;
    private final UpdateService updates;
    private final DeviceRequests.Publisher publisher;
    private final CoalescingSweep<String> changedRollouts;
    private final int maxDevices;
    private final int qos;
    private final Map<String, Told> devices = new ConcurrentHashMap<>();

    RetainedOffers(Topics topics, UpdateService updates, DeviceRequests.Publisher publisher, Executor sweeps,
            int maxDevices, int qos) {
        if (maxDevices < 0) {
            throw new IllegalArgumentException("max.devices must be 0 or more, not " + maxDevices);
        }
        this.topics = topics;
        this.updates = updates;
        this.publisher = publisher;
        this.changedRollouts = new CoalescingSweep<>(sweeps, this::sweep);
        this.maxDevices = maxDevices;
        this.qos = qos;
    }

    /** Devices whose offer this node keeps current. */
    int devices() {
        return devices.size();
    }

    /** A device checked and got {@code answer}: its offer topic follows. */
    void checked(String deviceId, long sequence, UpdateAnswer answer) {
        byte[] tag = answer instanceof UpdateAnswer.Offer ? answer.tag() : NONE;
        String rollout = answer instanceof UpdateAnswer.Offer offer ? offer.rolloutId() : null;
        if (!devices.containsKey(deviceId) && devices.size() >= maxDevices) {
            // not remembered: its offer topic follows its checks only
            publish(deviceId, answer);
            return;
        }
        // publishing inside compute keeps one device's retained messages in the order of its answers
        devices.compute(deviceId, (id, before) -> {
            if (before == null || !Arrays.equals(before.tag(), tag)) {
                publish(id, answer);
            }
            return new Told(sequence, rollout, tag);
        });
    }

    /** Called by the update service's thread: queues a sweep and returns. */
    void answersChanged(String rolloutId) {
        changedRollouts.changed(rolloutId == null ? "" : rolloutId);
    }

    private void sweep(Set<String> rollouts) {
        int asked = 0;
        for (Map.Entry<String, Told> entry : devices.entrySet()) {
            Told told = entry.getValue();
            // told "nothing new", any rollout may now include the device; told an offer, only its rollout changes it
            if (told.rollout() != null && !rollouts.contains(told.rollout())) {
                continue;
            }
            asked++;
            try {
                checked(entry.getKey(), told.sequence(), updates.check(entry.getKey(), told.sequence()));
            } catch (UpdateException e) {
                // down: nothing is news for the device; unknown now: it learns so when it checks
                LOG.debug("Re-checking {} after a change of rollouts {}: {}", entry.getKey(), rollouts, e.getMessage());
            } catch (RuntimeException e) {
                LOG.warn("Re-checking device {} after a rollout change failed", entry.getKey(), e);
            }
        }
        LOG.debug("Rollouts {} changed: asked again for {} of {} devices", rollouts, asked, devices.size());
    }

    private void publish(String deviceId, UpdateAnswer answer) {
        MqttMessage message;
        if (answer instanceof UpdateAnswer.Offer) {
            byte[] statement;
            try {
                // nobody asked: a statement without a nonce, which expires like any other
                statement = updates.statement(deviceId, answer, NONE);
            } catch (UpdateException e) {
                LOG.warn("No retained offer for device {}: its statement could not be signed: {}", deviceId,
                        e.getMessage());
                return;
            }
            message = new MqttMessage(UpdateAnswers.encode(answer, statement));
            MqttProperties properties = new MqttProperties();
            properties.setContentType(DeviceRequests.CBOR);
            message.setProperties(properties);
        } else {
            // an empty retained message removes the retained one (MQTT 5 §3.3.1.3)
            message = new MqttMessage(NONE);
        }
        message.setQos(qos);
        message.setRetained(true);
        publisher.publish(topics.offer(deviceId), message);
    }
}
