package dev.onnxport.backends.tflite;

import dev.onnxport.backends.tflite.TfliteModelBuilder.OptionsWriter;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Layout;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ops.ShapeOpsMath;
import tflite.AddOptions;
import tflite.BroadcastToOptions;
import tflite.BuiltinOperator;
import tflite.BuiltinOptions;
import tflite.ConcatenationOptions;
import tflite.FloorModOptions;
import tflite.GatherOptions;
import tflite.GreaterEqualOptions;
import tflite.LessEqualOptions;
import tflite.MaximumMinimumOptions;
import tflite.ReducerOptions;
import tflite.ScatterNdOptions;
import tflite.SelectV2Options;
import tflite.ShapeOptions;
import tflite.StridedSliceOptions;
import tflite.SubOptions;
import tflite.TensorType;
import tflite.TransposeOptions;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Emission helpers of the shape family: each writes TFLite ops at the lowest builtin version TFLite 2.6 needs for
 * the element type and rank (after tensorflow/lite/tools/versioning/op_version.cc), and checks the kernels' type
 * support where the lowering relies on it.
 */
final class TfliteShapeOpsKit {
    private TfliteShapeOpsKit() {}

    /** Bound for int64 -> int32 parameter casts: any index beyond it clamps the same way in ONNX and TFLite. */
    static final long I32_BOUND = 1L << 30;

    static String hint(LowerContext c, String suffix) {
        return (c.current() == null ? "t" : c.current().name()) + "_" + suffix;
    }

    static int temp(LowerContext c, DType dt, long[] shape, String suffix) { return c.temp(dt, shape, hint(c, suffix)); }

    // ------------------------------------------------------------------------------------------------ versions

    static int stridedSliceVersion(DType dt, int rank) {
        if (rank > 5) throw new ConversionException("STRIDED_SLICE supports rank <= 5 in TFLite 2.6, got rank " + rank);
        if (dt == DType.STRING) return 5;
        if (rank > 4) return 4;
        if (dt == DType.BOOL) return 3;
        if (dt == DType.INT8) return 2;
        return 1;
    }

    static int transposeVersion(DType dt, int rank) {
        if (rank > 5) throw new ConversionException("TRANSPOSE supports rank <= 5 in TFLite 2.6");
        if (dt == DType.INT16) return 5;
        if (rank > 4) return 4;
        if (dt == DType.BOOL) return 3;
        if (dt == DType.INT8) return 2;
        return 1;
    }

    static int concatVersion(DType dt) { return dt == DType.INT16 ? 3 : dt == DType.INT8 ? 2 : 1; }

    static int gatherVersion(DType dt) { return dt == DType.INT16 ? 4 : dt == DType.BOOL ? 3 : dt == DType.INT8 ? 2 : 1; }

    static int padVersion(DType dt, int rank) {
        if (rank > 5) throw new ConversionException("PAD supports rank <= 5 in TFLite 2.6");
        if (rank > 4) return 4;
        if (dt == DType.INT16) return 3;
        if (dt == DType.INT8) return 2;
        return 1;
    }

    static void requireTypes(String op, DType dt, DType... ok) {
        for (DType d : ok) if (d == dt) return;
        throw new ConversionException("TFLite " + op + " has no " + dt + " kernel in TFLite 2.6");
    }

    // ------------------------------------------------------------------------------------------------ ops

    static void stridedSliceInto(LowerContext c, int in, int out, DType dt, int rank, int begin, int end, int strides,
                                 int beginMask, int endMask) {
        c.op(BuiltinOperator.STRIDED_SLICE, stridedSliceVersion(dt, rank), new int[] {in, begin, end, strides}, new int[] {out},
                BuiltinOptions.StridedSliceOptions, b -> StridedSliceOptions.createStridedSliceOptions(b, beginMask, endMask, 0, 0, 0, false));
    }

    static void stridedSliceInto(LowerContext c, int in, int out, DType dt, int[] begin, int[] end, int[] strides, int beginMask, int endMask) {
        int rank = begin.length;
        stridedSliceInto(c, in, out, dt, rank, c.constInt32(hint(c, "begin"), begin), c.constInt32(hint(c, "end"), end),
                c.constInt32(hint(c, "strides"), strides), beginMask, endMask);
    }

