package org.updraft.shell.internal;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongFunction;

import org.updraft.api.release.progress.PublishProgress;

/** A one-line progress bar for long work (uploads, audits), redrawn at most ten times a second. */
final class ProgressBar implements PublishProgress {

    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final String label;
    private final LongFunction<String> unit;
    private long lastDraw;
    private boolean drawn;

    /** A bar counting bytes. */
    ProgressBar(PrintStream out, String label) {
        this(out, label, Format::bytes);
    }

    /** A bar counting whatever {@code unit} names, e.g. {@code n -> n + " events"}. */
    ProgressBar(PrintStream out, String label, LongFunction<String> unit) {
        this.out = out;
        this.label = label;
        this.unit = unit;
    }

    @Override
    public void bytesStored(long done, long total) {
        long now = System.nanoTime();
        if (done < total && drawn && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        drawn = true;
        int percent = total <= 0 ? 100 : (int) Math.min(100, done * 100 / total);
        int filled = percent * WIDTH / 100;
        out.print(String.format(Locale.ROOT, "\r%s [%s%s] %3d%% %s of %s", label, "#".repeat(filled),
                " ".repeat(WIDTH - filled), percent, unit.apply(done), unit.apply(total)));
        out.flush();
    }

    /** Ends the bar's line, if one was drawn. */
    void finish() {
        if (drawn) {
            out.println();
        }
    }
}
