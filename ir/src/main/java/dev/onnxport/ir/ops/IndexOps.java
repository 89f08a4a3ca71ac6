package dev.onnxport.ir.ops;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Layout;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Shape inference and constant evaluation for the index family: Gather, GatherElements, GatherND, ScatterND,
 * ScatterElements, Scatter, OneHot, ReverseSequence, NonZero, Resize, Upsample, DepthToSpace, SpaceToDepth.
 * Evaluators copy elements bytewise, so integer data (shape computations) stays exact.
 */
final class IndexOps {
    private IndexOps() {}

    static void register(OpRegistry r) {
        r.register("Gather", IndexOps::gatherShape, IndexOps::gatherEval);
        r.register("GatherElements", n -> List.of(new ValueType(n.input(0).dtype(), Shapes.requireShape(n.input(1)))), IndexOps::gatherElementsEval);
        r.register("GatherND", IndexOps::gatherNdShape, IndexOps::gatherNdEval);
        r.register("ScatterND", n -> Shapes.sameAsInput(n, 0), IndexOps::scatterNdEval);
        r.register("ScatterElements", n -> Shapes.sameAsInput(n, 0), IndexOps::scatterElementsEval);
        r.register("Scatter", n -> Shapes.sameAsInput(n, 0), IndexOps::scatterElementsEval);
        r.register("OneHot", IndexOps::oneHotShape, IndexOps::oneHotEval);
        r.register("ReverseSequence", n -> Shapes.sameAsInput(n, 0), IndexOps::reverseSequenceEval);
        r.register("NonZero", IndexOps::nonZeroShape, IndexOps::nonZeroEval);
        r.register("Resize", IndexOps::resizeShape, null);
        r.register("Upsample", IndexOps::resizeShape, null);
        r.register("DepthToSpace", n -> spaceDepthShape(n, true), (n, in) -> Layout.isNhwc(n) ? null : List.of(depthToSpace(in.get(0), blocksize(n), mode(n))));
        IndexUnpool.register(r);
        r.register("SpaceToDepth", n -> spaceDepthShape(n, false), (n, in) -> Layout.isNhwc(n) ? null : List.of(spaceToDepth(in.get(0), blocksize(n), mode(n))));
    }

    // ---------------------------------------------------------------- helpers

    static Dim mul(Dim a, long k) { return a.isKnown() ? Dim.of(a.value() * k) : Dim.sym(null); }

    static Dim div(Dim a, long k) {
        if (!a.isKnown()) return Dim.sym(null);
        if (a.value() % k != 0) throw new ConversionException("dimension " + a.value() + " is not divisible by " + k);
        return Dim.of(a.value() / k);
    }

    static long[] strides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    /** Normalises index i against dim d (negative counts from the end); throws when out of range. */
    static long normIndex(long i, long d) {
        long j = i < 0 ? i + d : i;
        if (j < 0 || j >= d) throw new ConversionException("index " + i + " out of range for dimension " + d);
        return j;
    }

    /** out[j] = data[src[j]] for every j, with the given output shape; bytewise, any dtype. */
    static Tensor take(Tensor data, long[] outShape, long[] src) {
        if (data.dtype() == DType.STRING) {
            List<String> s = new ArrayList<>(src.length);
            for (long k : src) s.add(data.strings().get(Math.toIntExact(k)));
            return Tensor.ofStrings(outShape, s);
        }
        int es = data.dtype().size();
        ByteBuffer in = data.data();
        ByteBuffer out = Tensor.alloc((long) src.length * es);
        byte[] tmp = new byte[es];
        for (long k : src) {
            in.position(Math.toIntExact(k * es));
            in.get(tmp);
            out.put(tmp);
        }
        return Tensor.of(data.dtype(), outShape, out.flip());
    }