    /** A static strided slice: per axis start, step and count (ONNX-normalised, as ShapeOpsMath.sliceFull gives). */
    static void staticSliceInto(LowerContext c, int in, int out, DType dt, long[] start, long[] step, long[] count) {
        int r = start.length;
        int[] b = new int[r], e = new int[r], s = new int[r];
        int endMask = 0;
        for (int a = 0; a < r; a++) {
            if (count[a] == 0) { b[a] = 0; e[a] = 0; s[a] = 1; continue; }
            long st = start[a], stp = step[a], en = st + count[a] * stp;
            b[a] = Math.toIntExact(st);
            s[a] = Math.toIntExact(Math.max(Math.min(stp, Integer.MAX_VALUE), Integer.MIN_VALUE + 1));
            if (stp < 0 && en < 0) { e[a] = 0; endMask |= 1 << a; }
            else e[a] = Math.toIntExact(Math.min(en, Integer.MAX_VALUE));
        }
        stridedSliceInto(c, in, out, dt, b, e, s, 0, endMask);
    }

    static void concatInto(LowerContext c, int[] ins, int out, int axis, DType dt) {
        requireTypes("CONCATENATION", dt, DType.FLOAT32, DType.INT32, DType.INT64, DType.UINT8, DType.INT8, DType.INT16, DType.BOOL);
        c.op(BuiltinOperator.CONCATENATION, concatVersion(dt), ins, new int[] {out}, BuiltinOptions.ConcatenationOptions,
                b -> ConcatenationOptions.createConcatenationOptions(b, axis, (byte) 0));
    }

    static int concat(LowerContext c, int[] ins, int axis, DType dt, long[] shape, String suffix) {
        int out = temp(c, dt, shape, suffix);
        concatInto(c, ins, out, axis, dt);
        return out;
    }

    static void gatherInto(LowerContext c, int in, int idx, int out, int axis, DType dt) {
        c.op(BuiltinOperator.GATHER, gatherVersion(dt), new int[] {in, idx}, new int[] {out}, BuiltinOptions.GatherOptions,
                b -> GatherOptions.createGatherOptions(b, axis, 0));
    }

    static int gather(LowerContext c, int in, int idx, int axis, DType dt, long[] shape, String suffix) {
        int out = temp(c, dt, shape, suffix);
        gatherInto(c, in, idx, out, axis, dt);
        return out;
    }

    /** CAST, or the input itself when the types agree. */
    static int cast(LowerContext c, int in, DType from, DType to, long[] shape, String suffix) {
        if (from == to) return in;
        return Emit.cast(c, in, to, shape, hint(c, suffix));
    }

    /** int32 version of an integer parameter tensor; int64 values are clamped to +-bound first (exact for indices). */
    static int toI32(LowerContext c, int in, DType dt, long[] shape, long bound) {
        if (dt == DType.INT32) return in;
        if (dt != DType.INT64) return cast(c, in, dt, DType.INT32, shape, "i32");
        int hi = c.constant(Tensor.scalarLong(bound), hint(c, "hi"));
        int lo = c.constant(Tensor.scalarLong(-bound), hint(c, "lo"));
        int a = binary(c, BuiltinOperator.MINIMUM, in, hi, DType.INT64, shape, "clamp_hi");
        int b = binary(c, BuiltinOperator.MAXIMUM, a, lo, DType.INT64, shape, "clamp_lo");
        return cast(c, b, DType.INT64, DType.INT32, shape, "i32");
    }

    /** ADD/SUB/MUL/MINIMUM/MAXIMUM/FLOOR_MOD/GREATER_EQUAL/LESS_EQUAL on integer or float tensors. */
    static int binary(LowerContext c, int builtin, int a, int b, DType dt, long[] outShape, String suffix) {
        boolean cmp = builtin == BuiltinOperator.GREATER_EQUAL || builtin == BuiltinOperator.LESS_EQUAL;
        int out = temp(c, cmp ? DType.BOOL : dt, outShape, suffix);
        binaryInto(c, builtin, a, b, out, dt, outShape.length);
        return out;
    }

