package org.updraft.demo.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Dictionary;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The LoRaWAN transport's settings the LoRaWAN demo must agree with, read from its configuration; apart from
 * {@link LorawanDemo} so that the checks run (and refuse clearly) without the transport's simulated network, which
 * only its feature brings.
 */
record LorawanSettings(String broker, String applicationId, String tag, double speedup, int dataRate, int reportPort,
        int maxDevices) {

    static final String PID = "org.updraft.transport.lorawan";
    /** The LoRaWAN transport's bundle, which exports the simulated network. */
    static final String BUNDLE = "org.updraft.transport.lorawan";
    /** Below this, a session of a few devices takes hours: the demo's network is simulated, and can run faster. */
    static final double MIN_SPEEDUP = 10;

    /** The LoRaWAN transport's settings the demo must agree with. */

    /**
     * The running LoRaWAN transport's settings, or why the demo cannot run against it: the feature not installed, no
     * application configured, another broker than {@code broker}, real time.
     */
    static LorawanSettings of(BundleContext context, ConfigurationAdmin configurations, String broker,
            int devices) throws IOException {
        boolean active = false;
        for (Bundle bundle : context.getBundles()) {
            if (BUNDLE.equals(bundle.getSymbolicName()) && bundle.getState() == Bundle.ACTIVE) {
                active = true;
            }
        }
        if (!active) {
            throw new IllegalStateException("--transport lorawan needs the platform's LoRaWAN transport: "
                    + "feature:install updraft-transport-lorawan, and in etc/" + PID + ".cfg set broker.uri to "
                    + (broker == null ? "your broker" : broker) + ", application.id, and clock.speedup (e.g. 500: "
                    + "the demo's network is simulated)");
        }
        Dictionary<String, Object> p = null;
        try {
            Configuration[] found = configurations.listConfigurations("(service.pid=" + PID + ")");
            if (found != null && found.length > 0) {
                p = found[0].getProperties();
            }
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        String configuredBroker = string(p, "broker.uri", "tcp://localhost:1883");
        String app = string(p, "application.id", "");
        if (app.isEmpty()) {
            throw new IllegalStateException("the LoRaWAN transport has no application.id: set it in etc/" + PID
                    + ".cfg (any ChirpStack application id, e.g. updraft-demo), with broker.uri and clock.speedup");
        }
        if (broker != null && !broker.strip().equals(configuredBroker)) {
            throw new IllegalStateException("--broker " + broker.strip() + " is not the broker of the platform's "
                    + "LoRaWAN transport (" + configuredBroker + "): its sessions would not reach the simulated "
                    + "network; set broker.uri in etc/" + PID + ".cfg or pass --broker " + configuredBroker);
        }
        double speedup = number(p, "clock.speedup", 1).doubleValue();
        if (speedup < MIN_SPEEDUP) {
            throw new IllegalStateException("the LoRaWAN transport runs sessions in real time (clock.speedup " + speedup
                    + "): a session to " + devices + " devices would take hours; against the demo's simulated network "
                    + "set clock.speedup in etc/" + PID + ".cfg to at least " + (int) MIN_SPEEDUP + " (500 suits)");
        }
        reachable(configuredBroker);
        return new LorawanSettings(configuredBroker, app, string(p, "device.tag", "lorawan"), speedup,
                number(p, "data.rate", 5).intValue(), number(p, "report.port", 203).intValue(),
                number(p, "max.devices", 50).intValue());
    }

    /** Refuses, naming it, a broker nobody answers at, before anything is recorded. */
    private static void reachable(String broker) {
        URI uri;
        try {
            uri = new URI(broker);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("the LoRaWAN transport's broker.uri " + broker + " is no URI");
        }
        if (!"tcp".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalStateException("the demo's simulated ChirpStack reaches the broker over plain "
                    + "tcp://host:port only, not " + broker);
        }
        try (Socket probe = new Socket()) {
            probe.connect(new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 1883 : uri.getPort()), 3000);
        } catch (IOException e) {
            throw new IllegalStateException("no MQTT broker is reachable at " + broker + " (" + e.getMessage()
                    + "): start one, or point broker.uri in etc/" + PID + ".cfg and --broker at one");
        }
    }

    private static String string(Dictionary<String, Object> p, String key, String otherwise) {
        Object v = p == null ? null : p.get(key);
        return v == null ? otherwise : v.toString().strip();
    }

    private static Number number(Dictionary<String, Object> p, String key, Number otherwise) {
        Object v = p == null ? null : p.get(key);
        if (v == null) {
            return otherwise;
        }
        if (v instanceof Number n) {
            return n;
        }
        try {
            return Double.valueOf(v.toString().strip());
        } catch (NumberFormatException e) {
            throw new IllegalStateException(key + " in etc/" + PID + ".cfg is no number: " + v);
        }
    }
}
