package org.updraft.transport.mqtt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.Test;
import org.updraft.api.update.UpdateService;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.serving.ChunkCache;
import org.updraft.core.serving.ReleaseImages;

/** What a request costs when the platform behind it has a bug: an answer, a count, and a bounded log. */
class DeviceRequestsTest {

    private record Published(String topic, MqttMessage message) {
    }

    /** An update service whose every call fails as a bug does. */
    private static UpdateService broken() {
        return (UpdateService) Proxy.newProxyInstance(UpdateService.class.getClassLoader(),
                new Class<?>[] {UpdateService.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.getName().equals("equals") ? proxy == args[0]
                                : method.getName().equals("hashCode") ? System.identityHashCode(proxy) : "broken";
                    }
                    throw new IllegalStateException("a bug in the update service");
                });
    }

    @Test
    void requestsThatHitAPlatformBugAreAnsweredInternalAndTheirStackTraceIsLoggedOnceAMinute() {
        Topics topics = new Topics("updraft", "nodes");
        List<Published> published = new CopyOnWriteArrayList<>();
        DeviceRequests.Publisher publisher = (topic, message) -> published.add(new Published(topic, message));
        UpdateService updates = broken();
        DeviceRequests requests = new DeviceRequests(topics, updates, () -> null,
                new ReleaseImages(() -> null, () -> null), new ChunkCache(1),
                new RetainedOffers(topics, updates, publisher, Runnable::run, 10, 1),
                new Limits(1024, 4096, 30, false, 1), publisher);
        int n = 300;
        PrintStream stderr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            for (int i = 0; i < n; i++) {
                MqttMessage check = new MqttMessage(Cbor.encode(Map.of("seq", 1L)));
                MqttProperties properties = new MqttProperties();
                properties.setResponseTopic("updraft/down/dev-1/answers");
                properties.setCorrelationData(new byte[] {(byte) i});
                check.setProperties(properties);
                requests.handle("updraft/up/dev-1/check", check);
            }
        } finally {
            System.setErr(stderr);
        }
        String lines = log.toString(StandardCharsets.UTF_8);
        assertEquals(1, lines.lines().filter(l -> l.contains(" WARN ")).count(), lines);
        assertEquals(1, lines.lines().filter(l -> l.contains("IllegalStateException: a bug")).count(),
                "one stack trace:\n" + lines);
        assertEquals("IllegalStateException 300", requests.failedByClass());
        assertEquals(0, requests.dropped(), "a bug is answered, not dropped");
        assertEquals(n, published.size());
        for (Published p : published) {
            assertEquals("updraft/down/dev-1/answers", p.topic());
            assertEquals(List.of(new UserProperty("error", "internal")), p.message().getProperties()
                    .getUserProperties());
            assertTrue(new String(p.message().getPayload(), StandardCharsets.UTF_8)
                    .startsWith("internal error (IllegalStateException)"));
        }
    }
}