    static void binaryInto(LowerContext c, int builtin, int a, int b, int out, DType dt, int rank) {
        switch (builtin) {
            case BuiltinOperator.ADD -> c.op(builtin, dt == DType.INT64 ? 4 : dt == DType.INT8 ? 2 : 1, new int[] {a, b}, new int[] {out},
                    BuiltinOptions.AddOptions, f -> AddOptions.createAddOptions(f, (byte) 0, true));
            case BuiltinOperator.SUB -> c.op(builtin, dt == DType.INT64 ? 4 : rank > 4 ? 3 : dt == DType.INT8 ? 2 : 1, new int[] {a, b}, new int[] {out},
                    BuiltinOptions.SubOptions, f -> SubOptions.createSubOptions(f, (byte) 0, true));
            case BuiltinOperator.MINIMUM, BuiltinOperator.MAXIMUM -> c.op(builtin, rank > 4 ? 3 : dt == DType.INT8 ? 2 : 1, new int[] {a, b},
                    new int[] {out}, BuiltinOptions.MaximumMinimumOptions,
                    f -> { MaximumMinimumOptions.startMaximumMinimumOptions(f); return MaximumMinimumOptions.endMaximumMinimumOptions(f); });
            case BuiltinOperator.FLOOR_MOD -> c.op(builtin, 1, new int[] {a, b}, new int[] {out}, BuiltinOptions.FloorModOptions,
                    f -> { FloorModOptions.startFloorModOptions(f); return FloorModOptions.endFloorModOptions(f); });
            case BuiltinOperator.GREATER_EQUAL -> c.op(builtin, dt == DType.INT8 ? 2 : 1, new int[] {a, b}, new int[] {out},
                    BuiltinOptions.GreaterEqualOptions, f -> { GreaterEqualOptions.startGreaterEqualOptions(f); return GreaterEqualOptions.endGreaterEqualOptions(f); });
            case BuiltinOperator.LESS_EQUAL -> c.op(builtin, dt == DType.INT8 ? 2 : 1, new int[] {a, b}, new int[] {out},
                    BuiltinOptions.LessEqualOptions, f -> { LessEqualOptions.startLessEqualOptions(f); return LessEqualOptions.endLessEqualOptions(f); });
            default -> throw new IllegalArgumentException("binary op " + builtin);
        }
    }

    static int scatterNd(LowerContext c, int indices, int updates, long[] shape, String suffix) {
        int sh = c.constInt32(hint(c, suffix + "_shape"), LowerContext.toInt(shape));
        int out = temp(c, DType.INT32, shape, suffix);
        c.op(BuiltinOperator.SCATTER_ND, 1, new int[] {indices, updates, sh}, new int[] {out}, BuiltinOptions.ScatterNdOptions,
                f -> { ScatterNdOptions.startScatterNdOptions(f); return ScatterNdOptions.endScatterNdOptions(f); });
        return out;
    }

    static void selectV2Into(LowerContext c, int cond, int x, int y, int out) {
        c.op(BuiltinOperator.SELECT_V2, 1, new int[] {cond, x, y}, new int[] {out}, BuiltinOptions.SelectV2Options,
                f -> { SelectV2Options.startSelectV2Options(f); return SelectV2Options.endSelectV2Options(f); });
    }

    static void shapeInto(LowerContext c, int in, int out, DType outType) {
        byte t = outType == DType.INT64 ? TensorType.INT64 : TensorType.INT32;
        c.op(BuiltinOperator.SHAPE, 1, new int[] {in}, new int[] {out}, BuiltinOptions.ShapeOptions, f -> ShapeOptions.createShapeOptions(f, t));
    }

    static void reduceProdInto(LowerContext c, int in, int out, DType dt) {
        int axis = c.constInt32(hint(c, "axis"), 0);
        c.op(BuiltinOperator.REDUCE_PROD, dt == DType.INT8 || dt == DType.INT16 ? 2 : 1, new int[] {in, axis}, new int[] {out},
                BuiltinOptions.ReducerOptions, f -> ReducerOptions.createReducerOptions(f, false));
    }

    static void broadcastToInto(LowerContext c, int in, int shape, int out, DType dt) {
        c.op(BuiltinOperator.BROADCAST_TO, dt == DType.INT8 || dt == DType.INT16 ? 3 : 2, new int[] {in, shape}, new int[] {out},
                BuiltinOptions.BroadcastToOptions, f -> { BroadcastToOptions.startBroadcastToOptions(f); return BroadcastToOptions.endBroadcastToOptions(f); });
    }

    /** A copy of in into out, which has in's shape (RESHAPE to the static shape, or to in's run-time shape). */
    static void copyInto(LowerContext c, Value x, int in, int out, Shape outShape) {
        if (outShape != null && outShape.isStatic()) {
            Emit.reshapeInto(c, in, out, outShape.toArray());
            return;
        }
        int sh = tryShapeTensor(c, x, in, outShape.dims());
        if (sh < 0) sh = shapeVec(c, in, outShape.rank()); // callers copy a tensor of the same shape
        c.op(BuiltinOperator.RESHAPE, 1, new int[] {in, sh}, new int[] {out});
    }

    // ------------------------------------------------------------------------------------------------ run-time shapes

