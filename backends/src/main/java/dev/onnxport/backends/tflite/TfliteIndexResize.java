package dev.onnxport.backends.tflite;

import dev.onnxport.backends.tflite.TfliteIndexEmit.T;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Layout;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ops.Shapes;
import tflite.BuiltinOperator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resize (opset 10-19+) and Upsample (7-9) as separable per-axis resampling. Each resized axis becomes GATHERs
 * of source rows plus weighted sums: with static scales the source indices and weights are computed here
 * exactly as the ONNX reference does (float64), and with run-time scales (or roi) the same arithmetic is
 * emitted as TFLite ops on float32 coordinate vectors. When the node is channels-last and a TFLite resize
 * kernel reproduces the exact same sampling, that kernel is used instead.
 */
final class TfliteIndexResize {
    private TfliteIndexResize() {}

    /** Everything that decides the sampling, read from any opset form. */
    static final class Cfg {
        String mode = "nearest";
        String ctm = "half_pixel";
        String nearestMode = "round_prefer_floor";
        boolean legacy;            // opset <= 10 Resize and Upsample: asymmetric, nearest floors up / ceils down
        float cubicA = -0.75f;
        boolean excludeOutside;
        boolean antialias;
        float extrapolation;
        String policy = "stretch";
    }

    static Cfg cfg(Node n) {
        Cfg c = new Cfg();
        var a = n.attrs();
        boolean upsample = n.opType().equals("Upsample");
        c.mode = a.getString("mode", "nearest").toLowerCase(java.util.Locale.ROOT);
        if (c.mode.equals("bilinear")) c.mode = "linear";
        if (upsample || n.opset() < 11) {
            c.legacy = true;
            c.ctm = "asymmetric";
        } else {
            c.ctm = a.getString("coordinate_transformation_mode", "half_pixel");
            c.nearestMode = a.getString("nearest_mode", "round_prefer_floor");
            c.cubicA = a.getFloat("cubic_coeff_a", -0.75f);
            c.excludeOutside = a.getInt("exclude_outside", 0) != 0;
            c.extrapolation = a.getFloat("extrapolation_value", 0f);
            c.antialias = a.getInt("antialias", 0) != 0;
            c.policy = a.getString("keep_aspect_ratio_policy", "stretch");
        }
        switch (c.mode) {
            case "nearest", "linear", "cubic" -> { }
            default -> throw new ConversionException("Resize mode '" + c.mode + "' is not supported");
        }
        switch (c.ctm) {
            case "half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize",
                    "half_pixel_symmetric" -> { }
            default -> throw new ConversionException("coordinate_transformation_mode '" + c.ctm + "' is not supported");
        }
        if (c.legacy && !c.mode.equals("nearest") && !c.mode.equals("linear"))
            throw new ConversionException(n.opType() + " mode '" + c.mode + "' is not supported");
        if (c.antialias && c.mode.equals("nearest")) throw new ConversionException("antialias is not defined for nearest mode");
        return c;
    }

    /** Per ONNX axis: the scale (static value, or run-time [1] float tensor) and roi bounds when cropping. */
    static final class AxisPlan {
        int axis;
        long in, out;
        double scale = Double.NaN;  // static scale, NaN when run-time
        Lazy scaleT;               // run-time scale [1]
        double roiStart = Double.NaN, roiEnd = Double.NaN;
        Lazy roiStartT, roiEndT;
        boolean runtime() { return scaleT != null || roiStartT != null; }
    }

    /** A run-time tensor emitted on first use only (so axes left alone emit nothing). */
    static final class Lazy {
        private final java.util.function.Supplier<T> make;
        private T value;

        Lazy(java.util.function.Supplier<T> make) { this.make = make; }

        T get() {
            if (value == null) value = make.get();
            return value;
        }
    }

    static boolean present(Node n, int i) {
        Value v = n.input(i);
        if (v == null) return false;
        if (v.isConstant()) return v.constant().numel() > 0;
        return v.shape() == null || !v.shape().isStatic() || v.shape().numel() > 0;
    }

