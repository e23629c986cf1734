package dev.lobbyhub.bench.report;

import static dev.lobbyhub.bench.report.Table.NONE;
import static dev.lobbyhub.bench.report.Table.number;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;
import java.util.function.BinaryOperator;
import java.util.function.Function;

import dev.lobbyhub.bench.report.RunResults.Rows;

/**
 * One figure across the rounds of a run: its median, its range and how far apart the rounds were.
 * {@link #spread()} is (max − min) ÷ median; over {@code spread.flag-above} (targets.properties) the
 * figure is flagged, since a median of rounds that far apart says less than it seems to.
 */
record Spread(double median, double min, double max, int rounds) {

    /** The median of the values (the mean of the middle two for an even count), or null for none. */
    static Double median(Collection<Double> values) {
        if (values.isEmpty()) {
            return null;
        }
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Null when there are no values. */
    static Spread of(Collection<Double> values) {
        List<Double> present = values.stream().filter(v -> v != null && !v.isNaN() && !v.isInfinite()).toList();
        if (present.isEmpty()) {
            return null;
        }
        return new Spread(median(present), present.stream().mapToDouble(d -> d).min().orElseThrow(),
                present.stream().mapToDouble(d -> d).max().orElseThrow(), present.size());
    }

    /** A server's figure at one count over its rounds; null when no round has it. */
    static <T extends Record> Spread of(Rows<T> rows, String server, long count, Function<T, Double> figure) {
        return of(rows.rounds(server, count).values().stream().map(figure).toList());
    }

    /**
     * {@code a ÷ b} per round, each round's {@code a} over the same round's {@code b} (run next to each
     * other), for the rounds both have the figures of. When they share no round (results put together
     * from different runs), the one ratio of their medians.
     */
    static <T extends Record> Spread ratio(Rows<T> rows, String a, long count, Function<T, Double> figureA,
                                           String b, Function<T, Double> figureB) {
        return perRound(rows, a, count, figureA, b, figureB, Table::divide);
    }

    static <T extends Record> Spread ratio(Rows<T> rows, String a, String b, long count, Function<T, Double> figure) {
        return ratio(rows, a, count, figure, b, figure);
    }

    /** {@code a − b} per round, as {@link #ratio} takes {@code a ÷ b}. */
    static <T extends Record> Spread difference(Rows<T> rows, String a, String b, long count, Function<T, Double> figure) {
        return perRound(rows, a, count, figure, b, figure, (x, y) -> x == null || y == null ? null : x - y);
    }

    private static <T extends Record> Spread perRound(Rows<T> rows, String a, long count, Function<T, Double> figureA,
                                                      String b, Function<T, Double> figureB, BinaryOperator<Double> op) {
        SortedMap<Integer, T> ours = rows.rounds(a, count);
        SortedMap<Integer, T> theirs = rows.rounds(b, count);
        List<Double> ratios = new ArrayList<>();
        for (var round : ours.entrySet()) {
            T other = theirs.get(round.getKey());
            if (other != null) {
                Double x = op.apply(figureA.apply(round.getValue()), figureB.apply(other));
                if (x != null) {
                    ratios.add(x);
                }
            }
        }
        if (ratios.isEmpty()) {
            T medianA = rows.get(new RunResults.Key(a, count));
            T medianB = rows.get(new RunResults.Key(b, count));
            Double x = medianA == null || medianB == null ? null
                    : op.apply(figureA.apply(medianA), figureB.apply(medianB));
            return x == null ? null : of(List.of(x));
        }
        return of(ratios);
    }

    double spread() {
        return median == 0 ? 0 : (max - min) / Math.abs(median);
    }

    boolean flagged() {
        return rounds > 1 && spread() > Limits.number("spread.flag-above");
    }

    /** " ⚠ spread 31 %" when flagged, else "". */
    String flag() {
        return flagged() ? String.format(Locale.ROOT, " ⚠ spread %d %%", Math.round(100 * spread())) : "";
    }

    /** The median as a figure, flagged when the rounds were far apart: "18.2", "88 ⚠ spread 41 %". */
    static String cell(Spread s) {
        return cell(s, "");
    }

    /** The same with a mark right after the figure ("*": short of delivery). */
    static String cell(Spread s, String mark) {
        return s == null ? NONE : number(s.median) + mark + s.flag();
    }

    static <T extends Record> String cell(Rows<T> rows, String server, long count, Function<T, Double> figure) {
        return cell(of(rows, server, count, figure));
    }

    /** A ratio's median with its range over the rounds: "1.16 (1.10–1.30)", or "1.16" for one round. */
    static String ratioCell(Spread s) {
        if (s == null) {
            return NONE;
        }
        String median = Table.ratio(s.median);
        String min = Table.ratio(s.min);
        String max = Table.ratio(s.max);
        return s.rounds < 2 || min.equals(max) ? median : median + " (" + min + "–" + max + ")";
    }

    /** A difference in ms with its range: "+1.2 ms (−0.4 to +3.1)", or "+1.2 ms" for one round. */
    static String differenceCell(Spread s) {
        if (s == null) {
            return NONE;
        }
        String min = signed(s.min);
        String max = signed(s.max);
        return signedMs(s.median) + (s.rounds < 2 || min.equals(max) ? "" : " (" + min + " to " + max + ")");
    }

    /** "+1.2 ms", "−0.4 ms". */
    static String signedMs(double v) {
        return signed(v) + " ms";
    }

    private static String signed(double v) {
        return (v > 0 ? "+" : v < 0 ? "−" : "") + number(Math.abs(v));
    }
}