    /**
     * An int32 shape vector for dims: known values as constants, named symbols looked up in x's shape (read with
     * SHAPE at run time), and at most one other dim as -1 (for RESHAPE to infer).
     */
    static int shapeTensor(LowerContext c, Value x, int xTensor, List<Dim> dims) {
        int t = tryShapeTensor(c, x, xTensor, dims);
        if (t < 0) throw new ConversionException("cannot express the run-time shape " + dims + " (more than one unknown dim); fix it with --input-shape");
        return t;
    }

    /** Like {@link #shapeTensor}, or -1 (emitting nothing) when more than one dim is unknown. */
    static int tryShapeTensor(LowerContext c, Value x, int xTensor, List<Dim> dims) {
        int m = dims.size();
        int[] vals = new int[m];
        int[] fromX = new int[m];
        Arrays.fill(fromX, -1);
        boolean anyX = false;
        int minus = 0;
        Shape xs = x == null ? null : x.shape();
        for (int i = 0; i < m; i++) {
            Dim d = dims.get(i);
            if (d.isKnown()) { vals[i] = Math.toIntExact(d.value()); continue; }
            int j = -1;
            if (xs != null && ShapeOpsMath.named(d)) for (int k = 0; k < xs.rank(); k++) if (d.equals(xs.dim(k))) { j = k; break; }
            if (j >= 0) { fromX[i] = j; anyX = true; }
            else { vals[i] = -1; minus++; }
        }
        if (minus > 1) return -1;
        if (!anyX) return c.constInt32(hint(c, "shape"), vals);
        int r = xs.rank();
        int sh = temp(c, DType.INT32, new long[] {r}, "xshape");
        shapeInto(c, xTensor, sh, DType.INT32);
        int k = c.constInt32(hint(c, "dims"), vals);
        int cat = concat(c, new int[] {sh, k}, 0, DType.INT32, new long[] {r + m}, "shape_parts");
        int[] idx = new int[m];
        for (int i = 0; i < m; i++) idx[i] = fromX[i] >= 0 ? fromX[i] : r + i;
        return gather(c, cat, c.constInt32(hint(c, "pick"), idx), 0, DType.INT32, new long[] {m}, "shape");
    }

    /** SHAPE(x) as an int32 vector of length rank. */
    static int shapeVec(LowerContext c, int x, int rank) {
        int sh = temp(c, DType.INT32, new long[] {rank}, "xshape");
        shapeInto(c, x, sh, DType.INT32);
        return sh;
    }

    /** vec[from:to] of a 1-D int32 vector. */
    static int sliceVec(LowerContext c, int vec, int from, int to) {
        int out = temp(c, DType.INT32, new long[] {to - from}, "dims");
        stridedSliceInto(c, vec, out, DType.INT32, new int[] {from}, new int[] {to}, new int[] {1}, 0, 0);
        return out;
    }

    /** The product of vec[from:to] as a 1-element int32 vector. */
    static int prodVec(LowerContext c, int vec, int from, int to) {
        if (to <= from) return c.constInt32(hint(c, "one"), 1);
        int part = sliceVec(c, vec, from, to);
        if (to - from == 1) return part;
        int out = temp(c, DType.INT32, new long[] {1}, "prod");
        int axis = c.constInt32(hint(c, "axis"), 0);
        c.op(BuiltinOperator.REDUCE_PROD, 1, new int[] {part, axis}, new int[] {out}, BuiltinOptions.ReducerOptions,
                f -> ReducerOptions.createReducerOptions(f, true));
        return out;
    }

    /** Concatenates 1-D int32 pieces into one vector of length total. */
    static int joinVec(LowerContext c, List<Integer> pieces, int total) {
        if (pieces.size() == 1) return pieces.get(0);
        return concat(c, pieces.stream().mapToInt(Integer::intValue).toArray(), 0, DType.INT32, new long[] {total}, "shape");
    }

    static void equalInto(LowerContext c, int a, int b, int out, DType dt) {
        c.op(BuiltinOperator.EQUAL, dt == DType.INT8 ? 2 : 1, new int[] {a, b}, new int[] {out}, BuiltinOptions.EqualOptions,
                f -> { tflite.EqualOptions.startEqualOptions(f); return tflite.EqualOptions.endEqualOptions(f); });
    }

    // ------------------------------------------------------------------------------------------------ transpose of any rank