    /** Multi-index of flat index f for shape. */
    static long[] unravel(long f, long[] shape, long[] out) {
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] == 0) { out[i] = 0; continue; }
            out[i] = f % shape[i];
            f /= shape[i];
        }
        return out;
    }

    // ---------------------------------------------------------------- Gather

    static List<ValueType> gatherShape(Node n) {
        Shape d = Shapes.requireShape(n.input(0)), idx = Shapes.requireShape(n.input(1));
        int axis = Shapes.axis(n.attrs().getInt("axis", 0), d.rank());
        List<Dim> o = new ArrayList<>(d.dims().subList(0, axis));
        o.addAll(idx.dims());
        o.addAll(d.dims().subList(axis + 1, d.rank()));
        return List.of(new ValueType(n.input(0).dtype(), Shape.of(o)));
    }

    static List<Tensor> gatherEval(Node n, List<Tensor> in) {
        return List.of(gather(in.get(0), in.get(1), n.attrs().getInt("axis", 0)));
    }

    static Tensor gather(Tensor data, Tensor indices, long axisAttr) {
        long[] ds = data.shape();
        int axis = Shapes.axis(axisAttr, ds.length);
        long outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= ds[i];
        for (int i = axis + 1; i < ds.length; i++) inner *= ds[i];
        long dim = ds[axis];
        long[] idx = indices.toLongs();
        long[] is = indices.shape();
        long[] os = new long[ds.length - 1 + is.length];
        System.arraycopy(ds, 0, os, 0, axis);
        System.arraycopy(is, 0, os, axis, is.length);
        System.arraycopy(ds, axis + 1, os, axis + is.length, ds.length - axis - 1);
        long[] src = new long[Math.toIntExact(outer * idx.length * inner)];
        int p = 0;
        for (long o = 0; o < outer; o++)
            for (long k : idx) {
                long j = normIndex(k, dim);
                for (long q = 0; q < inner; q++) src[p++] = (o * dim + j) * inner + q;
            }
        return take(data, os, src);
    }

    // ---------------------------------------------------------------- GatherElements

    static List<Tensor> gatherElementsEval(Node n, List<Tensor> in) {
        Tensor data = in.get(0), indices = in.get(1);
        long[] ds = data.shape(), is = indices.shape();
        int axis = Shapes.axis(n.attrs().getInt("axis", 0), ds.length);
        if (is.length != ds.length) throw new ConversionException("GatherElements: indices rank differs from data rank");
        long[] dstr = strides(ds);
        long[] idx = indices.toLongs();
        long[] src = new long[idx.length];
        long[] m = new long[is.length];
        for (int f = 0; f < idx.length; f++) {
            unravel(f, is, m);
            long off = 0;
            for (int i = 0; i < m.length; i++) off += (i == axis ? normIndex(idx[f], ds[axis]) : m[i]) * dstr[i];
            src[f] = off;
        }
        return List.of(take(data, is, src));
    }

    // ---------------------------------------------------------------- GatherND

    static List<ValueType> gatherNdShape(Node n) {
        Shape d = Shapes.requireShape(n.input(0)), idx = Shapes.requireShape(n.input(1));
        int b = (int) n.attrs().getInt("batch_dims", 0);
        Dim last = idx.dim(idx.rank() - 1);
        if (!last.isKnown()) throw new ConversionException("GatherND: the last dimension of indices must be static");
        int m = (int) last.value();
        if (b + m > d.rank()) throw new ConversionException("GatherND: indices last dim " + m + " + batch_dims " + b + " exceeds data rank " + d.rank());
        List<Dim> o = new ArrayList<>(idx.dims().subList(0, idx.rank() - 1));
        o.addAll(d.dims().subList(b + m, d.rank()));
        return List.of(new ValueType(n.input(0).dtype(), Shape.of(o)));
    }

    static List<Tensor> gatherNdEval(Node n, List<Tensor> in) {
        Tensor data = in.get(0), indices = in.get(1);
        int b = (int) n.attrs().getInt("batch_dims", 0);
        long[] ds = data.shape(), is = indices.shape();
        int m = (int) is[is.length - 1];
        long batch = 1;
        for (int i = 0; i < b; i++) batch *= ds[i];
        long slice = 1;
        for (int i = b + m; i < ds.length; i++) slice *= ds[i];
        long perBatchData = 1;
        for (int i = b; i < ds.length; i++) perBatchData *= ds[i];
        long rows = Tensor.numel(Arrays.copyOf(is, is.length - 1));
        long rowsPerBatch = batch == 0 ? 0 : rows / batch;
        long[] dstr = strides(Arrays.copyOfRange(ds, b, ds.length));
        long[] idx = indices.toLongs();
        long[] os = new long[is.length - 1 + ds.length - b - m];
        System.arraycopy(is, 0, os, 0, is.length - 1);
        System.arraycopy(ds, b + m, os, is.length - 1, ds.length - b - m);
        long[] src = new long[Math.toIntExact(rows * slice)];
        int p = 0;
        for (long r = 0; r < rows; r++) {
            long bi = rowsPerBatch == 0 ? 0 : r / rowsPerBatch;
            long off = bi * perBatchData;
            for (int k = 0; k < m; k++) off += normIndex(idx[Math.toIntExact(r * m + k)], ds[b + k]) * dstr[k];
            for (long q = 0; q < slice; q++) src[p++] = off + q;
        }
        return List.of(take(data, os, src));
    }

    // ---------------------------------------------------------------- Scatter*

    /** A copy of data with element positions dst[k] combined with updates element k, in order. */
    static Tensor scatter(Tensor data, Tensor updates, long[] dst, String reduction) {
        if (data.dtype() == DType.STRING) throw new ConversionException("scatter of strings is not evaluated");
        int es = data.dtype().size();
        ByteBuffer out = Tensor.alloc(data.byteSize());
        out.put(data.data());
        out.flip();
        ByteBuffer up = updates.data();
        byte[] tmp = new byte[es];
        boolean none = reduction == null || reduction.equals("none");
        if (none) {
            for (int k = 0; k < dst.length; k++) {
                up.position(k * es);
                up.get(tmp);
                out.position(Math.toIntExact(dst[k] * es));
                out.put(tmp);
            }
            out.position(0);
            return Tensor.of(data.dtype(), data.shape(), out);
        }
        Tensor cur = Tensor.of(data.dtype(), data.shape(), out);
        // numeric reductions: work on doubles (floats) or longs (integers), then re-encode
        long n = data.numel();
        if (data.dtype().isFloat()) {
            double[] v = cur.toDoubles();
            for (int k = 0; k < dst.length; k++) {
                int d = Math.toIntExact(dst[k]);
                v[d] = combine(v[d], updates.getDouble(k), reduction);
            }
            return Tensor.fromDoubles(data.dtype(), data.shape(), v);
        }
        long[] v = cur.toLongs();
        for (int k = 0; k < dst.length; k++) {
            int d = Math.toIntExact(dst[k]);
            v[d] = combineLong(v[d], updates.getLong(k), reduction);
        }
        if (data.dtype() == DType.BOOL) for (int i = 0; i < n; i++) v[i] = v[i] != 0 ? 1 : 0;
        return Tensor.fromLongs(data.dtype(), data.shape(), v);
    }

    static double combine(double a, double b, String r) {
        return switch (r) {
            case "add" -> a + b;
            case "mul" -> a * b;
            case "max" -> Math.max(a, b);
            case "min" -> Math.min(a, b);
            default -> throw new ConversionException("unknown reduction '" + r + "'");
        };
    }

    static long combineLong(long a, long b, String r) {
        return switch (r) {
            case "add" -> a + b;
            case "mul" -> a * b;
            case "max" -> Math.max(a, b);
            case "min" -> Math.min(a, b);
            default -> throw new ConversionException("unknown reduction '" + r + "'");
        };
    }

    static List<Tensor> scatterNdEval(Node n, List<Tensor> in) {
        Tensor data = in.get(0), indices = in.get(1), updates = in.get(2);
        long[] ds = data.shape(), is = indices.shape();
        int m = (int) is[is.length - 1];
        long slice = 1;
        for (int i = m; i < ds.length; i++) slice *= ds[i];
        long rows = Tensor.numel(Arrays.copyOf(is, is.length - 1));
        long[] dstr = strides(ds);
        long[] idx = indices.toLongs();
        long[] dst = new long[Math.toIntExact(rows * slice)];
        int p = 0;
        for (long r = 0; r < rows; r++) {
            long off = 0;
            for (int k = 0; k < m; k++) off += normIndex(idx[Math.toIntExact(r * m + k)], ds[k]) * dstr[k];
            for (long q = 0; q < slice; q++) dst[p++] = off + q;
        }
        if (updates.numel() != dst.length) throw new ConversionException("ScatterND: updates shape does not match indices");
        return List.of(scatter(data, updates, dst, n.attrs().getString("reduction", "none")));
    }

    static List<Tensor> scatterElementsEval(Node n, List<Tensor> in) {
        Tensor data = in.get(0), indices = in.get(1), updates = in.get(2);
        long[] ds = data.shape(), is = indices.shape();
        int axis = Shapes.axis(n.attrs().getInt("axis", 0), ds.length);
        long[] dstr = strides(ds);
        long[] idx = indices.toLongs();
        long[] dst = new long[idx.length];
        long[] m = new long[is.length];
        for (int f = 0; f < idx.length; f++) {
            unravel(f, is, m);
            long off = 0;
            for (int i = 0; i < m.length; i++) off += (i == axis ? normIndex(idx[f], ds[axis]) : m[i]) * dstr[i];
            dst[f] = off;
        }
        return List.of(scatter(data, updates, dst, n.attrs().getString("reduction", "none")));
    }

    // ---------------------------------------------------------------- OneHot

    /** The depth of a OneHot node when its depth input is constant, else -1. */
    static long oneHotDepth(Node n) {
        Tensor d = n.constInput(1);
        if (d == null) return -1;
        if (d.numel() != 1) throw new ConversionException("OneHot: depth must have one element");
        long v = d.getLong(0);
        if (v < 1) throw new ConversionException("OneHot: depth " + v + " must be positive");
        return v;
    }

    static int oneHotAxis(Node n, int indicesRank) {
        long a = n.attrs().getInt("axis", -1);
        int r = indicesRank + 1;
        long b = a < 0 ? a + r : a;
        if (b < 0 || b >= r) throw new ConversionException("OneHot: axis " + a + " out of range for output rank " + r);
        return (int) b;
    }

    static List<ValueType> oneHotShape(Node n) {
        Shape idx = Shapes.requireShape(n.input(0));
        int axis = oneHotAxis(n, idx.rank());
        long depth = oneHotDepth(n);
        List<Dim> o = new ArrayList<>(idx.dims());
        o.add(axis, depth >= 0 ? Dim.of(depth) : Dim.sym(null));
        return List.of(new ValueType(n.input(2).dtype(), Shape.of(o)));
    }

    static List<Tensor> oneHotEval(Node n, List<Tensor> in) {
        Tensor indices = in.get(0), values = in.get(2);
        long depth = in.get(1).getLong(0);
        if (depth < 1) return null;
        long[] is = indices.shape();
        int axis = oneHotAxis(n, is.length);
        long outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= is[i];
        for (int i = axis; i < is.length; i++) inner *= is[i];
        long[] os = new long[is.length + 1];
        System.arraycopy(is, 0, os, 0, axis);
        os[axis] = depth;
        System.arraycopy(is, axis, os, axis + 1, is.length - axis);
        long[] idx = indices.toLongs();
        long[] src = new long[Math.toIntExact(outer * depth * inner)];
        int p = 0;
        for (long o = 0; o < outer; o++)
            for (long d = 0; d < depth; d++)
                for (long q = 0; q < inner; q++) {
                    long v = idx[Math.toIntExact(o * inner + q)];
                    if (v < 0) v += depth;
                    src[p++] = v == d ? 1 : 0;
                }
        return List.of(take(values, os, src));
    }

    // ---------------------------------------------------------------- ReverseSequence

    static List<Tensor> reverseSequenceEval(Node n, List<Tensor> in) {
        Tensor x = in.get(0);
        long[] lens = in.get(1).toLongs();
        long[] s = x.shape();
        int tAxis = (int) n.attrs().getInt("time_axis", 0), bAxis = (int) n.attrs().getInt("batch_axis", 1);
        long[] str = strides(s);
        long[] src = new long[Math.toIntExact(x.numel())];
        long[] m = new long[s.length];
        for (int f = 0; f < src.length; f++) {
            unravel(f, s, m);
            long len = lens[(int) m[bAxis]];
            long t = m[tAxis];
            long st = t < len ? len - 1 - t : t;
            src[f] = f + (st - t) * str[tAxis];
        }
        return List.of(take(x, s, src));
    }

    // ---------------------------------------------------------------- NonZero

    static List<ValueType> nonZeroShape(Node n) {
        Shape x = Shapes.requireShape(n.input(0));
        Tensor c = n.constInput(0);
        Dim count = Dim.sym(null);
        if (c != null) {
            long k = 0;
            for (long i = 0; i < c.numel(); i++) if (c.getDouble(i) != 0) k++;
            count = Dim.of(k);
        }
        return List.of(new ValueType(DType.INT64, Shape.of(List.of(Dim.of(x.rank()), count))));
    }

    static List<Tensor> nonZeroEval(Node n, List<Tensor> in) {
        Tensor x = in.get(0);
        long[] s = x.shape();
        List<Long> hits = new ArrayList<>();
        for (long i = 0; i < x.numel(); i++) if (x.getDouble(i) != 0) hits.add(i);
        int r = s.length;
        long[] out = new long[r * hits.size()];
        long[] m = new long[r];
        for (int k = 0; k < hits.size(); k++) {
            unravel(hits.get(k), s, m);
            for (int i = 0; i < r; i++) out[i * hits.size() + k] = m[i];
        }
        return List.of(Tensor.ofLongs(new long[] {r, hits.size()}, out));
    }

    // ---------------------------------------------------------------- DepthToSpace / SpaceToDepth

    static long blocksize(Node n) {
        long b = n.attrs().requireInt("blocksize");
        if (b < 1) throw new ConversionException("blocksize " + b + " must be positive");
        return b;
    }

    static String mode(Node n) { return n.attrs().getString("mode", "DCR"); }

    static List<ValueType> spaceDepthShape(Node n, boolean d2s) {
        Shape x = Shapes.requireShape(n.input(0));
        if (x.rank() != 4) throw new ConversionException((d2s ? "DepthToSpace" : "SpaceToDepth") + " needs a 4-D input, got rank " + x.rank());
        boolean nhwc = Layout.isNhwc(n);
        Shape f = nhwc ? Layout.firstShape(x) : x;
        long b = blocksize(n);
        Shape o = d2s ? Shape.of(List.of(f.dim(0), div(f.dim(1), b * b), mul(f.dim(2), b), mul(f.dim(3), b)))
                : Shape.of(List.of(f.dim(0), mul(f.dim(1), b * b), div(f.dim(2), b), div(f.dim(3), b)));
        return List.of(new ValueType(n.input(0).dtype(), nhwc ? Layout.lastShape(o) : o));
    }

    static Tensor depthToSpace(Tensor x, long b, String mode) {
        long[] s = x.shape();
        long N = s[0], C = s[1], H = s[2], W = s[3], c2 = C / (b * b);
        long[] os = {N, c2, H * b, W * b};
        long[] src = new long[Math.toIntExact(x.numel())];
        int p = 0;
        for (long n = 0; n < N; n++)
            for (long c = 0; c < c2; c++)
                for (long y = 0; y < H * b; y++)
                    for (long xx = 0; xx < W * b; xx++) {
                        long i = y % b, j = xx % b;
                        long ic = mode.equals("CRD") ? c * b * b + i * b + j : (i * b + j) * c2 + c;
                        src[p++] = ((n * C + ic) * H + y / b) * W + xx / b;
                    }
        return take(x, os, src);
    }

    static Tensor spaceToDepth(Tensor x, long b, String mode) {
        long[] s = x.shape();
        long N = s[0], C = s[1], H = s[2], W = s[3];
        long[] os = {N, C * b * b, H / b, W / b};
        long[] src = new long[Math.toIntExact(x.numel())];
        int p = 0;
        for (long n = 0; n < N; n++)
            for (long oc = 0; oc < C * b * b; oc++)
                for (long y = 0; y < H / b; y++)
                    for (long xx = 0; xx < W / b; xx++) {
                        long c, i, j;
                        if (mode.equals("CRD")) { c = oc / (b * b); i = (oc / b) % b; j = oc % b; }
                        else { c = oc % C; i = oc / C / b; j = (oc / C) % b; }
                        src[p++] = ((n * C + c) * H + y * b + i) * W + xx * b + j;
                    }
        return take(x, os, src);
    }

    // ---------------------------------------------------------------- Resize / Upsample

    /** Input i as a constant, treating an omitted input or an empty tensor as absent (null). */
    static Tensor optConst(Node n, int i) {
        Tensor t = n.constInput(i);
        return t != null && t.numel() == 0 ? null : t;
    }

    /** True when input i is present and not an empty constant. */
    static boolean present(Node n, int i) {
        Value v = n.input(i);
        if (v == null) return false;
        if (v.isConstant()) return v.constant().numel() > 0;
        Shape s = v.shape();
        return s == null || !s.isStatic() || s.numel() > 0;
    }

    /** The resize parameters read from any opset form of Resize or Upsample (ONNX axis order). */
    record ResizeParams(float[] scales, long[] sizes, boolean scalesRuntime, boolean sizesRuntime, int[] axes, String policy) {}

    static ResizeParams resizeParams(Node n, int rank) {
        boolean upsample = n.opType().equals("Upsample");
        int[] axes = new int[rank];
        for (int i = 0; i < rank; i++) axes[i] = i;
        long[] ax = n.attrs().getInts("axes");
        if (ax != null && !upsample) {
            axes = new int[ax.length];
            for (int i = 0; i < ax.length; i++) axes[i] = Shapes.axis(ax[i], rank);
        }
        String policy = n.attrs().getString("keep_aspect_ratio_policy", "stretch");
        if (upsample && n.attrs().has("scales")) {
            return new ResizeParams(n.attrs().getFloats("scales"), null, false, false, axes, policy);
        }
        int scalesIdx, sizesIdx;
        if (upsample || n.opset() < 11) { scalesIdx = 1; sizesIdx = -1; }
        else { scalesIdx = 2; sizesIdx = 3; }
        boolean hasSizes = sizesIdx >= 0 && present(n, sizesIdx);
        if (hasSizes) {
            Tensor t = optConst(n, sizesIdx);
            return new ResizeParams(null, t == null ? null : t.toLongs(), false, t == null, axes, policy);
        }
        if (!present(n, scalesIdx)) throw new ConversionException("Resize needs scales or sizes");
        Tensor t = optConst(n, scalesIdx);
        return new ResizeParams(t == null ? null : t.toFloats(), null, t == null, false, axes, policy);
    }

    /** Output dims (ONNX order) from static parameters; entries are -1 where they depend on run-time values. */
    static long[] resizeOutDims(Shape in, ResizeParams p) {
        int r = in.rank();
        long[] out = new long[r];
        for (int i = 0; i < r; i++) out[i] = in.dim(i).isKnown() ? in.dim(i).value() : -1;
        int k = p.axes().length;
        if (p.sizes() != null) {
            if (p.sizes().length != k) throw new ConversionException("sizes has " + p.sizes().length + " elements, expected " + k);
            if (p.policy().equals("stretch")) {
                for (int j = 0; j < k; j++) out[p.axes()[j]] = p.sizes()[j];
                return out;
            }
            double scale = p.policy().equals("not_larger") ? Double.MAX_VALUE : -Double.MAX_VALUE;
            for (int j = 0; j < k; j++) {
                long l = out[p.axes()[j]];
                if (l < 0) { for (int a : p.axes()) out[a] = -1; return out; }
                double s = (double) p.sizes()[j] / l;
                scale = p.policy().equals("not_larger") ? Math.min(scale, s) : Math.max(scale, s);
            }
            for (int a : p.axes()) out[a] = (long) (scale * out[a] + 0.5);
            return out;
        }
        if (p.scales() != null) {
            if (p.scales().length != k) throw new ConversionException("scales has " + p.scales().length + " elements, expected " + k);
            for (int j = 0; j < k; j++) {
                int a = p.axes()[j];
                if (out[a] >= 0) out[a] = (long) Math.floor((double) p.scales()[j] * out[a]);
            }
            return out;
        }
        for (int a : p.axes()) out[a] = -1;
        return out;
    }

    static List<ValueType> resizeShape(Node n) {
        Shape x = Shapes.requireShape(n.input(0));
        boolean nhwc = Layout.isNhwc(n);
        Shape f = nhwc ? Layout.firstShape(x) : x;
        ResizeParams p = resizeParams(n, f.rank());
        long[] o = resizeOutDims(f, p);
        List<Dim> d = new ArrayList<>(f.dims());
        for (int j = 0; j < p.axes().length; j++) {
            int a = p.axes()[j];
            if (o[a] >= 0) d.set(a, Dim.of(o[a]));
            else if (!(p.scales() != null && p.scales()[j] == 1f && p.policy().equals("stretch"))) d.set(a, Dim.sym(null));
        }
        Shape out = Shape.of(d);
        return List.of(new ValueType(n.input(0).dtype(), nhwc ? Layout.lastShape(out) : out));
    }
}
