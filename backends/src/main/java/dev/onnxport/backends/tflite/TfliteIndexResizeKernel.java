package dev.onnxport.backends.tflite;

import dev.onnxport.backends.tflite.TfliteIndexEmit.T;
import dev.onnxport.backends.tflite.TfliteIndexResize.AxisPlan;
import dev.onnxport.backends.tflite.TfliteIndexResize.Cfg;
import dev.onnxport.backends.tflite.TfliteIndexResize.Taps;
import dev.onnxport.ir.DType;
import tflite.BuiltinOperator;
import tflite.BuiltinOptions;
import tflite.ResizeBilinearOptions;
import tflite.ResizeNearestNeighborOptions;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Uses TFLite's RESIZE_NEAREST_NEIGHBOR / RESIZE_BILINEAR kernels for a channels-last 4-D Resize of H and W when
 * they sample exactly like ONNX. The kernels derive their own scale from the sizes (in/out, or (in-1)/(out-1)
 * with align_corners) and compute coordinates in float32; this class replays that arithmetic for every output
 * row and column and takes a kernel only when the source indices (and, for bilinear, the weights to 1e-6) are
 * those of the ONNX reference. Anything else is left to the exact decomposition.
 */
final class TfliteIndexResizeKernel {
    private TfliteIndexResizeKernel() {}

    static final double WEIGHT_TOL = 1e-6;

    /** align_corners / half_pixel_centers pairs the kernels accept (TF rejects both together). */
    static final boolean[][] OPTIONS = {{false, false}, {false, true}, {true, false}};

    static boolean tryKernel(TfliteIndexEmit e, Cfg cfg, T x, T out, boolean nhwc, List<AxisPlan> todo) {
        if (!nhwc || x.rank() != 4 || todo.isEmpty()) return false;
        boolean nearest = cfg.mode.equals("nearest");
        if (!nearest && !cfg.mode.equals("linear")) return false;
        if (cfg.antialias || cfg.ctm.equals("tf_crop_and_resize")) return false;
        if (x.dt() != DType.FLOAT32 && x.dt() != DType.UINT8 && x.dt() != DType.INT8) return false;
        AxisPlan h = null, w = null;
        for (AxisPlan p : todo) {
            if (p.runtime()) return false;
            if (p.axis == 2) h = p; else if (p.axis == 3) w = p; else return false;
        }
        long inH = x.shape()[1], inW = x.shape()[2], outH = out.shape()[1], outW = out.shape()[2];
        List<Map<Integer, Double>> onnxH = h == null ? identity(inH) : onnx(cfg, h);
        List<Map<Integer, Double>> onnxW = w == null ? identity(inW) : onnx(cfg, w);
        for (boolean[] o : OPTIONS) {
            boolean align = o[0], hp = o[1];
            if (same(onnxH, kernel(nearest, inH, outH, align, hp)) && same(onnxW, kernel(nearest, inW, outW, align, hp))) {
                emit(e, x, out, nearest, align, hp);
                return true;
            }
        }
        return false;
    }

    static void emit(TfliteIndexEmit e, T x, T out, boolean nearest, boolean align, boolean hp) {
        T size = e.i32s((int) out.shape()[1], (int) out.shape()[2]);
        if (nearest) {
            int v = align || hp ? 3 : x.dt() == DType.INT8 ? 2 : 1;
            e.emit(BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, v, new T[] {x, size}, out, x.dt(), out.shape(), BuiltinOptions.ResizeNearestNeighborOptions,
                    fb -> ResizeNearestNeighborOptions.createResizeNearestNeighborOptions(fb, align, hp));
        } else {
            int v = hp ? 3 : x.dt() == DType.INT8 ? 2 : 1;
            e.emit(BuiltinOperator.RESIZE_BILINEAR, v, new T[] {x, size}, out, x.dt(), out.shape(), BuiltinOptions.ResizeBilinearOptions,
                    fb -> ResizeBilinearOptions.createResizeBilinearOptions(fb, align, hp));
        }
    }

    static List<Map<Integer, Double>> identity(long n) {
        List<Map<Integer, Double>> r = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) r.add(Map.of(i, 1.0));
        return r;
    }

    static List<Map<Integer, Double>> onnx(Cfg cfg, AxisPlan p) {
        Taps t = TfliteIndexResize.taps(cfg, p);
        List<Map<Integer, Double>> r = new java.util.ArrayList<>();
        for (int o = 0; o < t.idx().length; o++) {
            Map<Integer, Double> m = new TreeMap<>();
            for (int k = 0; k < t.idx()[o].length; k++) m.merge(t.idx()[o][k], t.w()[o][k], Double::sum);
            r.add(m);
        }
        return r;
    }

    /** The taps of TFLite 2.6's kernels (reference_ops ResizeNearestNeighbor / ResizeBilinear), in float32. */
    static List<Map<Integer, Double>> kernel(boolean nearest, long in, long out, boolean align, boolean hp) {
        float scale = align && out > 1 ? (in - 1) / (float) (out - 1) : in / (float) out;
        List<Map<Integer, Double>> r = new java.util.ArrayList<>();
        for (int o = 0; o < out; o++) {
            Map<Integer, Double> m = new TreeMap<>();
            if (nearest) {
                float offset = hp ? 0.5f : 0.0f;
                float v = (o + offset) * scale;
                int i = align ? (int) Math.round((double) v) : (int) Math.floor(v);
                i = (int) Math.min(i, in - 1);
                if (hp) i = Math.max(0, i);
                m.put(i, 1.0);
            } else {
                float v = hp ? (o + 0.5f) * scale - 0.5f : o * scale;
                float fl = (float) Math.floor(v);
                int lo = Math.max((int) fl, 0);
                int hi = (int) Math.min((int) Math.ceil(v), in - 1);
                float wHi = v - lo;
                m.merge(lo, (double) (1 - wHi), Double::sum);
                m.merge(hi, (double) wHi, Double::sum);
            }
            m.values().removeIf(d -> Math.abs(d) <= WEIGHT_TOL);
            r.add(m);
        }
        return r;
    }

    static boolean same(List<Map<Integer, Double>> a, List<Map<Integer, Double>> b) {
        if (a.size() != b.size()) return false;
        for (int o = 0; o < a.size(); o++) {
            Map<Integer, Double> x = new TreeMap<>(a.get(o)), y = b.get(o);
            x.values().removeIf(d -> Math.abs(d) <= WEIGHT_TOL);
            if (!x.keySet().equals(y.keySet())) return false;
            for (Map.Entry<Integer, Double> en : x.entrySet()) if (Math.abs(en.getValue() - y.get(en.getKey())) > WEIGHT_TOL) return false;
        }
        return true;
    }
}
