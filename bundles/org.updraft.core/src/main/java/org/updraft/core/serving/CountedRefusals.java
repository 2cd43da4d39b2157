package org.updraft.core.serving;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

import org.osgi.annotation.versioning.ConsumerType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Malformed input a transport refused, counted by kind ({@code short-datagram}, {@code bad-query}, ...) and reported
 * at most once per interval per kind, with the count since the last report: anyone on the network can send
 * nonsense at line rate, and one log line per datagram would let them fill the disk and bury everything else.
 * The first refusal of a kind is reported at once, so an operator sees it; later ones wait for the interval.
 *
 * <p>Thread safe and cheap: a refusal is a map lookup, an adder increment and one clock read; reports are made
 * by whichever thread finds the interval over, without a lock. Kinds are names from the transport's code, a few
 * dozen at most; past {@value #MAX_KINDS} distinct names further ones are counted as {@code other}, so that a
 * caller deriving kinds from input cannot grow the map without bound.
 */
public final class CountedRefusals {

    /** Receives the reports; the default one logs a WARN line without a stack trace. */
    @ConsumerType
    @FunctionalInterface
    public interface Report {

        /**
         * Refusals of one kind since the last report of that kind.
         *
         * @param kind the kind
         * @param sinceLastReport refusals of that kind since its last report (all of them at the first report)
         * @param total refusals of that kind since this counter was made
         * @param detail the diagnostic of the refusal that made this report
         */
        void refused(String kind, long sinceLastReport, long total, String detail);
    }

    /** How often each kind is reported at most, by default. */
    public static final Duration INTERVAL = Duration.ofMinutes(1);

    /** Distinct kinds counted by name; further kinds are counted as {@code other}. */
    public static final int MAX_KINDS = 64;

    private static final String OTHER = "other";
    private static final int MAX_DETAIL = 200;

    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private final Report report;
    private final ConcurrentHashMap<String, Kind> kinds = new ConcurrentHashMap<>();

    /**
     * Reports to the logger of {@code owner} at WARN, once a minute per kind at most.
     *
     * @param owner the class whose logger gets the lines (operators set levels by it)
     * @param what who refused what, at the start of each line, e.g. {@code CoAP device API refused malformed input}
     */
    public CountedRefusals(Class<?> owner, String what) {
        this(INTERVAL, System::nanoTime, logged(LoggerFactory.getLogger(owner), what));
    }

    /**
     * @param interval the shortest time between two reports of one kind
     * @param nanoClock a monotonic clock in nanoseconds ({@link System#nanoTime()}; tests pass their own)
     * @param report receives the reports, on the thread of the refusal that makes them
     */
    public CountedRefusals(Duration interval, LongSupplier nanoClock, Report report) {
        if (interval.isNegative()) {
            throw new IllegalArgumentException("the interval must not be negative: " + interval);
        }
        this.intervalNanos = interval.toNanos();
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.report = Objects.requireNonNull(report, "report");
    }

    /**
     * Counts one refusal; reports it when its kind was not reported within the interval.
     *
     * @param kind a short name, lower case with dashes, from the caller's code (not from the input)
     * @param detail what was wrong, one line; shown only when this refusal is reported
     * @return whether this refusal was reported: a caller with more to say than one line (a platform bug's stack
     *         trace) says it then, as rarely as the reports
     */
    public boolean refused(String kind, String detail) {
        String name = kind;
        Kind counter = kinds.get(name);
        if (counter == null) {
            // the bound is loose under races (a few more kinds), which is all it has to be
            name = kinds.size() < MAX_KINDS ? kind : OTHER;
            counter = kinds.computeIfAbsent(name, k -> new Kind(nanoClock.getAsLong()));
        }
        counter.count.increment();
        long now = nanoClock.getAsLong();
        long due = counter.nextReport.get();
        // one thread wins the report; the others only counted
        if (now - due >= 0 && counter.nextReport.compareAndSet(due, now + intervalNanos)) {
            long total = counter.count.sum();
            long since = total - counter.reported.getAndSet(total);
            report.refused(name, since, total, oneLine(detail));
            return true;
        }
        return false;
    }

    /** Refusals of this kind so far. */
    public long count(String kind) {
        Kind counter = kinds.get(kind);
        return counter == null ? 0 : counter.count.sum();
    }

    /** Refusals of every kind so far. */
    public long total() {
        long sum = 0;
        for (Kind counter : kinds.values()) {
            sum += counter.count.sum();
        }
        return sum;
    }

    /** Every kind refused so far with its count, by name. */
    public Map<String, Long> counts() {
        Map<String, Long> counts = new TreeMap<>();
        kinds.forEach((name, counter) -> counts.put(name, counter.count.sum()));
        return counts;
    }

    /** E.g. {@code bad-query 1, short-datagram 3}, kinds by name; empty when nothing was refused. */
    public String summary() {
        StringBuilder line = new StringBuilder();
        counts().forEach((name, count) -> {
            if (line.length() > 0) {
                line.append(", ");
            }
            line.append(name).append(' ').append(count);
        });
        return line.toString();
    }

    private static Report logged(Logger log, String what) {
        return (kind, since, total, detail) -> log.warn("{}: {}, {} since the last line of "
                + "this kind ({} in all; at most one line a minute per kind); the last: {}", what, kind, since, total,
                detail);
    }

    private static String oneLine(String text) {
        String line = text == null ? "" : text.replaceAll("[\\r\\n\\t]+", " ").strip();
        return line.length() <= MAX_DETAIL ? line : line.substring(0, MAX_DETAIL - 3) + "...";
    }

    private static final class Kind {

        final LongAdder count = new LongAdder();
        /** The count at the last report. */
        final AtomicLong reported = new AtomicLong();
        /** When the next report may be made: the first refusal of a kind is reported at once. */
        final AtomicLong nextReport;

        Kind(long now) {
            nextReport = new AtomicLong(now);
        }
    }
}
