package dev.onnxport.backends.quant;

import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-tensor statistics over the calibration samples: the min and max (first pass), then, for the percentile and
 * MSE methods, a histogram of {@link #BINS} bins over [min, max] (second pass). Non-finite values are ignored.
 */
public final class RangeStats {
    public enum Method {
        /** The observed min and max. */
        MINMAX,
        /** The (100 - p)th and pth percentiles of all observed values (p = 99.99 by default). */
        PERCENTILE,
        /** The clipping range whose int8 quantization has the least expected squared error over the histogram. */
        MSE
    }

    public static final int BINS = 2048;

    private static final class Stat {
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        long[] hist;
        long count;
    }

    private final Map<String, Stat> stats = new LinkedHashMap<>();

    /** First pass: extends key's min and max. */
    public void observeMinMax(String key, FloatBuffer data) {
        Stat s = stats.computeIfAbsent(key, k -> new Stat());
        double lo = s.min, hi = s.max;
        for (int i = data.position(), n = data.limit(); i < n; i++) {
            float v = data.get(i);
            if (!Float.isFinite(v)) continue;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        s.min = lo;
        s.max = hi;
    }

    /** Second pass: counts key's values into its histogram over the first pass's [min, max]. */
    public void observeHistogram(String key, FloatBuffer data) {
        Stat s = stats.get(key);
        if (s == null || !(s.max >= s.min)) return;
        if (s.hist == null) s.hist = new long[BINS];
        double lo = s.min, w = (s.max - s.min) / BINS;
        long[] h = s.hist;
        for (int i = data.position(), n = data.limit(); i < n; i++) {
            float v = data.get(i);
            if (!Float.isFinite(v)) continue;
            int b = w > 0 ? (int) ((v - lo) / w) : 0;
            h[Math.max(0, Math.min(BINS - 1, b))]++;
            s.count++;
        }
    }

    public boolean has(String key) {
        Stat s = stats.get(key);
        return s != null && s.max >= s.min;
    }

    public java.util.Set<String> keys() { return stats.keySet(); }

    /** The observed [min, max] of key, or null when nothing finite was seen. */
    public Range minMax(String key) {
        Stat s = stats.get(key);
        return s == null || !(s.max >= s.min) ? null : new Range(s.min, s.max);
    }

    /** key's range by method (percentile in (50, 100] for PERCENTILE); falls back to min/max without a histogram. */
    public Range range(String key, Method m, double percentile) {
        Stat s = stats.get(key);
        if (s == null || !(s.max >= s.min)) return null;
        if (m == Method.MINMAX || s.hist == null || s.count == 0 || s.max == s.min) return new Range(s.min, s.max);
        if (m == Method.PERCENTILE) {
            double lo = quantile(s, (100 - percentile) / 100), hi = quantile(s, percentile / 100);
            return new Range(Math.min(lo, hi), Math.max(lo, hi));
        }
        return mse(s);
    }

    /** The value below which a fraction q of the counts lie, interpolated within its bin. */
    private static double quantile(Stat s, double q) {
        double w = (s.max - s.min) / BINS;
        double target = q * s.count;
        long acc = 0;
        for (int b = 0; b < BINS; b++) {
            long c = s.hist[b];
            if (acc + c >= target && c > 0) {
                double f = Math.max(0, Math.min(1, (target - acc) / c));
                return s.min + (b + f) * w;
            }
            acc += c;
        }
        return s.max;
    }

    private static final double[] TAILS = {0, 1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2};

    /**
     * Searches clipping ranges (lower and upper tail fractions from {@link #TAILS}) for the least expected squared
     * error of asymmetric int8 quantization: clipping error of the values outside plus step^2 / 12 for those inside.
     */
    private static Range mse(Stat s) {
        double w = (s.max - s.min) / BINS;
        double best = Double.POSITIVE_INFINITY;
        Range r = new Range(s.min, s.max);
        for (double tl : TAILS) {
            double lo = tl == 0 ? s.min : quantile(s, tl);
            for (double th : TAILS) {
                double hi = th == 0 ? s.max : quantile(s, 1 - th);
                double a = Math.min(lo, 0), b = Math.max(hi, 0);
                if (b <= a) continue;
                double step = (b - a) / 255;
                double err = 0;
                for (int i = 0; i < BINS; i++) {
                    long c = s.hist[i];
                    if (c == 0) continue;
                    double x = s.min + (i + 0.5) * w;
                    double e = x < a ? (a - x) * (a - x) : x > b ? (x - b) * (x - b) : step * step / 12;
                    err += c * e;
                }
                if (err < best) {
                    best = err;
                    r = new Range(lo, hi);
                }
            }
        }
        return r;
    }
}
