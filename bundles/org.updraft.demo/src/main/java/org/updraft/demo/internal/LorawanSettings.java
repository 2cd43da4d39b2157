package org.updraft.demo.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
        int maxDevices, Multicast multicast) {

    static final String PID = "org.updraft.transport.lorawan";
    /** The LoRaWAN transport's bundle, which exports the simulated network. */
    static final String BUNDLE = "org.updraft.transport.lorawan";
    /** Below this, a session of a few devices takes hours: the demo's network is simulated, and can run faster. */
    static final double MIN_SPEEDUP = 10;
    /**
     * Above this, a multicast session fails: the transport sizes the group's Class C window in simulated time, but
     * the unicast setup before it waits on real round trips through the broker (about 20 ms a frame here), which at
     * 500 times real time took longer than the whole window for 20 devices (LorawanDemoIT).
     */
    static final double MAX_MULTICAST_SPEEDUP = 100;

    /**
     * The transport's multicast settings a {@code --multicast} run serves and writes: the simulated ChirpStack's REST
     * API listens at {@code apiAddress} (the loopback address and port of {@code api.uri}) and accepts the token of
     * {@code tokenFile}; the devices' McRootKeys go to {@code keysFile}. The token is read when needed, never kept
     * here: a record prints its fields.
     */
    record Multicast(URI apiUri, InetSocketAddress apiAddress, Path tokenFile, Path keysFile, String address) {

        /** The API token of {@code api.token.file}, as the transport reads it (one line, no blanks). */
        String token() {
            return LorawanSettings.token(tokenFile);
        }
    }

    /**
     * The running LoRaWAN transport's settings, or why the demo cannot run against it: the feature not installed, no
     * application configured, another broker than {@code broker}, real time; with {@code multicast}, multicast
     * sessions off or not set up for the demo ({@link #multicast(Dictionary, boolean)}); without it, multicast
     * sessions on.
     */
    static LorawanSettings of(BundleContext context, ConfigurationAdmin configurations, String broker,
            int devices, boolean multicast) throws IOException {
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
        Multicast mc = multicast(p, multicast);
        reachable(configuredBroker);
        return new LorawanSettings(configuredBroker, app, string(p, "device.tag", "lorawan"), speedup,
                number(p, "data.rate", 5).intValue(), number(p, "report.port", 203).intValue(),
                number(p, "max.devices", 50).intValue(), mc);
    }

    /**
     * The transport's multicast settings, checked for a {@code --multicast} run before anything is recorded; null for
     * a unicast run. The demo changes none of them: it refuses, naming what to set, when multicast sessions are off;
     * when {@code api.uri} is not {@code http://} on a loopback address and a free port (the demo serves its simulated
     * ChirpStack's API there, and will not stand in front of a real one); when {@code api.token.file} holds no token;
     * when {@code multicast.keys.file} is a file the demo did not write ({@link DemoMcRootKeys#checkReplaceable}); or
     * when {@code multicast.address} is no McAddr. A unicast run is refused while multicast sessions are on: the
     * transport would look for its devices in the key file.
     */
    static Multicast multicast(Dictionary<String, Object> p, boolean wanted) {
        boolean enabled = Boolean.parseBoolean(string(p, "multicast.enabled", "false"));
        if (!wanted) {
            if (enabled) {
                throw new IllegalStateException("the LoRaWAN transport runs multicast sessions (multicast.enabled = "
                        + "true in etc/" + PID + ".cfg): run the demo with --multicast, or set multicast.enabled = false "
                        + "for a unicast session");
            }
            return null;
        }
        if (!enabled) {
            throw new IllegalStateException("--multicast needs the LoRaWAN transport's multicast sessions, which are "
                    + "off: in etc/" + PID + ".cfg set multicast.enabled = true, api.uri = http://127.0.0.1:PORT (a "
                    + "free port on a loopback address: the demo serves its simulated ChirpStack's REST API there), "
                    + "api.token.file (a file of one line, any API token: the simulated API accepts it), "
                    + "multicast.keys.file (a file of the demo's own, absent at first, e.g. "
                    + "${karaf.data}/updraft/demo/mc-root-keys: the demo writes its devices' McRootKeys there) and "
                    + "multicast.address (the group's McAddr, 8 hex digits, e.g. 0a0b0c0d)");
        }
        double speedup = number(p, "clock.speedup", 1).doubleValue();
        if (speedup > MAX_MULTICAST_SPEEDUP) {
            throw new IllegalStateException("--multicast needs clock.speedup of at most " + (int) MAX_MULTICAST_SPEEDUP
                    + " (it is " + speedup + "): the transport sizes the group's Class C window in simulated time, "
                    + "while the unicast setup of each device before it waits on real round trips through the broker; "
                    + "faster, the window closes before the devices are set up; set clock.speedup in etc/" + PID
                    + ".cfg to " + (int) MAX_MULTICAST_SPEEDUP);
        }
        String address = string(p, "multicast.address", "");
        if (!address.matches("[0-9a-fA-F]{8}")) {
            throw new IllegalStateException("multicast.address in etc/" + PID + ".cfg must be the group's McAddr, 8 "
                    + "hex digits (e.g. 0a0b0c0d), not '" + address + "'");
        }
        String api = string(p, "api.uri", "http://localhost:8090");
        InetSocketAddress at = loopbackApi(api);
        String token = string(p, "api.token.file", "");
        if (token.isEmpty()) {
            throw new IllegalStateException("api.token.file in etc/" + PID + ".cfg is not set: the demo's simulated "
                    + "ChirpStack accepts the token of that file (one line, any API token)");
        }
        Path tokenFile = Path.of(token);
        token(tokenFile);
        String keys = string(p, "multicast.keys.file", "");
        if (keys.isEmpty()) {
            throw new IllegalStateException("multicast.keys.file in etc/" + PID + ".cfg is not set: the demo writes "
                    + "its devices' McRootKeys there (a file of its own, absent at first, e.g. "
                    + "${karaf.data}/updraft/demo/mc-root-keys)");
        }
        Path keysFile = Path.of(keys);
        DemoMcRootKeys.checkReplaceable(keysFile);
        portFree(at, api);
        return new Multicast(URI.create(api), at, tokenFile, keysFile, address.toLowerCase(java.util.Locale.ROOT));
    }

    /** Where the simulated API must listen for {@code api.uri}: http, a loopback address, a port, no path. */
    private static InetSocketAddress loopbackApi(String api) {
        String fix = ": the demo serves its simulated ChirpStack's REST API there, on this machine; set api.uri in "
                + "etc/" + PID + ".cfg to http://127.0.0.1:PORT with a free port";
        URI uri;
        try {
            uri = new URI(api);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("api.uri " + api + " is no URI" + fix);
        }
        if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalStateException("api.uri " + api + " is not http://host:port" + fix);
        }
        if (uri.getPort() < 1) {
            throw new IllegalStateException("api.uri " + api + " names no port" + fix);
        }
        if (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/")
                || uri.getRawQuery() != null) {
            throw new IllegalStateException("api.uri " + api + " has a path or query: the simulated API answers at "
                    + "the root" + fix);
        }
        InetAddress host;
        try {
            host = InetAddress.getByName(uri.getHost());
        } catch (UnknownHostException e) {
            throw new IllegalStateException("api.uri " + api + ": unknown host " + uri.getHost() + fix);
        }
        if (!host.isLoopbackAddress()) {
            throw new IllegalStateException("api.uri " + api + " is not a loopback address (" + host.getHostAddress()
                    + ")" + fix + "; a real ChirpStack's API is not for the demo");
        }
        return new InetSocketAddress(host, uri.getPort());
    }

    /** Refuses a taken port now, before anything is recorded (the fleet binds it again when it starts). */
    private static void portFree(InetSocketAddress at, String api) {
        try (ServerSocketChannel probe = ServerSocketChannel.open()) {
            probe.bind(at);
        } catch (IOException e) {
            throw new IllegalStateException("the port of api.uri " + api + " is in use (" + e.getMessage() + "): "
                    + "the demo serves its simulated ChirpStack's REST API there; is something else, a real "
                    + "ChirpStack's API, listening? set api.uri in etc/" + PID + ".cfg to a free loopback port");
        }
    }

    /** The token of {@code file} as the transport reads it: the file's text stripped, printable, no blanks. */
    static String token(Path file) {
        String token;
        try {
            token = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalStateException("api.token.file " + file + " does not exist: write any API token to it, "
                    + "one line (chmod 600); the demo's simulated ChirpStack accepts it");
        } catch (IOException e) {
            throw new IllegalStateException("api.token.file " + file + " cannot be read: " + e.getClass()
                    .getSimpleName());
        }
        if (token.isEmpty() || !token.matches("[\\x21-\\x7e]+")) {
            // never the content: it may be a real token
            throw new IllegalStateException("api.token.file " + file + " holds no API token (one line, no blanks)");
        }
        return token;
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
