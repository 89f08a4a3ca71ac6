package dev.onnxport.conformance;

import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;

import java.util.Arrays;

/** Element-wise comparison of a result with its expected value. */
public final class Compare {
    private Compare() {}

    /** Null when they agree within |a - e| <= atol + rtol * |e|; else a one-line description of the worst element. */
    public static String mismatch(Tensor expected, Tensor actual, double atol, double rtol) {
        if (!Arrays.equals(squeezeScalar(expected.shape()), squeezeScalar(actual.shape())))
            return "shape " + Arrays.toString(actual.shape()) + ", expected " + Arrays.toString(expected.shape());
        if (expected.dtype() == DType.STRING) return expected.strings().equals(actual.strings()) ? null : "strings differ";
        long n = expected.numel();
        boolean exact = !expected.dtype().isFloat();
        double worst = 0;
        long at = -1;
        for (long i = 0; i < n; i++) {
            double e = expected.getDouble(i), a = actual.getDouble(i);
            if (Double.isNaN(e) && Double.isNaN(a)) continue;
            if (Double.isInfinite(e) && e == a) continue;
            double d = Math.abs(a - e);
            double tol = exact ? 0 : atol + rtol * Math.abs(e);
            if (!(d <= tol) && (d > worst || Double.isNaN(d) || at < 0)) {
                worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
                at = i;
            }
        }
        if (at < 0) return null;
        return "max error " + worst + " at flat index " + at + " (got " + actual.getDouble(at) + ", expected " + expected.getDouble(at) + ")";
    }

    /** Largest absolute difference (NaN-aware); shapes must match in element count. */
    public static double maxAbs(Tensor expected, Tensor actual) {
        double m = 0;
        for (long i = 0; i < expected.numel(); i++) {
            double d = Math.abs(expected.getDouble(i) - actual.getDouble(i));
            if (Double.isNaN(d)) return Double.POSITIVE_INFINITY;
            m = Math.max(m, d);
        }
        return m;
    }

    private static long[] squeezeScalar(long[] s) { return s; }
}
