package org.updraft.benchmarks;

/**
 * One line of the table: Updraft's figure, the reference measured in the same run, their ratio and whether
 * the target is met. A row that was not measured says why in {@code bound} and has NaN figures.
 *
 * @param higherIsBetter whether the ratio is Updraft ÷ reference with larger = better (always true here: every
 *        figure is a rate)
 */
record Row(String id, String what, double updraft, String unit, String reference, double referenceFigure,
        String referenceUnit, double target, String targetText, boolean absoluteTarget, String bound) {

    static Row notRun(String id, String what, String targetText, String why) {
        return new Row(id, what, Double.NaN, "", "", Double.NaN, "", Double.NaN, targetText, false, why);
    }

    double ratio() {
        return updraft / referenceFigure;
    }

    boolean measured() {
        return !Double.isNaN(updraft);
    }

    /** "yes", "no", or "—" when not measured or there is no target. */
    String met() {
        if (!measured() || Double.isNaN(target)) {
            return "—";
        }
        return (absoluteTarget ? updraft : ratio()) >= target ? "yes" : "no";
    }
}
