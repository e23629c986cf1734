package dev.lobbyhub.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A markdown table, and how figures look in its cells. */
final class Table {

    /** A figure that is missing or null: the server cannot do it, or it was not measured. */
    static final String NONE = "–";

    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    Table(List<String> header) {
        this.header = header;
    }

    Table(String... header) {
        this(List.of(header));
    }

    Table row(List<String> cells) {
        rows.add(cells);
        return this;
    }

    Table row(String... cells) {
        return row(List.of(cells));
    }

    @Override
    public String toString() {
        StringBuilder md = new StringBuilder(line(header));
        md.append("|---".repeat(header.size())).append("|\n");
        rows.forEach(r -> md.append(line(r)));
        return md.toString();
    }

    private static String line(List<String> cells) {
        StringBuilder md = new StringBuilder();
        cells.forEach(c -> md.append("| ").append(c.replace("|", "\\|")).append(' '));
        return md.append("|\n").toString();
    }

    /** About three significant digits, without trailing zeros: 0.98, 45.8, 72, 1,235. */
    static String number(Double v) {
        if (v == null) {
            return NONE;
        }
        double a = Math.abs(v);
        String s = String.format(Locale.ROOT, a >= 100 ? "%,.0f" : a >= 10 ? "%.1f" : "%.2f", v);
        return s.contains(".") ? s.replaceAll("\\.?0+$", "") : s;
    }

    /** Connections, rates, counts of things. */
    static String count(Number v) {
        return v == null ? NONE : String.format(Locale.ROOT, "%,d", Math.round(v.doubleValue()));
    }

    static String ratio(Double v) {
        return v == null || v.isNaN() || v.isInfinite() ? NONE : String.format(Locale.ROOT, "%.2f", v);
    }

    static String percent(Double fraction) {
        return fraction == null ? NONE : String.format(Locale.ROOT, "%.2f %%", 100 * fraction);
    }

    /** {@code a ÷ b}, or null when either is missing or b is 0. */
    static Double divide(Double a, Double b) {
        return a == null || b == null || b == 0 ? null : a / b;
    }
}
