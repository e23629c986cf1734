package dev.lobbyhub.bench.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.DoubleStream;

/**
 * A standalone SVG line chart: one series per server, a legend to the right of the plot, linear x,
 * linear or log y. White background and system fonts so it reads the same in any viewer.
 */
final class SvgChart {

    record Point(double x, double y) {
    }

    private record Series(String label, String colour, List<Point> points) {
    }

    /** Okabe–Ito colours: distinct for colour-blind readers too. */
    private static final List<String> PALETTE = List.of("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
            "#56B4E9", "#000000", "#999999");
    private static final int WIDTH = 720;
    private static final int HEIGHT = 400;
    // The plot area; the legend takes the space right of it.
    private static final int LEFT = 75;
    private static final int RIGHT = 500;
    private static final int TOP = 45;
    private static final int BOTTOM = 340;
    private static final String FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final boolean logY;
    private final List<Series> series = new ArrayList<>();
    private Double guide;
    private String guideLabel;

    SvgChart(String title, String xLabel, String yLabel, boolean logY) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.logY = logY;
    }

    /** The colour of the {@code index}-th server, so a server keeps its colour across charts. */
    static String colour(int index) {
        return PALETTE.get(index % PALETTE.size());
    }

    /** Adds a series unless it has no point (a log axis drops points ≤ 0). */
    SvgChart series(String label, String colour, List<Point> points) {
        List<Point> kept = points.stream().filter(p -> !logY || p.y() > 0)
                .sorted(Comparator.comparingDouble(Point::x)).toList();
        if (!kept.isEmpty()) {
            series.add(new Series(label, colour, kept));
        }
        return this;
    }

    /** A dashed horizontal line, e.g. a limit the series should stay under. */
    SvgChart guide(double y, String label) {
        this.guide = y;
        this.guideLabel = label;
        return this;
    }

    String title() {
        return title;
    }

    boolean isEmpty() {
        return series.isEmpty();
    }

    String render() {
        double[] xs = series.stream().flatMap(s -> s.points().stream()).mapToDouble(Point::x).toArray();
        double[] ys = DoubleStream.concat(series.stream().flatMap(s -> s.points().stream()).mapToDouble(Point::y),
                guide == null ? DoubleStream.empty() : DoubleStream.of(guide)).toArray();
        Axis x = Axis.linear(DoubleStream.of(xs).max().orElse(1), LEFT, RIGHT);
        Axis y = logY ? Axis.log(DoubleStream.of(ys).min().orElse(1), DoubleStream.of(ys).max().orElse(1), BOTTOM, TOP)
                : Axis.linear(DoubleStream.of(ys).max().orElse(1), BOTTOM, TOP);

        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"%s\" font-size=\"12\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT, FONT));
        svg.append("<title>").append(escape(title)).append("</title>\n");
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
        text(svg, WIDTH / 2.0, 24, "middle", "font-size=\"15\" font-weight=\"bold\"", title);

        for (double t : y.ticks()) {
            double py = y.at(t);
            line(svg, LEFT, py, RIGHT, py, "#e5e5e5", "");
            text(svg, LEFT - 6, py + 4, "end", "", label(t));
        }
        for (double t : x.ticks()) {
            double px = x.at(t);
            line(svg, px, BOTTOM, px, BOTTOM + 5, "#333333", "");
            text(svg, px, BOTTOM + 19, "middle", "", label(t));
        }
        line(svg, LEFT, BOTTOM, RIGHT, BOTTOM, "#333333", "");
        line(svg, LEFT, TOP, LEFT, BOTTOM, "#333333", "");
        text(svg, (LEFT + RIGHT) / 2.0, BOTTOM + 42, "middle", "", xLabel);
        svg.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 18 %.1f)\">%s</text>%n",
                (TOP + BOTTOM) / 2.0, (TOP + BOTTOM) / 2.0, escape(yLabel)));

        if (guide != null) {
            line(svg, LEFT, y.at(guide), RIGHT, y.at(guide), "#888888", " stroke-dasharray=\"6 4\"");
            text(svg, RIGHT - 4, y.at(guide) - 5, "end", "fill=\"#666666\"", guideLabel);
        }
        for (Series s : series) {
            StringBuilder points = new StringBuilder();
            s.points().forEach(p -> points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x.at(p.x()), y.at(p.y()))));
            svg.append(String.format("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n",
                    s.colour(), points.toString().strip()));
            s.points().forEach(p -> circle(svg, x.at(p.x()), y.at(p.y()), s.colour()));
        }

        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            double ly = TOP + 8 + i * 22;
            line(svg, RIGHT + 18, ly, RIGHT + 42, ly, s.colour(), " stroke-width=\"2\"");
            circle(svg, RIGHT + 30, ly, s.colour());
            text(svg, RIGHT + 50, ly + 4, "start", "", s.label());
        }
        return svg.append("</svg>\n").toString();
    }

    /** Maps data values to pixels between {@code from} (the axis origin) and {@code to}. */
    private record Axis(double min, double max, boolean log, double from, double to, List<Double> ticks) {

        /** From 0 to a round number at or above {@code max}, ticks at 1, 2 or 5 × 10ⁿ apart. */
        static Axis linear(double max, double from, double to) {
            double top = max > 0 ? max : 1;
            double raw = top / 5;
            double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
            double step = DoubleStream.of(1, 2, 5, 10).map(m -> m * magnitude).filter(s -> s >= raw).findFirst().orElse(raw);
            long steps = Math.round(Math.ceil(top / step - 1e-9));
            List<Double> ticks = new ArrayList<>();
            for (long i = 0; i <= steps; i++) {
                ticks.add(i * step);
            }
            return new Axis(0, steps * step, false, from, to, ticks);
        }

        /** Whole decades around the data; ticks at 1, 2 and 5 × 10ⁿ unless that crowds the axis. */
        static Axis log(double min, double max, double from, double to) {
            int lo = (int) Math.floor(Math.log10(min));
            int hi = Math.max(lo + 1, (int) Math.ceil(Math.log10(max)));
            double[] steps = hi - lo > 3 ? new double[] {1} : new double[] {1, 2, 5};
            List<Double> ticks = new ArrayList<>();
            for (int e = lo; e <= hi; e++) {
                for (double m : steps) {
                    if (e < hi || m == 1) {
                        ticks.add(m * Math.pow(10, e));
                    }
                }
            }
            return new Axis(Math.pow(10, lo), Math.pow(10, hi), true, from, to, ticks);
        }

        double at(double v) {
            double f = log ? (Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min)) : (v - min) / (max - min);
            return from + f * (to - from);
        }
    }

    private static String label(double v) {
        return v == Math.rint(v) ? String.format(Locale.ROOT, "%,.0f", v)
                : String.format(Locale.ROOT, "%.3f", v).replaceAll("0+$", "");
    }

    private static void line(StringBuilder svg, double x1, double y1, double x2, double y2, String colour, String extra) {
        svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"%s/>%n",
                x1, y1, x2, y2, colour, extra));
    }

    private static void circle(StringBuilder svg, double cx, double cy, String colour) {
        svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>%n", cx, cy, colour));
    }

    private static void text(StringBuilder svg, double x, double y, String anchor, String extra, String content) {
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>%s</text>%n",
                x, y, anchor, extra.isEmpty() ? "" : " " + extra, escape(content)));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
