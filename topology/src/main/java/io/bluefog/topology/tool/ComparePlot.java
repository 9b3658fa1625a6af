package io.bluefog.topology.tool;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The {@code compare} figure: three panels against the number of ranks n on a log-2 axis — rho,
 * and the D-SGD transient iterations for i.i.d. and heterogeneous data on log axes, rendered
 * headless by XChart side by side into one PNG.
 */
final class ComparePlot {
    private static final int PANEL_WIDTH = 640;
    private static final int PANEL_HEIGHT = 480;
    private static final org.knowm.xchart.style.markers.Marker[] MARKERS = {
        SeriesMarkers.CIRCLE, SeriesMarkers.SQUARE, SeriesMarkers.DIAMOND, SeriesMarkers.TRIANGLE_UP,
        SeriesMarkers.TRIANGLE_DOWN, SeriesMarkers.CROSS, SeriesMarkers.PLUS, SeriesMarkers.OVAL};
    private static final Color[] COLORS = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};

    private ComparePlot() {
    }

    static void write(List<CompareCommand.Row> rows, List<String> graphs, Path output) {
        System.setProperty("java.awt.headless", "true");
        List<XYChart> charts = List.of(
                panel(rows, graphs, "Mixing rate", "ρ = ‖W − 11ᵀ/n‖₂ (per iteration)", CompareCommand.Row::rho, false),
                panel(rows, graphs, "Transient iterations, i.i.d. data", "ρ⁴n³ / (1 − ρ)²  (log scale)",
                        CompareCommand.Row::transientIid, true),
                panel(rows, graphs, "Transient iterations, heterogeneous data", "ρ⁴n³ / (1 − ρ)⁴  (log scale)",
                        CompareCommand.Row::transientNonIid, true));
        try {
            String name = output.toString();
            if (name.toLowerCase().endsWith(".png")) {
                name = name.substring(0, name.length() - 4);
            }
            BitmapEncoder.saveBitmap(charts, 1, charts.size(), name, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + output + ": " + e.getMessage(), e);
        }
    }

    private static XYChart panel(List<CompareCommand.Row> rows, List<String> graphs, String title, String yTitle,
                                 ToDoubleFunction<CompareCommand.Row> y, boolean logY) {
        XYChart chart = new XYChartBuilder().width(PANEL_WIDTH).height(PANEL_HEIGHT).title(title)
                .xAxisTitle("number of ranks n (log scale)").yAxisTitle(yTitle).build();
        var st = chart.getStyler();
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setPlotBorderColor(Color.DARK_GRAY);
        st.setPlotGridLinesColor(new Color(0xdddddd));
        st.setLegendPosition(logY ? Styler.LegendPosition.InsideNW : Styler.LegendPosition.InsideSE);
        st.setLegendBorderColor(new Color(0xbbbbbb));
        st.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        st.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        st.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        st.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        st.setMarkerSize(7);
        // Log scales drawn by hand (x = log2 n, y = log10 v on linear axes) so that ticks fall on
        // powers of two and of ten with clean labels; XChart's own log axis labels every 1..9 x 10^k.
        st.setxAxisTickLabelsFormattingFunction(x -> isInteger(x) ? Long.toString(1L << Math.round(x)) : "");
        if (logY) {
            st.setyAxisTickLabelsFormattingFunction(v -> isInteger(v) ? "10" + superscript(Math.round(v)) : "");
        } else {
            st.setYAxisMin(0.0);
            st.setYAxisMax(1.0);
            st.setYAxisDecimalPattern("0.0");
        }
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        int c = 0;
        for (String g : graphs) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            int zeros = 0;
            for (CompareCommand.Row r : rows) {
                if (!r.graph().equals(g)) {
                    continue;
                }
                double v = y.applyAsDouble(r);
                // A log axis cannot show 0 (exact averaging) or infinity (disconnected): leave the point out.
                if (logY && (!(v > 0) || !Double.isFinite(v))) {
                    zeros++;
                    continue;
                }
                xs.add(Math.log(r.size()) / Math.log(2));
                ys.add(logY ? Math.log10(v) : v);
            }
            if (xs.isEmpty()) {
                continue;
            }
            for (double v : ys) {
                yMin = Math.min(yMin, v);
                yMax = Math.max(yMax, v);
            }
            String label = zeros > 0 ? g + " (" + zeros + " pts = 0, omitted)" : g;
            XYSeries s = chart.addSeries(label, xs, ys);
            Color color = COLORS[c % COLORS.length];
            s.setLineColor(color);
            s.setMarkerColor(color);
            s.setMarker(MARKERS[c % MARKERS.length]);
            s.setLineStyle(new BasicStroke(2.0f));
            c++;
        }
        if (logY && yMin <= yMax) {
            // XChart measures the labels of the axis ends; they must be powers of ten to get a label.
            st.setYAxisMin(Math.floor(yMin));
            st.setYAxisMax(Math.max(Math.ceil(yMax), Math.floor(yMin) + 1));
        }
        return chart;
    }

    private static boolean isInteger(double v) {
        return Math.abs(v - Math.rint(v)) < 1e-9;
    }

    private static String superscript(long k) {
        String digits = "⁰¹²³⁴⁵⁶⁷⁸⁹";
        StringBuilder sb = new StringBuilder();
        for (char ch : Long.toString(k).toCharArray()) {
            sb.append(ch == '-' ? '⁻' : digits.charAt(ch - '0'));
        }
        return sb.toString();
    }
}
