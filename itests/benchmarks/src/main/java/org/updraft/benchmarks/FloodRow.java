package org.updraft.benchmarks;

import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.CoAP.Type;
import org.eclipse.californium.core.coap.MessageObserverAdapter;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.SystemConfig;
import org.eclipse.californium.elements.config.UdpConfig;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;

/**
 * Row 13: what a flood does to the devices among it. Updraft's platform ({@link FleetServer}, the CoAP transport with
 * its default bounds) serves a few devices, each checking every {@value #THINK_MILLIS} ms; their check latency (send
 * to answer, retransmissions included, whatever the answer: the offer or a 5.03) is measured without a flood and
 * then with one: confirmable check requests from several sockets, fresh message ids and tokens, far more per second
 * than the server can serve (row 3's rate). Quiet and flooded rounds alternate; the figures are medians over the
 * rounds of each round's median latency. The server's status line says what it shed and dropped.
 */
final class FloodRow {

    private static final int THINK_MILLIS = 50;
    private static final int FLOOD_THREADS = 2;
    private static final int SOCKETS_PER_THREAD = 2;
    private static final Pattern SHED = Pattern.compile("overload-shed (\\d+)");
    private static final Pattern DROPPED = Pattern.compile("overload-dropped (\\d+)");
    private static final Pattern MOST = Pattern.compile("most datagrams waiting at once (\\d+)");

    private FloodRow() {
    }

