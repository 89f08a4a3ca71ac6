package dev.onnxport.backends.tflite;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import tflite.AddOptions;
import tflite.BuiltinOperator;
import tflite.BuiltinOptions;
import tflite.ConcatenationOptions;
import tflite.DivOptions;
import tflite.MulOptions;
import tflite.ReducerOptions;
import tflite.SplitOptions;
import tflite.StridedSliceOptions;
import tflite.SubOptions;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Emission helpers of the nn family: each writes TFLite ops on tensors that carry their static shape ({@link T}),
 * into a new temporary or into a given tensor (a node output). Also small helpers on constant tensors.
 */
final class TfliteNnEmit {
    private TfliteNnEmit() {}

    /** A TFLite tensor with its element type and static shape. */
    record T(int id, DType dt, long[] shape) {
        int rank() { return shape.length; }

        long numel() { return Tensor.numel(shape); }

        long dim(int i) { return shape[i < 0 ? i + shape.length : i]; }
    }

    static T in(LowerContext c, Node n, int i) {
        Value v = n.input(i);
        if (v == null) throw new ConversionException("input " + i + " is missing");
        return new T(c.tensor(v), v.dtype(), c.shape(v));
    }

    static T out(LowerContext c, Node n, int i) {
        Value v = n.output(i);
        return new T(c.out(n, i), v.dtype(), c.shape(v));
    }

    /** True when output i of n is read by a node or is a graph output. */
    static boolean used(Node n, int i) {
        if (i >= n.outputs().size()) return false;
        Value o = n.output(i);
        return !o.uses().isEmpty() || (n.graph() != null && n.graph().outputs().contains(o));
    }

    static String hint(LowerContext c, String s) {
        Node n = c.current();
        return (n == null ? "nn" : n.name()) + "_" + s;
    }

    private static T dst(LowerContext c, DType dt, long[] shape, T into, String h) {
        if (into != null) {
            if (into.numel() != Tensor.numel(shape))
                throw new ConversionException("internal: result shape " + Arrays.toString(shape) + " does not fit output " + Arrays.toString(into.shape()));
            return into;
        }
        return new T(c.temp(dt, shape, hint(c, h)), dt, shape);
    }

    // ------------------------------------------------------------------------------------------- constants

    static T constant(LowerContext c, Tensor t, String h) { return new T(c.constant(t, hint(c, h)), t.dtype(), t.shape()); }

    static T constF(LowerContext c, long[] shape, float[] v, String h) { return constant(c, Tensor.ofFloats(shape, v), h); }

    static T scalar(LowerContext c, DType dt, double v, String h) { return constant(c, Tensor.fromDoubles(dt, new long[0], new double[] {v}), h); }

    /** A constant of n elements all equal to v. */
    static T fill(LowerContext c, DType dt, long[] shape, double v, String h) {
        double[] d = new double[Math.toIntExact(Tensor.numel(shape))];
        Arrays.fill(d, v);
        return constant(c, Tensor.fromDoubles(dt, shape, d), h);
    }

    /** Permutes a constant: result dim i = t dim perm[i]. */
    static Tensor permute(Tensor t, int[] perm) {
        long[] s = t.shape();
        int r = s.length;
        long[] os = new long[r];
        for (int i = 0; i < r; i++) os[i] = s[perm[i]];
        long[] inStride = strides(s);
        int es = t.dtype().size();
        long n = t.numel();
        ByteBuffer src = t.data();
        ByteBuffer dst = ByteBuffer.allocate(Math.toIntExact(n * es)).order(ByteOrder.LITTLE_ENDIAN);
        long[] idx = new long[r];
        for (long o = 0; o < n; o++) {
            long off = 0;
            for (int i = 0; i < r; i++) off += idx[i] * inStride[perm[i]];
            for (int b = 0; b < es; b++) dst.put(src.get((int) (off * es + b)));
            for (int i = r - 1; i >= 0; i--) {
                if (++idx[i] < os[i]) break;
                idx[i] = 0;
            }
        }
        return Tensor.of(t.dtype(), os, dst.flip());
    }

    /** Slices a constant along one axis: [begin, begin+len). */
    static Tensor sliceConst(Tensor t, int axis, long begin, long len) {
        long[] s = t.shape();
        long outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= s[i];
        for (int i = axis + 1; i < s.length; i++) inner *= s[i];
        int es = t.dtype().size();
        ByteBuffer src = t.data();
        ByteBuffer dst = ByteBuffer.allocate(Math.toIntExact(outer * len * inner * es)).order(ByteOrder.LITTLE_ENDIAN);
        for (long o = 0; o < outer; o++) {
            long base = ((o * s[axis]) + begin) * inner * es;
            for (long b = 0; b < len * inner * es; b++) dst.put(src.get((int) (base + b)));
        }
        long[] os = s.clone();
        os[axis] = len;
        return Tensor.of(t.dtype(), os, dst.flip());
    }