    static void lower(Node n, LowerContext ctx) {
        TfliteIndexEmit e = new TfliteIndexEmit(ctx, n);
        Cfg cfg = cfg(n);
        T x = e.in(n, 0);
        T out = e.out(n, 0);
        int r = x.rank();
        boolean nhwc = Layout.isNhwc(n);
        int[] toFirst = Layout.toFirst(r);
        long[] inF = nhwc ? permute(x.shape(), toFirst) : x.shape();
        long[] outF = nhwc ? permute(out.shape(), toFirst) : out.shape();
        int[] pos = new int[r]; // physical position of ONNX axis a
        if (nhwc) { int[] tl = Layout.toLast(r); for (int i = 0; i < r; i++) pos[tl[i]] = i; }
        else for (int i = 0; i < r; i++) pos[i] = i;

        boolean upsample = n.opType().equals("Upsample");
        int[] axes = new int[r];
        for (int i = 0; i < r; i++) axes[i] = i;
        long[] ax = upsample ? null : n.attrs().getInts("axes");
        if (ax != null) {
            axes = new int[ax.length];
            for (int i = 0; i < ax.length; i++) axes[i] = Shapes.axis(ax[i], r);
        }
        int k = axes.length;
        Map<Integer, AxisPlan> plans = new LinkedHashMap<>();
        for (int j = 0; j < k; j++) {
            AxisPlan p = new AxisPlan();
            p.axis = axes[j];
            p.in = inF[p.axis];
            p.out = outF[p.axis];
            plans.put(p.axis, p);
        }
        for (int a = 0; a < r; a++) if (!plans.containsKey(a) && inF[a] != outF[a])
            throw new ConversionException("output dim " + a + " differs from the input but is not a resized axis");

        // ---- scales
        int scalesIdx = upsample || n.opset() < 11 ? 1 : 2, sizesIdx = upsample || n.opset() < 11 ? -1 : 3;
        if (upsample && n.attrs().has("scales")) {
            float[] s = n.attrs().getFloats("scales");
            for (int j = 0; j < k; j++) plans.get(axes[j]).scale = s[j];
        } else if (sizesIdx >= 0 && present(n, sizesIdx)) {
            Tensor sz = n.constInput(sizesIdx);
            if (cfg.policy.equals("stretch")) {
                // the output shape is static, so sizes equals it whether or not it is a constant
                for (AxisPlan p : plans.values()) p.scale = (double) p.out / p.in;
            } else if (sz != null) {
                long[] v = sz.toLongs();
                double s = cfg.policy.equals("not_larger") ? Double.MAX_VALUE : -Double.MAX_VALUE;
                for (int j = 0; j < k; j++) {
                    double q = (double) v[j] / inF[axes[j]];
                    s = cfg.policy.equals("not_larger") ? Math.min(s, q) : Math.max(s, q);
                }
                for (AxisPlan p : plans.values()) p.scale = s;
            } else {
                int[] axesF = axes;
                Lazy s = new Lazy(() -> {
                    T szT = e.cast(e.in(n, sizesIdx), DType.FLOAT32);
                    float[] lens = new float[k];
                    for (int j = 0; j < k; j++) lens[j] = inF[axesF[j]];
                    T q = e.div(szT, e.f32(new long[] {k}, lens));
                    return e.reduce(cfg.policy.equals("not_larger") ? BuiltinOperator.REDUCE_MIN : BuiltinOperator.REDUCE_MAX, q, new int[] {0}, true);
                });
                for (AxisPlan p : plans.values()) p.scaleT = s;
            }
        } else {
            if (!present(n, scalesIdx)) throw new ConversionException("Resize needs scales or sizes");
            Tensor sc = n.constInput(scalesIdx);
            if (sc != null) {
                float[] s = sc.toFloats();
                if (s.length != k) throw new ConversionException("scales has " + s.length + " elements, expected " + k);
                for (int j = 0; j < k; j++) plans.get(axes[j]).scale = s[j];
            } else {
                if (n.input(scalesIdx).dtype() != DType.FLOAT32) throw new ConversionException("scales must be float32");
                for (int j = 0; j < k; j++) {
                    int jj = j;
                    plans.get(axes[j]).scaleT = new Lazy(() -> e.gather(e.in(n, scalesIdx), e.i32s(jj), 0));
                }
            }
        }
        for (AxisPlan p : plans.values()) {
            if (p.scaleT == null && !(p.scale > 0)) throw new ConversionException("scale " + p.scale + " for axis " + p.axis + " must be positive");
        }

        // ---- roi (tf_crop_and_resize only)
        boolean crop = cfg.ctm.equals("tf_crop_and_resize");
        if (crop) {
            if (!present(n, 1)) throw new ConversionException("tf_crop_and_resize needs roi");
            Tensor roi = n.constInput(1);
            if (roi != null) {
                double[] v = roi.toDoubles();
                if (v.length != 2 * k) throw new ConversionException("roi has " + v.length + " elements, expected " + 2 * k);
                for (int j = 0; j < k; j++) { AxisPlan p = plans.get(axes[j]); p.roiStart = v[j]; p.roiEnd = v[j + k]; }
            } else {
                Lazy roiT = new Lazy(() -> e.cast(e.in(n, 1), DType.FLOAT32));
                for (int j = 0; j < k; j++) {
                    AxisPlan p = plans.get(axes[j]);
                    int jj = j;
                    p.roiStartT = new Lazy(() -> e.gather(roiT.get(), e.i32s(jj), 0));
                    p.roiEndT = new Lazy(() -> e.gather(roiT.get(), e.i32s(jj + k), 0));
                }
            }
        }

        boolean weighted = !cfg.mode.equals("nearest") || crop;
        if (weighted && x.dt() != DType.FLOAT32)
            throw new ConversionException("Resize mode '" + cfg.mode + "'" + (crop ? " with tf_crop_and_resize" : "") + " of " + x.dt()
                    + " needs arithmetic TFLite only has for float32");

        // ---- skip identity axes like the reference does
        List<AxisPlan> todo = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            AxisPlan p = plans.get(axes[j]);
            boolean identity;
            if (p.runtime()) identity = p.in == 1 && p.out == 1 && !crop;
            else identity = Math.abs(p.scale - 1.0) <= 1e-9 && p.in == p.out
                    && (!crop || (Math.abs(p.roiStart) <= 1e-9 && Math.abs(p.roiEnd - 1.0) <= 1e-9));
            if (!identity) todo.add(p);
        }