    static Row run(Path work, boolean quick) throws Exception {
        int devices = 20;
        int floodPerSecond = 40_000;
        double seconds = quick ? 1 : 5;
        int rounds = quick ? 1 : 3;
        Path dir = Files.createTempDirectory(work, "flood");
        List<String> ids = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < devices; i++) {
            String id = String.format("fld-%03d", i);
            ids.add(id);
            lines.add(id + " " + SigningKey.generate(KeyAlgorithm.ED25519).did());
        }
        Path devicesFile = dir.resolve("devices.txt");
        Files.write(devicesFile, lines);
        try (ServerProcess updraft = new ServerProcess(dir, "row13-updraft", "1g", "platform",
                dir.resolve("platform").toString(), String.valueOf(16 * 1024))) {
            updraft.ask("REGISTER " + devicesFile, "STARTED");
            InetSocketAddress server = new InetSocketAddress("127.0.0.1", updraft.port());
            // first checks append each device's offer: the measured checks are answered from the cached offer
            Checks warm = Checks.run(server, ids, seconds);
            if (warm.answered(ResponseCode.CONTENT) < devices) {
                throw new IllegalStateException("row 13: warm-up answered " + warm.summary());
            }
            double[] quiet = new double[rounds];
            double[] flooded = new double[rounds];
            double[] quiet99 = new double[rounds];
            double[] flooded99 = new double[rounds];
            long shedAnswers = 0;
            long answers = 0;
            long retransmissions = 0;
            long sent = 0;
            double floodSeconds = 0;
            for (int r = 0; r < rounds; r++) {
                Checks q = Checks.run(server, ids, seconds);
                quiet[r] = q.percentile(0.5);
                quiet99[r] = q.percentile(0.99);
                try (Flood flood = new Flood(server, ids, floodPerSecond)) {
                    Thread.sleep(500); // the queue fills first
                    Checks f = Checks.run(server, ids, seconds);
                    flooded[r] = f.percentile(0.5);
                    flooded99[r] = f.percentile(0.99);
                    shedAnswers += f.answered(ResponseCode.SERVICE_UNAVAILABLE);
                    answers += f.latencies.length;
                    retransmissions += f.retransmissions;
                    sent += flood.sent();
                    floodSeconds += flood.seconds();
                }
                // the server recovers: the devices are served offers again before the next quiet round
                Thread.sleep(1000);
            }
            Checks after = Checks.run(server, ids, seconds);
            if (after.answered(ResponseCode.CONTENT) == 0) {
                throw new IllegalStateException("row 13: no offer served after the flood: " + after.summary());
            }
            String status = String.join(" ", updraft.ask("STATUS", "STATUS"));
            return new Row("13", "update check latency during a flood, " + devices + " devices each checking every "
                    + THINK_MILLIS + " ms among " + String.format(Locale.ROOT, "%,.0f", sent / floodSeconds)
                    + " flood datagrams/s (median)", Rates.median(flooded), "ms",
                    "the same devices and server without the flood", Rates.median(quiet), "ms", Double.NaN, "—", false,
                    String.format(Locale.ROOT, "p99 %.1f vs %.1f ms; the devices' answers during the flood: %d of %d "
                            + "5.03 (Max-Age), %d retransmissions; the server shed %s requests (5.03) and dropped %s "
                            + "of %,d datagrams unread, at most %s waiting (default bounds 512 and 4096)",
                            Rates.median(flooded99), Rates.median(quiet99), shedAnswers, answers, retransmissions,
                            find(SHED, status), find(DROPPED, status), sent, find(MOST, status)));
        }
    }

    private static String find(Pattern pattern, String status) {
        Matcher m = pattern.matcher(status);
        return m.find() ? m.group(1) : "0";
    }

    /** The measured devices: each checks, waits for the answer, rests, and checks again, for a fixed time. */
    private static final class Checks {

        final double[] latencies;
        final long[] codes;
        final long retransmissions;

        private Checks(double[] latencies, long[] codes, long retransmissions) {
            this.latencies = latencies;
            this.codes = codes;
            this.retransmissions = retransmissions;
        }

        static Checks run(InetSocketAddress server, List<String> ids, double seconds) throws Exception {
            Configuration config = new Configuration(CoapConfig.DEFINITIONS, UdpConfig.DEFINITIONS,
                    SystemConfig.DEFINITIONS);
            config.set(CoapConfig.PROTOCOL_STAGE_THREAD_COUNT, 1);
            CoapEndpoint endpoint = new CoapEndpoint.Builder().setConfiguration(config)
                    .setInetSocketAddress(new InetSocketAddress("127.0.0.1", 0)).build();
            endpoint.start();
            ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
            List<Double> measured = new ArrayList<>();
            long[] codes = new long[256];
            AtomicLong retransmissions = new AtomicLong();
            CountDownLatch stopped = new CountDownLatch(ids.size());
            long end = System.nanoTime() + (long) (seconds * 1e9);
            String base = "coap://127.0.0.1:" + server.getPort() + "/check/";
            try {
                for (String id : ids) {
                    new Runnable() {
                        @Override
                        public void run() {
                            if (System.nanoTime() >= end) {
                                stopped.countDown();
                                return;
                            }
                            Runnable again = this;
                            long started = System.nanoTime();
                            Request get = Request.newGet();
                            get.setType(Type.CON);
                            get.setURI(base + id + "?seq=1");
                            get.addMessageObserver(new MessageObserverAdapter() {
                                @Override
                                public void onRetransmission() {
                                    retransmissions.incrementAndGet();
                                }

                                @Override
                                public void onResponse(Response response) {
                                    synchronized (measured) {
                                        measured.add((System.nanoTime() - started) / 1e6);
                                        codes[response.getRawCode()]++;
                                    }
                                    timer.schedule(again, THINK_MILLIS, TimeUnit.MILLISECONDS);
                                }

                                @Override
                                public void onTimeout() {
                                    timer.execute(again);
                                }

                                @Override
                                public void onSendError(Throwable error) {
                                    timer.schedule(again, THINK_MILLIS, TimeUnit.MILLISECONDS);
                                }
                            });
                            endpoint.sendRequest(get);
                        }
                    }.run();
                }
                if (!stopped.await((long) seconds + 120, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("row 13: the devices' checks did not stop");
                }
            } finally {
                timer.shutdownNow();
                endpoint.destroy();
            }
            synchronized (measured) {
                double[] sorted = measured.stream().mapToDouble(Double::doubleValue).sorted().toArray();
                return new Checks(sorted, codes.clone(), retransmissions.get());
            }
        }

        long answered(ResponseCode code) {
            return codes[code.value];
        }

        double percentile(double p) {
            if (latencies.length == 0) {
                throw new IllegalStateException("row 13: the devices got no answer at all");
            }
            return latencies[Math.min(latencies.length - 1, (int) Math.floor(p * latencies.length))];
        }

        String summary() {
            return latencies.length + " answers, " + answered(ResponseCode.CONTENT) + " offers, "
                    + answered(ResponseCode.SERVICE_UNAVAILABLE) + " 5.03";
        }
    }

    /** Confirmable checks with fresh message ids and tokens from several sockets, at a steady rate, until closed. */
    private static final class Flood implements AutoCloseable {

        private final AtomicBoolean flooding = new AtomicBoolean(true);
        private final AtomicLong sent = new AtomicLong();
        private final List<Thread> threads = new ArrayList<>();
        private final List<DatagramSocket> sockets = new ArrayList<>();
        private final long started = System.nanoTime();
        private long stopped;

        Flood(InetSocketAddress server, List<String> ids, int perSecond) throws Exception {
            int burst = perSecond / FLOOD_THREADS / 1000; // a burst a millisecond per thread
            for (int t = 0; t < FLOOD_THREADS; t++) {
                List<DatagramSocket> own = new ArrayList<>();
                for (int s = 0; s < SOCKETS_PER_THREAD; s++) {
                    DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                    own.add(socket);
                    sockets.add(socket);
                }
                int seed = t;
                Thread thread = new Thread(() -> flood(own, server, ids, seed, burst), "row13-flood-" + t);
                thread.setDaemon(true);
                threads.add(thread);
                thread.start();
            }
        }

        private void flood(List<DatagramSocket> own, InetSocketAddress server, List<String> ids, int seed,
                int burst) {
            int mid = seed << 15;
            long next = System.nanoTime();
            try {
                while (flooding.get()) {
                    for (int i = 0; i < burst; i++) {
                        mid = (mid + 1) & 0xFFFF;
                        byte[] bytes = check(mid, seed, ids.get(mid % ids.size()));
                        own.get(i % own.size()).send(new DatagramPacket(bytes, bytes.length, server));
                        sent.incrementAndGet();
                    }
                    next += 1_000_000L;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                }
            } catch (java.io.IOException e) {
                if (flooding.get()) {
                    throw new IllegalStateException("row 13: the flood stopped: " + e, e);
                }
            }
        }

        /** CON GET /check/{id}?seq=1 with a 3-byte token. */
        private static byte[] check(int mid, int seed, String id) {
            ByteArrayOutputStream d = new ByteArrayOutputStream();
            byte[] path = id.getBytes(StandardCharsets.US_ASCII);
            d.write(0x43);
            d.write(0x01);
            d.write(mid >> 8);
            d.write(mid);
            d.write(seed);
            d.write(mid >> 8);
            d.write(mid);
            d.write(0xB5); // Uri-Path (11), 5 bytes
            d.writeBytes("check".getBytes(StandardCharsets.US_ASCII));
            d.write(path.length); // Uri-Path again (delta 0); ids are shorter than 13 bytes
            d.writeBytes(path);
            d.write(0x45); // Uri-Query (15), 5 bytes
            d.writeBytes("seq=1".getBytes(StandardCharsets.US_ASCII));
            return d.toByteArray();
        }

        long sent() {
            return sent.get();
        }

        double seconds() {
            return ((stopped == 0 ? System.nanoTime() : stopped) - started) / 1e9;
        }

        @Override
        public void close() throws Exception {
            flooding.set(false);
            stopped = System.nanoTime();
            for (Thread thread : threads) {
                thread.join(10_000);
            }
            sockets.forEach(DatagramSocket::close);
        }
    }
}