    static long[] strides(long[] s) {
        long[] st = new long[s.length];
        long a = 1;
        for (int i = s.length - 1; i >= 0; i--) { st[i] = a; a *= s[i]; }
        return st;
    }

    static long[] permuteShape(long[] s, int[] perm) {
        long[] r = new long[perm.length];
        for (int i = 0; i < perm.length; i++) r[i] = s[perm[i]];
        return r;
    }

    static boolean identity(int[] perm) {
        for (int i = 0; i < perm.length; i++) if (perm[i] != i) return false;
        return true;
    }

    // ------------------------------------------------------------------------------------------- shape ops

    static T reshape(LowerContext c, T a, long[] shape, T into) {
        if (into == null && Arrays.equals(a.shape(), shape)) return a;
        if (a.numel() != Tensor.numel(shape)) throw new ConversionException("internal: reshape " + Arrays.toString(a.shape()) + " -> " + Arrays.toString(shape));
        T o = dst(c, a.dt(), shape, into, "reshape");
        Emit.reshapeInto(c, a.id(), o.id(), o.shape());
        return o;
    }

    static T transpose(LowerContext c, T a, int[] perm, T into) {
        if (into == null && identity(perm)) return a;
        long[] os = permuteShape(a.shape(), perm);
        T o = dst(c, a.dt(), os, into, "transpose");
        if (a.rank() > 5) throw new ConversionException("TFLite 2.6 TRANSPOSE supports rank <= 5, got " + a.rank());
        Emit.transposeInto(c, a.id(), o.id(), perm, a.dt());
        return o;
    }

    /** Copies a into into (a RESHAPE to the same shape). */
    static T copy(LowerContext c, T a, T into) {
        Emit.reshapeInto(c, a.id(), into.id(), into.shape());
        return into;
    }

    /**
     * PAD (value 0) or PADV2 (other values) with pads[i] = {before, after}. Ranks above 4 are padded one dim at a
     * time through 3-D views so that the 4-D kernel of TFLite 2.6 suffices.
     */
    static T pad(LowerContext c, T a, long[][] pads, double value, T into) {
        int r = a.rank();
        boolean any = false;
        for (long[] p : pads) if (p[0] != 0 || p[1] != 0) any = true;
        if (!any) return into == null ? a : copy(c, a, into);
        for (long[] p : pads) if (p[0] < 0 || p[1] < 0) throw new ConversionException("internal: negative padding");
        if (r > 4) {
            T x = a;
            long[] shape = a.shape().clone();
            int last = -1;
            for (int i = 0; i < r; i++) if (pads[i][0] != 0 || pads[i][1] != 0) last = i;
            for (int i = 0; i < r; i++) {
                if (pads[i][0] == 0 && pads[i][1] == 0) continue;
                long outer = 1, inner = 1;
                for (int j = 0; j < i; j++) outer *= shape[j];
                for (int j = i + 1; j < r; j++) inner *= shape[j];
                T v = reshape(c, x, new long[] {outer, shape[i], inner}, null);
                T p = pad(c, v, new long[][] {{0, 0}, pads[i], {0, 0}}, value, null);
                shape[i] += pads[i][0] + pads[i][1];
                x = reshape(c, p, shape.clone(), i == last ? into : null);
            }
            return x;
        }
        long[] os = a.shape().clone();
        int[] pv = new int[2 * r];
        for (int i = 0; i < r; i++) {
            os[i] += pads[i][0] + pads[i][1];
            pv[2 * i] = Math.toIntExact(pads[i][0]);
            pv[2 * i + 1] = Math.toIntExact(pads[i][1]);
        }
        T o = dst(c, a.dt(), os, into, "pad");
        int pt = c.constInt32(hint(c, "paddings"), new long[] {r, 2}, pv);
        int version = a.dt() == DType.INT8 ? 2 : 1;
        if (value == 0) {
            c.op(BuiltinOperator.PAD, version, new int[] {a.id(), pt}, new int[] {o.id()}, BuiltinOptions.PadOptions,
                    b -> { tflite.PadOptions.startPadOptions(b); return tflite.PadOptions.endPadOptions(b); });
        } else {
            T v = scalar(c, a.dt(), value, "pad_value");
            c.op(BuiltinOperator.PADV2, version, new int[] {a.id(), pt, v.id()}, new int[] {o.id()}, BuiltinOptions.PadV2Options,
                    b -> { tflite.PadV2Options.startPadV2Options(b); return tflite.PadV2Options.endPadV2Options(b); });
        }
        return o;
    }

