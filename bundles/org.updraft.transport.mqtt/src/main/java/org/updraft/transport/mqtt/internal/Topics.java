package org.updraft.transport.mqtt.internal;

import java.util.List;
import java.util.Optional;

import org.updraft.core.update.DeviceIds;

/**
 * The topic layout of the MQTT device API, the one place it is written down (docs/mqtt-api.md describes it for
 * device writers; the shipped mosquitto ACL follows it):
 *
 * <pre>
 * {prefix}/up/{device}/check     device → platform   request/response: {"seq": uint}; Response Topic required
 * {prefix}/up/{device}/fw        device → platform   block request {"cid", "offset", "length", ? "max-packet"}
 * {prefix}/up/{device}/report    device → platform   a signed report (COSE_Sign1); Response Topic optional
 * {prefix}/up/{device}/enroll    device → platform   a signed enrollment (COSE_Sign1); Response Topic optional
 * {prefix}/up/{device}/consistency device → platform request/response: {"first": uint, "second": uint}, the
 *                                                    log's consistency proof between two tree sizes
 * {prefix}/down/{device}/offer   platform → device   the device's current offer, RETAINED; empty when none
 * {prefix}/down/{device}/fw      platform → device   firmware blocks, never retained
 * {prefix}/down/{device}/#       platform → device   where a device's Response Topics must be
 * </pre>
 *
 * Devices write only below {@code up/{their id}} and read only below {@code down/{their id}}: a broker ACL with
 * one {@code pattern} line per direction keeps each device to its own topics. The platform's nodes subscribe to
 * the request topics as {@code $share/{group}/{prefix}/up/+/{kind}}, so each request reaches one node.
 */
final class Topics {

    /** The requests a device sends, by the last level of their topic. */
    enum Kind {
        CHECK("check"), FW("fw"), REPORT("report"), ENROLL("enroll"), CONSISTENCY("consistency");

        final String level;

        Kind(String level) {
            this.level = level;
        }
    }

    /** A request topic taken apart. */
    record Request(Kind kind, String deviceId) {
    }

    private final String prefix;
    private final String group;

    /**
     * @param prefix the first levels of every topic, e.g. {@code updraft} or {@code fleet/eu}: no wildcards, no
     *        leading or trailing '/', not starting with '$'
     * @param group the shared-subscription group of the platform's nodes
     */
    Topics(String prefix, String group) {
        String p = prefix == null ? "" : prefix.strip();
        if (p.isEmpty() || p.startsWith("/") || p.endsWith("/") || p.startsWith("$") || p.contains("+")
                || p.contains("#") || p.contains("//") || p.contains("\u0000")) {
            throw new IllegalArgumentException("topic.prefix '" + prefix + "' must be topic levels without "
                    + "wildcards, without a leading or trailing '/', not starting with '$' (e.g. updraft)");
        }
        String g = group == null ? "" : group.strip();
        if (g.isEmpty() || g.contains("/") || g.contains("+") || g.contains("#")) {
            throw new IllegalArgumentException("shared.group '" + group + "' must be one topic level without "
                    + "wildcards (e.g. updraft)");
        }
        this.prefix = p;
        this.group = g;
    }

    String prefix() {
        return prefix;
    }

    /** The platform's subscriptions: one shared subscription per request kind. */
    List<String> sharedRequestFilters() {
        return List.of(Kind.values()).stream()
                .map(k -> "$share/" + group + "/" + prefix + "/up/+/" + k.level).toList();
    }

    /** The request a topic names, or empty when it is not a request topic of a valid device id. */
    Optional<Request> request(String topic) {
        String start = prefix + "/up/";
        if (topic == null || !topic.startsWith(start)) {
            return Optional.empty();
        }
        String rest = topic.substring(start.length());
        int slash = rest.indexOf('/');
        if (slash <= 0 || rest.indexOf('/', slash + 1) >= 0) {
            return Optional.empty();
        }
        String device = rest.substring(0, slash);
        String level = rest.substring(slash + 1);
        if (!DeviceIds.isValid(device)) {
            return Optional.empty();
        }
        for (Kind kind : Kind.values()) {
            if (kind.level.equals(level)) {
                return Optional.of(new Request(kind, device));
            }
        }
        return Optional.empty();
    }

    /** Where the device's current offer is retained. */
    String offer(String deviceId) {
        return down(deviceId) + "offer";
    }

    /** Where the device's firmware blocks go. */
    String blocks(String deviceId) {
        return down(deviceId) + "fw";
    }

    /**
     * Whether a Response Topic is the device's own: answers go only below {@code down/{device}/}, so that no
     * device can make the platform publish on another device's topics.
     */
    boolean isResponseTopicOf(String deviceId, String responseTopic) {
        return responseTopic != null && responseTopic.startsWith(down(deviceId))
                && responseTopic.length() > down(deviceId).length() && !responseTopic.contains("+")
                && !responseTopic.contains("#") && !responseTopic.equals(offer(deviceId));
    }

    private String down(String deviceId) {
        return prefix + "/down/" + deviceId + "/";
    }
}