        if (TfliteIndexResizeKernel.tryKernel(e, cfg, x, out, nhwc, todo)) return;

        T cur = x;
        for (AxisPlan p : todo) {
            cur = p.runtime() ? resizeAxisRuntime(e, cfg, cur, pos[p.axis], p)
                    : resizeAxisStatic(e, cfg, cur, pos[p.axis], p);
        }
        e.reshape(cur, out.shape(), out);
    }

    static long[] permute(long[] s, int[] perm) {
        long[] o = new long[perm.length];
        for (int i = 0; i < perm.length; i++) o[i] = s[perm[i]];
        return o;
    }

    // ================================================================== static sampling (reference port)

    /** Source coordinate of output position y (float64, as the ONNX reference computes it). */
    static double xOri(Cfg c, double y, double scale, long in, long out, double roiStart, double roiEnd) {
        double ow = scale * in;
        return switch (c.ctm) {
            case "align_corners" -> ow == 1 ? 0.0 : y * (in - 1) / (ow - 1);
            case "asymmetric" -> y / scale;
            case "tf_crop_and_resize" -> (ow == 1 ? (roiEnd - roiStart) * (in - 1) / 2 : y * (roiEnd - roiStart) * (in - 1) / (ow - 1))
                    + roiStart * (in - 1);
            case "pytorch_half_pixel" -> ow == 1 ? -0.5 : (y + 0.5) / scale - 0.5;
            case "half_pixel" -> (y + 0.5) / scale - 0.5;
            case "half_pixel_symmetric" -> {
                double adjustment = out / ow;
                double center = in / 2.0;
                double offset = center * (1 - adjustment);
                yield offset + (y + 0.5) / scale - 0.5;
            }
            case "tf_half_pixel_for_nn" -> (y + 0.5) / scale;
            default -> throw new IllegalStateException(c.ctm);
        };
    }

    static double[] coeffs(Cfg c, double ratio, double scale) {
        double A = c.cubicA;
        switch (c.mode) {
            case "linear" -> {
                if (!c.antialias) return new double[] {1 - ratio, ratio};
                double s = Math.min(scale, 1.0);
                int start = (int) (Math.floor(-1 / s) + 1);
                int footprint = 2 - 2 * start;
                double[] w = new double[footprint];
                double sum = 0;
                for (int i = 0; i < footprint; i++) {
                    double arg = ((start + i) - ratio) * s;
                    w[i] = Math.min(1, Math.max(0, 1 - Math.abs(arg)));
                    sum += w[i];
                }
                for (int i = 0; i < footprint; i++) w[i] /= sum;
                return w;
            }
            case "cubic" -> {
                if (!c.antialias) {
                    return new double[] {
                        ((A * (ratio + 1) - 5 * A) * (ratio + 1) + 8 * A) * (ratio + 1) - 4 * A,
                        ((A + 2) * ratio - (A + 3)) * ratio * ratio + 1,
                        ((A + 2) * (1 - ratio) - (A + 3)) * (1 - ratio) * (1 - ratio) + 1,
                        ((A * ((1 - ratio) + 1) - 5 * A) * ((1 - ratio) + 1) + 8 * A) * ((1 - ratio) + 1) - 4 * A,
                    };
                }
                double s = Math.min(scale, 1.0);
                int iStart = (int) (Math.floor(-2 / s) + 1);
                int iEnd = 2 - iStart;
                double[] w = new double[iEnd - iStart];
                double sum = 0;
                for (int i = iStart; i < iEnd; i++) {
                    double x = Math.abs(s * (i - ratio));
                    double v = x <= 1 ? (A + 2) * x * x * x - (A + 3) * x * x + 1
                            : x < 2 ? A * x * x * x - 5 * A * x * x + 8 * A * x - 4 * A : 0.0;
                    w[i - iStart] = v;
                    sum += v;
                }
                for (int i = 0; i < w.length; i++) w[i] /= sum;
                return w;
            }
            default -> throw new IllegalStateException(c.mode);
        }
    }

    /** Per output position: source indices (clamped) and weights; bias[o] is the extrapolation value or 0. */
    record Taps(int[][] idx, double[][] w, double[] bias) {}

    static Taps taps(Cfg c, AxisPlan p) {
        int O = Math.toIntExact(p.out);
        long L = p.in;
        int[][] idx = new int[O][];
        double[][] w = new double[O][];
        double[] bias = new double[O];
        for (int o = 0; o < O; o++) {
            double x = xOri(c, o, p.scale, L, p.out, p.roiStart, p.roiEnd);
            if (c.ctm.equals("tf_crop_and_resize") && (x < 0 || x > L - 1)) {
                idx[o] = new int[0];
                w[o] = new double[0];
                bias[o] = c.extrapolation;
                continue;
            }
            if (c.mode.equals("nearest")) {
                long i;
                if (c.legacy) i = p.scale < 1 ? (long) Math.ceil(x) : (long) x;
                else if (x == Math.floor(x)) i = (long) x;
                else {
                    double fl = Math.floor(x), ratio = x - fl;
                    boolean up = switch (c.nearestMode) {
                        case "round_prefer_floor" -> ratio > 0.5;
                        case "round_prefer_ceil" -> ratio >= 0.5;
                        case "floor" -> false;
                        case "ceil" -> true;
                        default -> throw new ConversionException("nearest_mode '" + c.nearestMode + "' is not supported");
                    };
                    i = (long) fl + (up ? 1 : 0);
                }
                idx[o] = new int[] {(int) Math.max(0, Math.min(L - 1, i))};
                w[o] = new double[] {1.0};
                continue;
            }
            double fl = Math.floor(x);
            double ratio = x == fl ? 1 : x - fl;
            double[] cf = coeffs(c, ratio, p.scale);
            int nTap = cf.length;
            int pad = (nTap + 1) / 2;
            double xp = x + pad;
            long pp = (long) Math.floor(xp);
            double frac = xp - pp;
            long off;
            if (nTap % 2 == 0) off = frac == 0 ? -(nTap / 2) : -(nTap / 2) + 1;
            else { long base = -((nTap - 1) / 2); off = frac <= 0.5 ? base : base + 1; }
            long start = pp + off;
            long[] nb = new long[nTap];
            for (int t = 0; t < nTap; t++) nb[t] = start + t - pad;
            if (c.excludeOutside) {
                double sum = 0;
                for (int t = 0; t < nTap; t++) { if (nb[t] < 0 || nb[t] >= L) cf[t] = 0; sum += cf[t]; }
                if (sum == 0) sum = 1;
                for (int t = 0; t < nTap; t++) cf[t] /= sum;
            }
            // merge taps that clamp onto the same source index
            Map<Integer, Double> m = new LinkedHashMap<>();
            for (int t = 0; t < nTap; t++) {
                int ci = (int) Math.max(0, Math.min(L - 1, nb[t]));
                m.merge(ci, cf[t], Double::sum);
            }
            m.values().removeIf(v -> v == 0.0);
            idx[o] = m.keySet().stream().mapToInt(Integer::intValue).toArray();
            w[o] = m.values().stream().mapToDouble(Double::doubleValue).toArray();
        }
        return new Taps(idx, w, bias);
    }

    /** Resamples physical axis ax of cur (static scale and roi). */
    static T resizeAxisStatic(TfliteIndexEmit e, Cfg c, T cur, int ax, AxisPlan p) {
        Taps t = taps(c, p);
        int O = Math.toIntExact(p.out);
        int nt = 0;
        boolean unit = true, anyBias = false;
        for (int o = 0; o < O; o++) {
            nt = Math.max(nt, t.idx()[o].length);
            for (double v : t.w()[o]) unit &= v == 1.0;
            anyBias |= t.bias()[o] != 0;
            unit &= t.idx()[o].length == 1;
        }
        long[] os = cur.shape().clone();
        os[ax] = O;
        if (unit && !anyBias) {
            int[] iv = new int[O];
            for (int o = 0; o < O; o++) iv[o] = t.idx()[o][0];
            return e.gather(cur, e.i32s(iv), ax);
        }
        T v = view3(e, cur, ax);
        long[] wShape = {1, O, 1};
        T acc = null;
        for (int k = 0; k < nt; k++) {
            int[] iv = new int[O];
            float[] wv = new float[O];
            for (int o = 0; o < O; o++) {
                if (k < t.idx()[o].length) { iv[o] = t.idx()[o][k]; wv[o] = (float) t.w()[o][k]; }
            }
            T g = e.gather(v, e.i32s(iv), 1);
            T term = e.mul(g, e.f32(wShape, wv));
            acc = acc == null ? term : e.add(acc, term);
        }
        if (anyBias) {
            float[] bv = new float[O];
            for (int o = 0; o < O; o++) bv[o] = (float) t.bias()[o];
            T b = e.f32(wShape, bv);
            acc = acc == null ? e.add(e.mul(e.gather(v, e.i32s(new int[O]), 1), e.f32(wShape, new float[O])), b) : e.add(acc, b);
        }
        return e.reshape(acc, os);
    }

    /** cur viewed as [prod(before ax), dim ax, prod(after ax)]. */
    static T view3(TfliteIndexEmit e, T cur, int ax) {
        long a = 1, b = 1;
        for (int i = 0; i < ax; i++) a *= cur.shape()[i];
        for (int i = ax + 1; i < cur.rank(); i++) b *= cur.shape()[i];
        return e.reshape(cur, new long[] {a, cur.shape()[ax], b});
    }

    // ================================================================== run-time sampling

    static float[] iota(long n, double add) {
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (i + add);
        return v;
    }

    /** Source coordinates [O] computed at run time from the run-time scale and/or roi. */
    static T xOriRuntime(TfliteIndexEmit e, Cfg c, AxisPlan p) {
        long O = p.out, L = p.in;
        long[] os = {O};
        T s = p.scaleT != null ? p.scaleT.get() : e.f32(new long[] {1}, (float) p.scale);
        switch (c.ctm) {
            case "align_corners" -> {
                if (O == 1) return e.f32(os, 0f);
                T ow = e.mul(s, e.f32(new long[] {1}, (float) L));
                float[] num = new float[(int) O];
                for (int i = 0; i < O; i++) num[i] = (float) ((double) i * (L - 1));
                return e.div(e.f32(os, num), e.sub(ow, e.f32(new long[] {1}, 1f)));
            }
            case "asymmetric" -> { return e.div(e.f32(os, iota(O, 0)), s); }
            case "tf_half_pixel_for_nn" -> { return e.div(e.f32(os, iota(O, 0.5)), s); }
            case "pytorch_half_pixel" -> {
                if (O == 1) return e.f32(os, -0.5f);
                return e.sub(e.div(e.f32(os, iota(O, 0.5)), s), e.f32(new long[] {1}, 0.5f));
            }
            case "half_pixel" -> { return e.sub(e.div(e.f32(os, iota(O, 0.5)), s), e.f32(new long[] {1}, 0.5f)); }
            case "half_pixel_symmetric" -> {
                T ow = e.mul(s, e.f32(new long[] {1}, (float) L));
                T adj = e.div(e.f32(new long[] {1}, (float) O), ow);
                // offset - 0.5 = L/2 - L/2 * adj - 0.5
                T off = e.sub(e.f32(new long[] {1}, (float) (L / 2.0 - 0.5)), e.mul(adj, e.f32(new long[] {1}, (float) (L / 2.0))));
                return e.add(e.div(e.f32(os, iota(O, 0.5)), s), off);
            }
            case "tf_crop_and_resize" -> {
                T st = p.roiStartT != null ? p.roiStartT.get() : e.f32(new long[] {1}, (float) p.roiStart);
                T en = p.roiEndT != null ? p.roiEndT.get() : e.f32(new long[] {1}, (float) p.roiEnd);
                T diff = e.sub(en, st);
                T base = e.mul(st, e.f32(new long[] {1}, (float) (L - 1)));
                if (p.scaleT == null) {
                    double ow = p.scale * L;
                    if (ow == 1) return e.add(e.reshape(e.mul(diff, e.f32(new long[] {1}, (float) ((L - 1) / 2.0))), new long[] {1}), base);
                    float[] f = new float[(int) O];
                    for (int i = 0; i < O; i++) f[i] = (float) (i * (L - 1) / (ow - 1));
                    return e.add(e.mul(e.f32(os, f), diff), base);
                }
                T ow1 = e.sub(e.mul(s, e.f32(new long[] {1}, (float) L)), e.f32(new long[] {1}, 1f));
                float[] f = new float[(int) O];
                for (int i = 0; i < O; i++) f[i] = (float) ((double) i * (L - 1));
                return e.add(e.div(e.mul(e.f32(os, f), diff), ow1), base);
            }
            default -> throw new IllegalStateException(c.ctm);
        }
    }

    /** ceil(a) = -floor(-a). */
    static T ceil(TfliteIndexEmit e, T a) { return e.neg(e.floor(e.neg(a))); }

    static T toIndex(TfliteIndexEmit e, T f, long L) {
        return e.cast(e.clamp(f, 0, L - 1), DType.INT32);
    }

    /** Resamples physical axis ax of cur with coordinates computed at run time. */
    static T resizeAxisRuntime(TfliteIndexEmit e, Cfg c, T cur, int ax, AxisPlan p) {
        long O = p.out, L = p.in;
        T x = xOriRuntime(e, c, p);
        if (x.rank() != 1 || x.shape()[0] != O) x = e.add(x, e.f32(new long[] {O}, new float[(int) O]));
        if (O == L && p.scaleT != null && !c.ctm.equals("tf_crop_and_resize")) {
            // the reference leaves an axis alone when its scale is 1 (e.g. tf_half_pixel_for_nn would shift it)
            T one = e.compare(BuiltinOperator.EQUAL, e.add(p.scaleT.get(), e.f32(new long[] {O}, new float[(int) O])), e.f32(new long[] {1}, 1f));
            x = e.select(one, e.f32(new long[] {O}, iota(O, 0)), x, null);
        }
        long[] os = cur.shape().clone();
        os[ax] = O;
        boolean crop = c.ctm.equals("tf_crop_and_resize");
        T result;
        T v;
        if (c.mode.equals("nearest")) {
            T rnd;
            if (c.legacy) rnd = O < L ? ceil(e, x) : e.floor(x);
            else rnd = switch (c.nearestMode) {
                case "floor" -> e.floor(x);
                case "ceil" -> ceil(e, x);
                case "round_prefer_floor" -> e.neg(e.floor(e.sub(e.f32(new long[] {1}, 0.5f), x)));   // ceil(x - 0.5)
                case "round_prefer_ceil" -> e.floor(e.add(x, e.f32(new long[] {1}, 0.5f)));          // floor(x + 0.5)
                default -> throw new ConversionException("nearest_mode '" + c.nearestMode + "' is not supported");
            };
            if (!crop) return e.gather(cur, toIndex(e, rnd, L), ax);
            v = view3(e, cur, ax);
            result = e.gather(v, toIndex(e, rnd, L), 1);
        } else {
            v = view3(e, cur, ax);
            T f = e.floor(x);
            T base = e.sub(f, x); // in (-1, 0]
            int nTap;
            int first;
            T se = null;
            if (c.antialias) {
                double sLow = Math.min((double) O / L, 1.0); // floor(L*s) = O bounds s from below by O/L
                int start = c.mode.equals("linear") ? (int) (Math.floor(-1 / sLow) + 1) : (int) (Math.floor(-2 / sLow) + 1);
                nTap = 2 - 2 * start;
                first = 1 - nTap / 2;
                T s = p.scaleT != null ? p.scaleT.get() : e.f32(new long[] {1}, (float) p.scale);
                se = e.minimum(s, e.f32(new long[] {1}, 1f));
            } else {
                nTap = c.mode.equals("linear") ? 2 : 4;
                first = c.mode.equals("linear") ? 0 : -1;
            }
            List<T> ws = new ArrayList<>();
            List<T> is = new ArrayList<>();
            float A = c.cubicA;
            for (int t = 0; t < nTap; t++) {
                int off = first + t;
                T d = off == 0 ? base : e.add(base, e.f32(new long[] {1}, off)); // source - x
                if (se != null) d = e.mul(d, se);
                T w;
                if (c.mode.equals("linear")) {
                    w = e.maximum(e.sub(e.f32(new long[] {1}, 1f), e.abs(d)), e.f32(new long[] {1}, 0f));
                } else if (!c.antialias) {
                    // |d| lies in [1,2) for the outer taps and [0,1] for the inner ones
                    T a = off == 0 ? e.neg(d) : off == 1 || off == 2 ? d : e.neg(d);
                    w = (off == 0 || off == 1) ? cubicInner(e, a, A) : cubicOuter(e, a, A);
                } else {
                    T a = e.abs(d);
                    T inner = cubicInner(e, a, A), outer = cubicOuter(e, a, A);
                    T zero = e.f32(new long[] {O}, new float[(int) O]);
                    T le1 = e.compare(BuiltinOperator.LESS_EQUAL, a, e.f32(new long[] {1}, 1f));
                    T lt2 = e.less(a, e.f32(new long[] {1}, 2f));
                    w = e.select(le1, inner, e.select(lt2, outer, zero, null), null);
                }
                T pk = off == 0 ? f : e.add(f, e.f32(new long[] {1}, off));
                if (c.excludeOutside) {
                    T inside = e.logicalAnd(e.compare(BuiltinOperator.GREATER_EQUAL, pk, e.f32(new long[] {1}, 0f)),
                            e.compare(BuiltinOperator.LESS_EQUAL, pk, e.f32(new long[] {1}, (float) (L - 1))));
                    w = e.mul(w, e.cast(inside, DType.FLOAT32));
                }
                ws.add(w);
                is.add(toIndex(e, pk, L));
            }
            if (c.antialias || c.excludeOutside) {
                T sum = ws.get(0);
                for (int t = 1; t < nTap; t++) sum = e.add(sum, ws.get(t));
                for (int t = 0; t < nTap; t++) ws.set(t, e.div(ws.get(t), sum));
            }
            T acc = null;
            for (int t = 0; t < nTap; t++) {
                T g = e.gather(v, is.get(t), 1);
                T term = e.mul(g, e.reshape(ws.get(t), new long[] {1, O, 1}));
                acc = acc == null ? term : e.add(acc, term);
            }
            result = acc;
        }
        if (crop) {
            T lo = e.less(x, e.f32(new long[] {1}, 0f));
            T hi = e.less(e.f32(new long[] {1}, (float) (L - 1)), x);
            T outside = e.cast(e.emit(BuiltinOperator.LOGICAL_OR, 1, new T[] {lo, hi}, null, DType.BOOL, new long[] {O}, (byte) 0, null), DType.FLOAT32);
            T m = e.reshape(outside, new long[] {1, O, 1});
            T keep = e.sub(e.f32(new long[] {1, 1, 1}, 1f), m);
            result = e.add(e.mul(result, keep), e.mul(m, e.f32(new long[] {1, 1, 1}, c.extrapolation)));
        }
        return e.reshape(result, os);
    }

    /** (A+2)a^3 - (A+3)a^2 + 1 for |d| = a in [0,1]. */
    static T cubicInner(TfliteIndexEmit e, T a, float A) {
        T t = e.sub(e.mul(a, e.f32(new long[] {1}, A + 2)), e.f32(new long[] {1}, A + 3));
        return e.add(e.mul(e.mul(t, a), a), e.f32(new long[] {1}, 1f));
    }

    /** A a^3 - 5A a^2 + 8A a - 4A for a in [1,2). */
    static T cubicOuter(TfliteIndexEmit e, T a, float A) {
        T t = e.sub(e.mul(a, e.f32(new long[] {1}, A)), e.f32(new long[] {1}, 5 * A));
        t = e.add(e.mul(t, a), e.f32(new long[] {1}, 8 * A));
        return e.sub(e.mul(t, a), e.f32(new long[] {1}, 4 * A));
    }
}