    /** STRIDED_SLICE with explicit begin/end/strides (all dims). */
    static T stridedSlice(LowerContext c, T a, long[] begin, long[] end, long[] stride, T into) {
        int r = a.rank();
        long[] os = new long[r];
        boolean whole = true;
        for (int i = 0; i < r; i++) {
            os[i] = Math.max(0, (end[i] - begin[i] + stride[i] - 1) / stride[i]);
            if (begin[i] != 0 || end[i] != a.dim(i) || stride[i] != 1) whole = false;
        }
        if (whole) return into == null ? a : copy(c, a, into);
        T o = dst(c, a.dt(), os, into, "slice");
        int bt = c.constInt32(hint(c, "begin"), toInt(begin));
        int et = c.constInt32(hint(c, "end"), toInt(end));
        int st = c.constInt32(hint(c, "strides"), toInt(stride));
        int version = r > 4 ? 4 : a.dt() == DType.BOOL ? 3 : a.dt() == DType.INT8 ? 2 : 1;
        c.op(BuiltinOperator.STRIDED_SLICE, version, new int[] {a.id(), bt, et, st}, new int[] {o.id()}, BuiltinOptions.StridedSliceOptions,
                b -> StridedSliceOptions.createStridedSliceOptions(b, 0, 0, 0, 0, 0, false));
        return o;
    }

    /** Slice [begin, begin+len) along one axis. */
    static T sliceAxis(LowerContext c, T a, int axis, long begin, long len, T into) {
        long[] b = new long[a.rank()], e = a.shape().clone(), s = new long[a.rank()];
        Arrays.fill(s, 1);
        b[axis] = begin;
        e[axis] = begin + len;
        return stridedSlice(c, a, b, e, s, into);
    }

    static T concat(LowerContext c, List<T> parts, int axis, T into) {
        if (parts.size() == 1) return into == null ? parts.get(0) : copy(c, parts.get(0), into);
        long[] os = parts.get(0).shape().clone();
        os[axis] = 0;
        int[] ids = new int[parts.size()];
        for (int i = 0; i < ids.length; i++) {
            os[axis] += parts.get(i).dim(axis);
            ids[i] = parts.get(i).id();
        }
        T first = parts.get(0);
        T o = dst(c, first.dt(), os, into, "concat");
        int version = first.dt() == DType.INT8 ? 2 : 1;
        c.op(BuiltinOperator.CONCATENATION, version, ids, new int[] {o.id()}, BuiltinOptions.ConcatenationOptions,
                b -> ConcatenationOptions.createConcatenationOptions(b, axis, tflite.ActivationFunctionType.NONE));
        return o;
    }

    /** SPLIT into num equal parts along axis. */
    static List<T> split(LowerContext c, T a, int axis, int num) {
        if (a.dim(axis) % num != 0) throw new ConversionException("internal: dim " + a.dim(axis) + " does not split into " + num);
        List<T> r = new ArrayList<>();
        if (num == 1) { r.add(a); return r; }
        long[] os = a.shape().clone();
        os[axis] /= num;
        int[] outs = new int[num];
        for (int i = 0; i < num; i++) {
            T o = new T(c.temp(a.dt(), os, hint(c, "split" + i)), a.dt(), os.clone());
            r.add(o);
            outs[i] = o.id();
        }
        int ax = c.constInt32(hint(c, "split_axis"), new long[0], axis);
        int version = a.dt() == DType.INT32 ? 3 : a.dt() == DType.INT8 ? 2 : 1;
        c.op(BuiltinOperator.SPLIT, version, new int[] {ax, a.id()}, outs, BuiltinOptions.SplitOptions,
                b -> SplitOptions.createSplitOptions(b, num));
        return r;
    }

    // ------------------------------------------------------------------------------------------- arithmetic