    static void transposeInto(LowerContext c, int in, int out, long[] inShape, int[] perm, DType dt) {
        int r = perm.length;
        if (r <= 5 && r > 0) {
            emitTranspose(c, in, out, perm, dt);
            return;
        }
        if (r == 0) { Emit.reshapeInto(c, in, out, new long[0]); return; }
        long[] outShape = permute(inShape, perm);
        Reduced red = reduce(inShape, perm);
        if (red.perm.length < r) {
            if (isIdentity(red.perm)) { Emit.reshapeInto(c, in, out, outShape); return; }
            int a = Emit.reshape(c, in, dt, red.shape, hint(c, "merged"));
            int t = temp(c, dt, permute(red.shape, red.perm), "merged_t");
            transposeInto(c, a, t, red.shape, red.perm, dt);
            Emit.reshapeInto(c, t, out, outShape);
            return;
        }
        // no axes merge: split the permutation in two, each of which keeps a pair of axes together
        int best = -1, bestCost = Integer.MAX_VALUE;
        int[] bestA = null, bestB = null;
        for (int i = 0; i + 1 < r; i++) {
            int[] a = moveAfter(perm, i);
            int[] ainv = Layout.inverse(a);
            int[] b = new int[r];
            for (int k = 0; k < r; k++) b[k] = ainv[perm[k]];
            int cost = reduce(inShape, a).perm.length + reduce(permute(inShape, a), b).perm.length;
            if (cost < bestCost) { bestCost = cost; best = i; bestA = a; bestB = b; }
        }
        if (best < 0) throw new ConversionException("cannot decompose transpose " + Arrays.toString(perm));
        long[] mid = permute(inShape, bestA);
        int t = temp(c, dt, mid, "t_part");
        transposeInto(c, in, t, inShape, bestA, dt);
        transposeInto(c, t, out, mid, bestB, dt);
    }

    private static void emitTranspose(LowerContext c, int in, int out, int[] perm, DType dt) {
        int p = c.constInt32(hint(c, "perm"), perm);
        c.op(BuiltinOperator.TRANSPOSE, transposeVersion(dt, perm.length), new int[] {in, p}, new int[] {out}, BuiltinOptions.TransposeOptions,
                b -> { TransposeOptions.startTransposeOptions(b); return TransposeOptions.endTransposeOptions(b); });
    }

    /** perm with axis i+1 moved to right after axis i. */
    private static int[] moveAfter(int[] perm, int i) {
        List<Integer> l = new ArrayList<>();
        for (int p : perm) if (p != i + 1) l.add(p);
        l.add(l.indexOf(i) + 1, i + 1);
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    static long[] permute(long[] s, int[] perm) {
        long[] o = new long[perm.length];
        for (int i = 0; i < perm.length; i++) o[i] = s[perm[i]];
        return o;
    }

    static boolean isIdentity(int[] p) {
        for (int i = 0; i < p.length; i++) if (p[i] != i) return false;
        return true;
    }

    record Reduced(long[] shape, int[] perm) {}

    /** Drops size-1 axes and merges runs of input axes that stay adjacent and in order in the output. */
    static Reduced reduce(long[] shape, int[] perm) {
        int r = perm.length;
        List<Integer> keep = new ArrayList<>();
        for (int a = 0; a < r; a++) if (shape[a] != 1) keep.add(a);
        int[] renum = new int[r];
        Arrays.fill(renum, -1);
        for (int i = 0; i < keep.size(); i++) renum[keep.get(i)] = i;
        List<Integer> p = new ArrayList<>();
        for (int a : perm) if (renum[a] >= 0) p.add(renum[a]);
        long[] s = new long[keep.size()];
        for (int i = 0; i < s.length; i++) s[i] = shape[keep.get(i)];
        // groups in output order
        List<List<Integer>> groups = new ArrayList<>();
        for (int a : p) {
            if (!groups.isEmpty()) {
                List<Integer> g = groups.get(groups.size() - 1);
                if (g.get(g.size() - 1) + 1 == a) { g.add(a); continue; }
            }
            List<Integer> g = new ArrayList<>();
            g.add(a);
            groups.add(g);
        }
        // order the groups by their first input axis
        List<List<Integer>> byIn = new ArrayList<>(groups);
        byIn.sort((x, y) -> Integer.compare(x.get(0), y.get(0)));
        long[] ns = new long[byIn.size()];
        for (int i = 0; i < ns.length; i++) {
            long v = 1;
            for (int a : byIn.get(i)) v *= s[a];
            ns[i] = v;
        }
        int[] np = new int[groups.size()];
        for (int i = 0; i < np.length; i++) np[i] = byIn.indexOf(groups.get(i));
        return new Reduced(ns, np);
    }
}
