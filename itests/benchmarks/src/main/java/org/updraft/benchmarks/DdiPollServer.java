package org.updraft.benchmarks;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.ws.rs.GET;
import javax.ws.rs.PathParam;
import javax.ws.rs.core.Application;
import javax.ws.rs.core.Response;

import org.apache.cxf.jaxrs.servlet.CXFNonSpringJaxrsServlet;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;
import org.updraft.testing.Configs;
import org.updraft.transport.ddi.internal.DdiConfig;
import org.updraft.transport.ddi.internal.DdiTransport;

/**
 * Row 16a's servers, each in a JVM of its own ({@link ServerProcess}), on the same HTTP stack: Jetty 9.4 (what Pax Web 8
 * runs in Karaf) on 127.0.0.1.
 *
 * <pre>
 * ddi  DIR DEVICES_FILE   Updraft's platform (FleetServer's: durable ledger, release, a running rollout to every
 *                         device) with the hawkBit DDI transport's servlet at /DEFAULT/controller/v1/*; DEVICES_FILE
 *                         has "id did:key token" lines, the tokens its TargetTokens
 * bare ANSWERS_FILE       a bare JAX-RS resource (Apache CXF's servlet, the JAX-RS implementation the REST API runs on)
 *                         at /{tenant}/controller/v1/{id} that answers each device the bytes, ETag and media type of
 *                         ANSWERS_FILE: a line of the media type, then "id etag base64" lines
 * </pre>
 *
 * Prints {@code READY PORT}, then serves until {@code STOP} or the end of standard input.
 */
public final class DdiPollServer {

    private DdiPollServer() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("ddi")) {
            Path dir = Path.of(args[1]);
            List<String> lines = Files.readAllLines(Path.of(args[2]));
            List<String> registry = new ArrayList<>();
            StringBuilder tokens = new StringBuilder();
            for (String line : lines) {
                String[] f = line.split(" ");
                registry.add(f[0] + " " + f[1]);
                tokens.append(f[0]).append('=').append(f[2]).append('\n');
            }
            Path devices = Files.write(dir.resolve("registry.txt"), registry);
            Path tokensFile = Files.writeString(dir.resolve("ddi-tokens.properties"), tokens);
            try (FleetServer.Platform platform = new FleetServer.Platform(dir, 64 * 1024, null, false)) {
                platform.rollOut(devices);
                // the transport's defaults but the per-device limit: the load polls each device more often than a
                // device would (the limiter still runs on every poll)
                DdiTransport transport = new DdiTransport(Configs.of(DdiConfig.class, Map.of(
                        "target.tokens.file", tokensFile.toString(),
                        "key.file", dir.resolve("ddi-key.pem").toString(),
                        "max.requests.per.second", 100_000)), platform.node.rollouts().updates());
                try {
                    transport.bindStore(platform.node.store());
                    transport.bindRegistry(platform.registry);
                    transport.bindRollouts(platform.rollouts);
                    serve(new ServletHolder(transport.httpServlet()), "/DEFAULT/controller/v1/*");
                } finally {
                    transport.close();
                }
            }
        } else if (args.length == 2 && args[0].equals("bare")) {
            List<String> lines = Files.readAllLines(Path.of(args[1]));
            String type = lines.get(0);
            Map<String, Answer> answers = new HashMap<>();
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.split(" ");
                answers.put(f[0], new Answer(f[1], Base64.getDecoder().decode(f[2])));
            }
            BasePoll resource = new BasePoll(type, answers);
            serve(new ServletHolder(new CXFNonSpringJaxrsServlet(new Application() {
                @Override
                public Set<Object> getSingletons() {
                    return Set.of(resource);
                }
            })), "/*");
        } else {
            System.err.println("usage: DdiPollServer ddi DIR DEVICES_FILE | bare ANSWERS_FILE");
            System.exit(2);
        }
    }

    private static void serve(ServletHolder servlet, String pattern) throws Exception {
        Server server = new Server(new InetSocketAddress("127.0.0.1", 0));
        ServletContextHandler context = new ServletContextHandler();
        context.addServlet(servlet, pattern);
        server.setHandler(context);
        server.start();
        try {
            System.out.println("READY " + ((ServerConnector) server.getConnectors()[0]).getLocalPort());
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null && !line.equals("STOP"); line = in.readLine()) {
                System.out.println("UNKNOWN " + line);
            }
        } finally {
            server.stop();
        }
    }

    record Answer(String etag, byte[] bytes) {
    }

    /** The reference: a JAX-RS resource that looks the device's answer up and sends it. */
    @javax.ws.rs.Path("{tenant}/controller/v1/{id}")
    public static final class BasePoll {
        private final String type;
        private final Map<String, Answer> answers;

        BasePoll(String type, Map<String, Answer> answers) {
            this.type = type;
            this.answers = answers;
        }

        @GET
        public Response poll(@PathParam("id") String id) {
            Answer a = answers.get(id);
            if (a == null) {
                return Response.status(404).build();
            }
            return Response.ok(a.bytes(), type).header("ETag", a.etag()).build();
        }
    }
}