    static long[] broadcast(long[] a, long[] b) {
        int r = Math.max(a.length, b.length);
        long[] o = new long[r];
        for (int i = 0; i < r; i++) {
            int ia = i - (r - a.length), ib = i - (r - b.length);
            long da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
            if (da != db && da != 1 && db != 1) throw new ConversionException("internal: shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
            o[i] = da == 1 ? db : da;
        }
        return o;
    }

    /** ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE, POW with numpy broadcasting. */
    static T binary(LowerContext c, int op, T a, T b, T into) {
        long[] os = broadcast(a.shape(), b.shape());
        boolean bcast = !Arrays.equals(a.shape(), b.shape());
        if (bcast && os.length > 4) {
            // collapse runs of dims that broadcast alike so that the 4-D broadcast kernels apply
            long[][] cs = Emit.collapseBroadcast(pad1(a.shape(), os.length), pad1(b.shape(), os.length));
            if (cs != null && cs[0].length <= 4) {
                T ar = reshape(c, a, cs[0], null), br = reshape(c, b, cs[1], null);
                T r = binary(c, op, ar, br, null);
                return reshape(c, r, os, into);
            }
        }
        T o = dst(c, a.dt(), os, into, "bin");
        int version = 1;
        boolean big = bcast && os.length > 4;
        if (op == BuiltinOperator.SUB && big) version = 3;
        if (op == BuiltinOperator.DIV && big) version = 2;
        if ((op == BuiltinOperator.MAXIMUM || op == BuiltinOperator.MINIMUM) && big) version = 3;
        if (a.dt() == DType.INT64 && (op == BuiltinOperator.ADD || op == BuiltinOperator.SUB)) version = 4;
        if (a.dt() == DType.INT8 && version == 1 && (op == BuiltinOperator.ADD || op == BuiltinOperator.SUB || op == BuiltinOperator.MUL
                || op == BuiltinOperator.MAXIMUM || op == BuiltinOperator.MINIMUM)) version = 2;
        byte ot;
        TfliteModelBuilder.OptionsWriter w;
        final byte none = tflite.ActivationFunctionType.NONE;
        switch (op) {
            case BuiltinOperator.ADD -> { ot = BuiltinOptions.AddOptions; w = fb -> AddOptions.createAddOptions(fb, none, true); }
            case BuiltinOperator.SUB -> { ot = BuiltinOptions.SubOptions; w = fb -> SubOptions.createSubOptions(fb, none, true); }
            case BuiltinOperator.MUL -> { ot = BuiltinOptions.MulOptions; w = fb -> MulOptions.createMulOptions(fb, none); }
            case BuiltinOperator.DIV -> { ot = BuiltinOptions.DivOptions; w = fb -> DivOptions.createDivOptions(fb, none); }
            default -> { ot = 0; w = null; }
        }
        c.op(op, version, new int[] {a.id(), b.id()}, new int[] {o.id()}, ot, w);
        return o;
    }

    private static long[] pad1(long[] s, int r) {
        long[] o = new long[r];
        Arrays.fill(o, 1);
        System.arraycopy(s, 0, o, r - s.length, s.length);
        return o;
    }

    static T add(LowerContext c, T a, T b, T into) { return binary(c, BuiltinOperator.ADD, a, b, into); }

    static T sub(LowerContext c, T a, T b, T into) { return binary(c, BuiltinOperator.SUB, a, b, into); }

    static T mul(LowerContext c, T a, T b, T into) { return binary(c, BuiltinOperator.MUL, a, b, into); }

    static T div(LowerContext c, T a, T b, T into) { return binary(c, BuiltinOperator.DIV, a, b, into); }

    /** a * s for a float scalar s (skipped when s == 1 and no target is given). */
    static T scale(LowerContext c, T a, double s, T into) {
        if (s == 1) return into == null ? a : copy(c, a, into);
        return mul(c, a, scalar(c, a.dt(), s, "scale"), into);
    }

    /** Element-wise op without options: RSQRT, SQRT, EXP, LOG, ABS, NEG, SQUARE. */
    static T unary(LowerContext c, int op, T a, T into) {
        T o = dst(c, a.dt(), a.shape(), into, "unary");
        c.op(op, 1, new int[] {a.id()}, new int[] {o.id()});
        return o;
    }

    /** MEAN, SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD over axes. */
    static T reduce(LowerContext c, int op, T a, int[] axes, boolean keep, T into) {
        int r = a.rank();
        boolean[] red = new boolean[r];
        for (int ax : axes) red[ax < 0 ? ax + r : ax] = true;
        List<Long> os = new ArrayList<>();
        for (int i = 0; i < r; i++) {
            if (!red[i]) os.add(a.dim(i));
            else if (keep) os.add(1L);
        }
        long[] osa = os.stream().mapToLong(Long::longValue).toArray();
        T o = dst(c, a.dt(), osa, into, "reduce");
        int[] ax = axes.clone();
        for (int i = 0; i < ax.length; i++) if (ax[i] < 0) ax[i] += r;
        int at = c.constInt32(hint(c, "axes"), ax);
        int version = a.dt() == DType.INT8 ? 2 : a.dt() == DType.INT16 ? 3 : 1;
        c.op(op, version, new int[] {a.id(), at}, new int[] {o.id()}, BuiltinOptions.ReducerOptions,
                b -> ReducerOptions.createReducerOptions(b, keep));
        return o;
    }

    static int[] range(int from, int to) {
        int[] r = new int[Math.max(0, to - from)];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }

    static int[] toInt(long[] a) { return LowerContext.toInt(a); }

    static void requireFloat(T x, String op) {
        if (x.dt() != DType.FLOAT32)
            throw new ConversionException(op + " is converted for float32 only (TFLite float kernels), got " + x.dt());
    }
}
