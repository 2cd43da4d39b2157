package org.updraft.benchmarks;

import java.util.List;
import java.util.Locale;

/** The one table: a Markdown table, readable as it is on a terminal. */
final class Table {

    private Table() {
    }

    static String markdown(List<Row> rows) {
        StringBuilder t = new StringBuilder();
        t.append("| # | what | Updraft | reference | reference figure | ratio | target | met? | what bounds it |\n");
        t.append("|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            t.append("| ").append(r.id()).append(" | ").append(r.what()).append(" | ")
                    .append(r.measured() ? figure(r.updraft(), r.unit()) : "—").append(" | ")
                    .append(r.reference().isEmpty() ? "—" : r.reference()).append(" | ")
                    .append(r.measured() ? figure(r.referenceFigure(), r.referenceUnit()) : "—").append(" | ")
                    .append(r.measured() ? String.format(Locale.ROOT, "%.2f", r.ratio()) : "—").append(" | ")
                    .append(r.targetText()).append(" | ").append(r.met()).append(" | ").append(r.bound())
                    .append(" |\n");
        }
        return t.toString();
    }

    private static String figure(double value, String unit) {
        String number = value >= 100 ? String.format(Locale.ROOT, "%,.0f", value)
                : String.format(Locale.ROOT, "%.1f", value);
        return number + " " + unit;
    }
}
