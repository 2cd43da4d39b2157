package org.updraft.transport.mqtt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** The topic layout: what is a request of which device, and where a device's answers may go. */
class TopicsTest {

    private final Topics topics = new Topics("fleet/eu", "nodes");

    @Test
    void requestTopicsNameTheirKindAndAValidDevice() {
        assertEquals(Optional.of(new Topics.Request(Topics.Kind.CHECK, "dev-1")), topics.request("fleet/eu/up/dev-1/check"));
        assertEquals(Optional.of(new Topics.Request(Topics.Kind.FW, "a.b:c_d")), topics.request("fleet/eu/up/a.b:c_d/fw"));
        assertEquals(Topics.Kind.REPORT, topics.request("fleet/eu/up/x/report").orElseThrow().kind());
        assertEquals(Topics.Kind.ENROLL, topics.request("fleet/eu/up/x/enroll").orElseThrow().kind());
        for (String notARequest : List.of("fleet/eu/up/dev-1/status", "fleet/eu/up/dev-1/check/more", "fleet/eu/up//check",
                "fleet/eu/up/-dev/check", "fleet/eu/down/dev-1/check", "other/up/dev-1/check", "fleet/eu/up/dev-1",
                "fleet/eu/up/" + "d".repeat(65) + "/check")) {
            assertTrue(topics.request(notARequest).isEmpty(), notARequest);
        }
    }

    @Test
    void theNodesShareOneSubscriptionPerKind() {
        assertEquals(List.of("$share/nodes/fleet/eu/up/+/check", "$share/nodes/fleet/eu/up/+/fw",
                "$share/nodes/fleet/eu/up/+/report", "$share/nodes/fleet/eu/up/+/enroll",
                "$share/nodes/fleet/eu/up/+/consistency"), topics.sharedRequestFilters());
    }

    @Test
    void answersGoOnlyBelowTheDevicesOwnDownTopicsAndNeverOnItsOfferTopic() {
        assertTrue(topics.isResponseTopicOf("dev-1", "fleet/eu/down/dev-1/answers"));
        assertTrue(topics.isResponseTopicOf("dev-1", "fleet/eu/down/dev-1/a/b"));
        assertFalse(topics.isResponseTopicOf("dev-1", "fleet/eu/down/dev-2/answers"));
        assertFalse(topics.isResponseTopicOf("dev-1", "fleet/eu/down/dev-10/answers"));
        assertFalse(topics.isResponseTopicOf("dev-1", "fleet/eu/down/dev-1/"));
        assertFalse(topics.isResponseTopicOf("dev-1", "fleet/eu/down/dev-1/offer"));
        assertFalse(topics.isResponseTopicOf("dev-1", "fleet/eu/up/dev-1/check"));
        assertFalse(topics.isResponseTopicOf("dev-1", null));
        assertEquals("fleet/eu/down/dev-1/offer", topics.offer("dev-1"));
        assertEquals("fleet/eu/down/dev-1/fw", topics.blocks("dev-1"));
    }

    @Test
    void aPrefixOrGroupWithWildcardsOrStrayLevelsIsRefused() {
        for (String bad : List.of("", "/updraft", "updraft/", "up/+/x", "a/#", "$SYS", "a//b")) {
            assertThrows(IllegalArgumentException.class, () -> new Topics(bad, "g"), bad);
        }
        for (String bad : List.of("", "a/b", "+", "#")) {
            assertThrows(IllegalArgumentException.class, () -> new Topics("updraft", bad), bad);
        }
    }
}
