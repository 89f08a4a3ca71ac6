package dev.onnxport.backends.tflite;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ops.ShapeOpsKernels;
import dev.onnxport.ir.ops.ShapeOpsMath;
import dev.onnxport.ir.ops.ShapeOpsMath.PadSpec;
import dev.onnxport.ir.ops.ShapeOpsMath.SliceSpec;
import tflite.BuiltinOperator;
import tflite.BuiltinOptions;
import tflite.FillOptions;
import tflite.MirrorPadMode;
import tflite.MirrorPadOptions;
import tflite.PadOptions;
import tflite.PadV2Options;
import tflite.RangeOptions;
import tflite.SplitOptions;
import tflite.SplitVOptions;
import tflite.TileOptions;
import tflite.WhereOptions;

import java.util.ArrayList;
import java.util.List;

import static dev.onnxport.backends.tflite.TfliteShapeOpsKit.I32_BOUND;
import static dev.onnxport.backends.tflite.TfliteShapeOpsKit.hint;
import static dev.onnxport.backends.tflite.TfliteShapeOpsKit.temp;

/** TFLite lowerings of the shape family. */
final class TfliteShapeOps {
    private TfliteShapeOps() {}

    static void register(TfliteOps r) {
        r.register("Reshape", TfliteShapeOps::reshapeLike);
        r.register("Flatten", TfliteShapeOps::reshapeLike);
        r.register("Squeeze", TfliteShapeOps::reshapeLike);
        r.register("Unsqueeze", TfliteShapeOps::reshapeLike);
        r.register("Transpose", TfliteShapeOps::transpose);
        r.register("Concat", TfliteShapeOps::concat);
        r.register("Split", TfliteShapeOps::split);
        r.register("Slice", TfliteShapeOps::slice);
        r.register("Expand", TfliteShapeOps::expand);
        r.register("Tile", TfliteShapeOps::tile);
        r.register("Pad", TfliteShapeOps::pad);
        r.register("Shape", TfliteShapeOps::shape);
        r.register("Size", TfliteShapeOps::size);
        r.register("ConstantOfShape", TfliteShapeOps::constantOfShape);
        r.register("Range", TfliteShapeOps::range);
        r.register("Compress", TfliteShapeOps::compress);
        r.register("EyeLike", TfliteShapeOps::eyeLike);
        r.register("Trilu", TfliteShapeOps::trilu);
        r.register("CenterCropPad", TfliteShapeOps::centerCropPad);
    }

    private static Shape shapeOf(Value v) {
        if (v.shape() == null) throw new ConversionException("shape of '" + v.name() + "' is unknown");
        return v.shape();
    }

    private static long[] staticShape(Value v) {
        Shape s = shapeOf(v);
        if (!s.isStatic()) throw new ConversionException("shape of '" + v.name() + "' is dynamic " + s + "; fix it with --input-shape or --batch");
        return s.toArray();
    }

    // ------------------------------------------------------------------------------------------------ Reshape & co

    /**
     * Reshape, Flatten, Squeeze, Unsqueeze, Identity: a RESHAPE to the inferred output shape, static when it is;
     * else computed at run time from the symbolic dims, or from SHAPE(x) by the op's own rule.
     */
    static void reshapeLike(Node n, LowerContext c) {
        Value x = n.input(0), y = n.output(0);
        Shape ys = shapeOf(y);
        int xt = c.in(n, 0);
        if (ys.isStatic()) { Emit.reshapeInto(c, xt, c.out(n, 0), ys.toArray()); return; }
        int sh = TfliteShapeOpsKit.tryShapeTensor(c, x, xt, ys.dims());
        if (sh < 0) sh = runtimeShape(n, c, xt, shapeOf(x).rank(), ys.rank());
        c.op(BuiltinOperator.RESHAPE, 1, new int[] {xt, sh}, new int[] {c.out(n, 0)});
    }

    /** The output shape of a reshape-like op computed from SHAPE(x) at run time (several unknown dims). */
    private static int runtimeShape(Node n, LowerContext c, int xt, int r, int outRank) {
        int xs = TfliteShapeOpsKit.shapeVec(c, xt, r);
        List<Integer> pieces = new ArrayList<>();
        switch (n.opType()) {
            case "Identity" -> { return xs; }
            case "Flatten" -> {
                int a = (int) n.attrs().getInt("axis", 1);
                if (a < 0) a += r;
                pieces.add(TfliteShapeOpsKit.prodVec(c, xs, 0, a));
                pieces.add(TfliteShapeOpsKit.prodVec(c, xs, a, r));
            }
            case "Squeeze", "Unsqueeze" -> {
                long[] axes = ShapeOpsMath.axesParam(n, 1);
                if (axes == null && n.opType().equals("Squeeze"))
                    throw new ConversionException("Squeeze without axes of an input with dynamic dims: which dims are 1 is known only at run time");
                boolean sq = n.opType().equals("Squeeze");
                int[] ax = ShapeOpsMath.normAxes(axes, sq ? r : outRank);
                boolean[] mark = new boolean[sq ? r : outRank];
                for (int a : ax) mark[a] = true;
                int[] pick = new int[outRank];
                int k = 0;
                if (sq) { for (int i = 0; i < r; i++) if (!mark[i]) pick[k++] = i; }
                else { int j = 0; for (int i = 0; i < outRank; i++) pick[k++] = mark[i] ? r : j++; }
                int src = sq ? xs : TfliteShapeOpsKit.concat(c, new int[] {xs, c.constInt32(hint(c, "one"), 1)}, 0, DType.INT32, new long[] {r + 1}, "xshape1");
                return TfliteShapeOpsKit.gather(c, src, c.constInt32(hint(c, "pick"), pick), 0, DType.INT32, new long[] {outRank}, "shape");
            }
            case "Reshape" -> {
                boolean allowZero = n.attrs().getInt("allowzero", 0) != 0;
                long[] target = n.input(1) == null ? n.attrs().getInts("shape") : ShapeOpsMath.knownInts(n.input(1));
                if (target != null) {
                    // constant target: zeros copy x's dims, the rest are constants (-1 left to RESHAPE)
                    for (int i = 0; i < target.length; i++) {
                        if (target[i] == 0 && !allowZero) pieces.add(TfliteShapeOpsKit.sliceVec(c, xs, i, i + 1));
                        else pieces.add(c.constInt32(hint(c, "d" + i), Math.toIntExact(target[i])));
                    }
                    return TfliteShapeOpsKit.joinVec(c, pieces, outRank);
                }
                Value s = n.input(1);
                long k = staticShape(s)[0];
                int t = TfliteShapeOpsKit.toI32(c, c.in(n, 1), s.dtype(), new long[] {k}, Integer.MAX_VALUE);
                if (allowZero) return t;
                int xk = k <= r ? TfliteShapeOpsKit.sliceVec(c, xs, 0, (int) k)
                        : TfliteShapeOpsKit.concat(c, new int[] {xs, c.constInt32(hint(c, "ones"), ones((int) (k - r)))}, 0, DType.INT32, new long[] {k}, "xshape_k");
                int zero = c.constInt32(hint(c, "zero"), new long[0], 0);
                int eq = temp(c, DType.BOOL, new long[] {k}, "is_zero");
                TfliteShapeOpsKit.equalInto(c, t, zero, eq, DType.INT32);
                int out = temp(c, DType.INT32, new long[] {k}, "shape");
                TfliteShapeOpsKit.selectV2Into(c, eq, xk, t, out);
                return out;
            }
            default -> throw new IllegalStateException(n.opType());
        }
        return TfliteShapeOpsKit.joinVec(c, pieces, outRank);
    }

    // ------------------------------------------------------------------------------------------------ Transpose

    static void transpose(Node n, LowerContext c) {
        Value x = n.input(0);
        Shape s = shapeOf(x);
        int[] perm = ShapeOpsMath.perm(n, s.rank());
        if (s.rank() <= 5) {
            TfliteShapeOpsKit.transposeInto(c, c.in(n, 0), c.out(n, 0), staticOrOnes(s), perm, x.dtype());
            return;
        }
        TfliteShapeOpsKit.transposeInto(c, c.in(n, 0), c.out(n, 0), staticShape(x), perm, x.dtype());
    }

    private static long[] staticOrOnes(Shape s) {
        long[] r = new long[s.rank()];
        for (int i = 0; i < r.length; i++) r[i] = s.dim(i).isKnown() ? s.dim(i).value() : 1;
        return r;
    }

    // ------------------------------------------------------------------------------------------------ Concat

    static void concat(Node n, LowerContext c) {
        Value y = n.output(0);
        int r = shapeOf(y).rank();
        int axis = dev.onnxport.ir.ops.Shapes.axis(ShapeOpsMath.concatAxis(n), r);
        List<Integer> ins = new ArrayList<>();
        Value only = null;
        for (int i = 0; i < n.inputCount(); i++) {
            Value v = n.input(i);
            if (v == null) continue;
            Dim d = shapeOf(v).dim(axis);
            if (d.isKnown() && d.value() == 0) continue; // empty along the axis: contributes nothing
            ins.add(c.in(n, i));
            only = v;
        }
        if (ins.isEmpty()) { emptyInto(c, n.output(0)); return; }
        if (ins.size() == 1) { TfliteShapeOpsKit.copyInto(c, only, ins.get(0), c.out(n, 0), shapeOf(y)); return; }
        TfliteShapeOpsKit.concatInto(c, ins.stream().mapToInt(Integer::intValue).toArray(), c.out(n, 0), axis, y.dtype());
    }

    /** An output with zero elements: a zero-size slice of a constant. */
    private static void emptyInto(LowerContext c, Value y) {
        long[] s = staticShape(y);
        long[] one = s.clone();
        for (int i = 0; i < one.length; i++) one[i] = Math.max(1, one[i]);
        Tensor t = Tensor.fromLongs(y.dtype() == DType.BOOL ? DType.BOOL : y.dtype(), one, new long[(int) Tensor.numel(one)]);
        int k = c.constant(t, hint(c, "empty_src"));
        long[] zero = new long[s.length], step = new long[s.length];
        java.util.Arrays.fill(step, 1);
        TfliteShapeOpsKit.staticSliceInto(c, k, c.tensor(y), y.dtype(), zero, step, s);
    }

    // ------------------------------------------------------------------------------------------------ Split

    static void split(Node n, LowerContext c) {
        Value x = n.input(0);
        Shape s = shapeOf(x);
        int r = s.rank();
        int axis = dev.onnxport.ir.ops.Shapes.axis(n.attrs().getInt("axis", 0), r);
        int k = n.outputs().size();
        long[] sizes = new long[k];
        for (int i = 0; i < k; i++) {
            Dim d = shapeOf(n.output(i)).dim(axis);
            if (!d.isKnown()) throw new ConversionException("Split: size of output " + i + " along the axis is not static");
            sizes[i] = d.value();
        }
        DType dt = x.dtype();
        if (k == 1) { TfliteShapeOpsKit.copyInto(c, x, c.in(n, 0), c.out(n, 0), shapeOf(n.output(0))); return; }
        boolean zero = false, equal = true;
        for (long v : sizes) { zero |= v == 0; equal &= v == sizes[0]; }
        boolean kernel = dt == DType.FLOAT32 || dt == DType.INT32 || dt == DType.UINT8 || dt == DType.INT8 || dt == DType.INT16;
        if (!zero && kernel) {
            int[] outs = new int[k];
            for (int i = 0; i < k; i++) outs[i] = c.out(n, i);
            int ax = c.constInt32(hint(c, "axis"), new long[0], axis);
            if (equal) {
                int v = dt == DType.INT16 ? 4 : dt == DType.INT32 ? 3 : dt == DType.INT8 ? 2 : 1;
                c.op(BuiltinOperator.SPLIT, v, new int[] {ax, c.in(n, 0)}, outs, BuiltinOptions.SplitOptions,
                        b -> SplitOptions.createSplitOptions(b, k));
            } else {
                int[] sz = new int[k];
                for (int i = 0; i < k; i++) sz[i] = Math.toIntExact(sizes[i]);
                int szt = c.constInt32(hint(c, "sizes"), sz);
                c.op(BuiltinOperator.SPLIT_V, dt == DType.INT8 ? 2 : 1, new int[] {c.in(n, 0), szt, ax}, outs, BuiltinOptions.SplitVOptions,
                        b -> SplitVOptions.createSplitVOptions(b, k));
            }
            return;
        }
        // one strided slice per output (types SPLIT lacks, and empty outputs)
        long off = 0;
        for (int i = 0; i < k; i++) {
            Value o = n.output(i);
            if (o.uses().isEmpty() && !isGraphOutput(o)) { off += sizes[i]; continue; }
            int[] b = new int[r], e = new int[r], st = new int[r];
            java.util.Arrays.fill(st, 1);
            b[axis] = Math.toIntExact(off);
            e[axis] = Math.toIntExact(off + sizes[i]);
            int mask = ((1 << r) - 1) & ~(1 << axis);
            TfliteShapeOpsKit.stridedSliceInto(c, c.in(n, 0), c.out(n, i), dt, b, e, st, mask, mask);
            off += sizes[i];
        }
    }

    private static boolean isGraphOutput(Value v) {
        Node p = v.producer();
        return p != null && p.graph() != null && p.graph().outputs().contains(v);
    }

    // ------------------------------------------------------------------------------------------------ Slice

    static void slice(Node n, LowerContext c) {
        Value x = n.input(0);
        Shape s = shapeOf(x);
        int r = s.rank();
        DType dt = x.dtype();
        SliceSpec sp = ShapeOpsMath.sliceSpec(n, r);
        if (sp == null) { dynamicSlice(n, c); return; }
        int[] ax = ShapeOpsMath.normAxes(sp.axes(), r);
        if (s.isStatic()) {
            long[] shape = s.toArray();
            long[][] f = ShapeOpsMath.sliceFull(sp, shape);
            if (r > 5) { reducedSlice(c, c.in(n, 0), c.out(n, 0), dt, shape, f); return; }
            TfliteShapeOpsKit.staticSliceInto(c, c.in(n, 0), c.out(n, 0), dt, f[0], f[1], f[2]);
            return;
        }
        // dynamic dims: unsliced axes take the masks, sliced axes of unknown size keep ONNX's values (TFLite clamps alike)
        int[] b = new int[r], e = new int[r], st = new int[r];
        java.util.Arrays.fill(st, 1);
        int bm = 0, em = 0;
        boolean[] sliced = new boolean[r];
        for (int i = 0; i < ax.length; i++) {
            int a = ax[i];
            sliced[a] = true;
            long stp = sp.steps()[i];
            Dim d = s.dim(a);
            if (d.isKnown()) {
                long[] v = ShapeOpsMath.sliceAxis(d.value(), sp.starts()[i], sp.ends()[i], stp);
                b[a] = (int) v[0];
                long en = v[0] + v[2] * stp;
                if (v[2] == 0) { b[a] = 0; e[a] = 0; stp = 1; }
                else if (stp < 0 && en < 0) { e[a] = 0; em |= 1 << a; }
                else e[a] = (int) Math.min(en, Integer.MAX_VALUE);
            } else {
                if (stp < 0 && sp.starts()[i] < -I32_BOUND) throw new ConversionException("Slice: negative step from before the start of a dynamic axis");
                b[a] = (int) clamp(sp.starts()[i]);
                e[a] = (int) clamp(sp.ends()[i]);
                if (stp > 0 && sp.ends()[i] >= I32_BOUND) { em |= 1 << a; e[a] = 0; }
                if (stp < 0 && sp.ends()[i] <= -I32_BOUND) { em |= 1 << a; e[a] = 0; }
            }
            st[a] = (int) Math.max(Math.min(stp, Integer.MAX_VALUE), Integer.MIN_VALUE + 1);
        }
        for (int a = 0; a < r; a++) if (!sliced[a]) { bm |= 1 << a; em |= 1 << a; }
        TfliteShapeOpsKit.stridedSliceInto(c, c.in(n, 0), c.out(n, 0), dt, b, e, st, bm, em);
    }

    private static long clamp(long v) { return Math.max(-I32_BOUND, Math.min(I32_BOUND, v)); }

    /** Rank > 5 static slice: axes that are taken whole merge into their left neighbour. */
    private static void reducedSlice(LowerContext c, int in, int out, DType dt, long[] shape, long[][] f) {
        List<long[]> axes = new ArrayList<>(); // {dim, start, step, count}
        for (int a = 0; a < shape.length; a++) {
            boolean whole = f[0][a] == 0 && f[1][a] == 1 && f[2][a] == shape[a];
            long[] p = axes.isEmpty() ? null : axes.get(axes.size() - 1);
            if (whole && p != null && p[2] == 1) {
                // a whole axis after a contiguous one: one axis of the product size
                axes.set(axes.size() - 1, new long[] {p[0] * shape[a], p[1] * shape[a], 1, p[3] * shape[a]});
            } else axes.add(new long[] {shape[a], f[0][a], f[1][a], f[2][a]});
        }
        if (axes.size() > 5) throw new ConversionException("Slice: rank " + shape.length + " slice is beyond TFLite 2.6 (rank <= 5)");
        int m = axes.size();
        long[] ms = new long[m], st = new long[m], sp = new long[m], cnt = new long[m];
        for (int i = 0; i < m; i++) { ms[i] = axes.get(i)[0]; st[i] = axes.get(i)[1]; sp[i] = axes.get(i)[2]; cnt[i] = axes.get(i)[3]; }
        int a = Emit.reshape(c, in, dt, ms, hint(c, "merged"));
        int t = temp(c, dt, cnt, "merged_slice");
        TfliteShapeOpsKit.staticSliceInto(c, a, t, dt, st, sp, cnt);
        long[] os = new long[shape.length];
        for (int i = 0; i < os.length; i++) os[i] = f[2][i];
        Emit.reshapeInto(c, t, out, os);
    }

    /**
     * Slice whose starts/ends/axes/steps are computed at run time: full-rank int32 vectors built with SCATTER_ND.
     * The input's dims are constants when its shape is static, else read at run time with SHAPE (only its rank must
     * be known: e.g. a Pad with run-time pads in front, as in the CenterCropPad expansion).
     */
    private static void dynamicSlice(Node n, LowerContext c) {
        Value x = n.input(0);
        Shape xs = shapeOf(x);
        int r = xs.rank();
        if (n.attrs().has("starts")) throw new IllegalStateException();
        Value vs = n.input(1);
        int k = (int) staticShape(vs)[0];
        long[] kv = {k};
        int st = param(n, c, 1, kv);
        int en = param(n, c, 2, kv);
        int sp = n.input(4) != null ? param(n, c, 4, kv) : c.constInt32(hint(c, "ones"), ones(k));
        long[] rv = {r};
        int dimsT, negDimsT;
        if (xs.isStatic()) {
            int[] dims = LowerContext.toInt(xs.toArray());
            int[] negDims = new int[r];
            for (int i = 0; i < r; i++) negDims[i] = -dims[i];
            dimsT = c.constInt32(hint(c, "dims"), dims);
            negDimsT = c.constInt32(hint(c, "neg_dims"), negDims);
        } else {
            dimsT = TfliteShapeOpsKit.shapeVec(c, c.in(n, 0), r);
            negDimsT = TfliteShapeOpsKit.binary(c, BuiltinOperator.SUB, c.constInt32(hint(c, "zeros"), new int[r]), dimsT, DType.INT32, rv, "neg_dims");
        }
        int b, e, s;
        if (n.input(3) == null) {
            if (k == r) { b = st; e = en; s = sp; }
            else {
                int restDims = xs.isStatic() ? c.constInt32(hint(c, "rest"), LowerContext.toInt(java.util.Arrays.copyOfRange(xs.toArray(), k, r)))
                        : TfliteShapeOpsKit.sliceVec(c, dimsT, k, r);
                b = TfliteShapeOpsKit.concat(c, new int[] {st, c.constInt32(hint(c, "zeros"), new int[r - k])}, 0, DType.INT32, rv, "begin");
                e = TfliteShapeOpsKit.concat(c, new int[] {en, restDims}, 0, DType.INT32, rv, "end");
                s = TfliteShapeOpsKit.concat(c, new int[] {sp, c.constInt32(hint(c, "ones"), ones(r - k))}, 0, DType.INT32, rv, "strides");
            }
        } else {
            int axes = axesI32(n, c, 3, k, r);
            int idx = Emit.reshape(c, axes, DType.INT32, new long[] {k, 1}, hint(c, "axes_idx"));
            int one = c.constInt32(hint(c, "one"), new long[0], 1);
            b = TfliteShapeOpsKit.scatterNd(c, idx, st, rv, "begin");
            int sp1 = TfliteShapeOpsKit.binary(c, BuiltinOperator.SUB, sp, one, DType.INT32, kv, "steps_m1");
            s = TfliteShapeOpsKit.binary(c, BuiltinOperator.ADD, TfliteShapeOpsKit.scatterNd(c, idx, sp1, rv, "steps_sc"), one, DType.INT32, rv, "strides");
            int dimsAt = TfliteShapeOpsKit.gather(c, dimsT, axes, 0, DType.INT32, kv, "dims_at");
            int enRel = TfliteShapeOpsKit.binary(c, BuiltinOperator.SUB, en, dimsAt, DType.INT32, kv, "ends_rel");
            e = TfliteShapeOpsKit.binary(c, BuiltinOperator.ADD, TfliteShapeOpsKit.scatterNd(c, idx, enRel, rv, "ends_sc"), dimsT, DType.INT32, rv, "end");
        }
        // ONNX clamps a start below -dim to 0 (TFLite would take -1 for negative steps)
        b = TfliteShapeOpsKit.binary(c, BuiltinOperator.MAXIMUM, b, negDimsT, DType.INT32, rv, "begin_c");
        TfliteShapeOpsKit.stridedSliceInto(c, c.in(n, 0), c.out(n, 0), x.dtype(), r, b, e, s, 0, 0);
    }

    private static int[] ones(int k) {
        int[] o = new int[k];
        java.util.Arrays.fill(o, 1);
        return o;
    }

    /** Input i (an integer vector of length k) as int32, clamped to +-2^30; constants are folded. */
    private static int param(Node n, LowerContext c, int i, long[] shape) {
        Value v = n.input(i);
        long[] known = ShapeOpsMath.knownInts(v);
        if (known != null) {
            int[] t = new int[known.length];
            for (int j = 0; j < t.length; j++) t[j] = (int) clamp(known[j]);
            return c.constInt32(hint(c, "p" + i), t);
        }
        return TfliteShapeOpsKit.toI32(c, c.in(n, i), v.dtype(), shape, I32_BOUND);
    }

    /** Axes input i normalised to [0, rank) as int32 (FLOOR_MOD at run time). */
    private static int axesI32(Node n, LowerContext c, int i, int k, int r) {
        long[] known = ShapeOpsMath.knownInts(n.input(i));
        if (known != null) return c.constInt32(hint(c, "axes"), ShapeOpsMath.normAxes(known, r));
        int a = TfliteShapeOpsKit.toI32(c, c.in(n, i), n.input(i).dtype(), new long[] {k}, I32_BOUND);
        return TfliteShapeOpsKit.binary(c, BuiltinOperator.FLOOR_MOD, a, c.constInt32(hint(c, "rank"), new long[0], r), DType.INT32,
                new long[] {k}, "axes_n");
    }

    // ------------------------------------------------------------------------------------------------ Expand / Tile

    static void expand(Node n, LowerContext c) {
        Value x = n.input(0), y = n.output(0);
        Shape ys = shapeOf(y);
        if (x.shape() != null && x.shape().equals(ys) && ys.isStatic()) { TfliteShapeOpsKit.copyInto(c, x, c.in(n, 0), c.out(n, 0), ys); return; }
        int sh = ys.isStatic() ? c.constInt32(hint(c, "shape"), LowerContext.toInt(ys.toArray())) : TfliteShapeOpsKit.tryShapeTensor(c, x, c.in(n, 0), ys.dims());
        if (sh < 0) {
            // ONNX's bidirectional broadcast of x's run-time shape and the target: where x's dim is 1 the target's, else x's
            Value s = n.input(1);
            int k = (int) staticShape(s)[0], r = shapeOf(x).rank(), m = ys.rank();
            int t = TfliteShapeOpsKit.toI32(c, c.in(n, 1), s.dtype(), new long[] {k}, Integer.MAX_VALUE);
            int xs = TfliteShapeOpsKit.shapeVec(c, c.in(n, 0), r);
            long[] mv = {m};
            if (m > r) xs = TfliteShapeOpsKit.concat(c, new int[] {c.constInt32(hint(c, "ones"), ones(m - r)), xs}, 0, DType.INT32, mv, "xshape_m");
            if (m > k) t = TfliteShapeOpsKit.concat(c, new int[] {c.constInt32(hint(c, "ones"), ones(m - k)), t}, 0, DType.INT32, mv, "target_m");
            int eq = temp(c, DType.BOOL, mv, "x_is_one");
            TfliteShapeOpsKit.equalInto(c, xs, c.constInt32(hint(c, "one"), new long[0], 1), eq, DType.INT32);
            sh = temp(c, DType.INT32, mv, "shape");
            TfliteShapeOpsKit.selectV2Into(c, eq, t, xs, sh);
        }
        TfliteShapeOpsKit.broadcastToInto(c, c.in(n, 0), sh, c.out(n, 0), x.dtype());
    }

    static void tile(Node n, LowerContext c) {
        Value x = n.input(0);
        DType dt = x.dtype();
        TfliteShapeOpsKit.requireTypes("TILE", dt, DType.FLOAT32, DType.INT32, DType.INT64, DType.UINT8, DType.BOOL, DType.STRING);
        long[] reps = ShapeOpsMath.tileRepeats(n, ShapeOpsMath.Inputs.of(n), shapeOf(x).rank());
        if (reps == null && ShapeOpsMath.tileV1(n)) throw new ConversionException("Tile-1: tiles and axis must be constants");
        int m;
        if (reps != null) {
            int[] t = new int[reps.length];
            for (int i = 0; i < t.length; i++) t[i] = Math.toIntExact(reps[i]);
            m = c.constInt32(hint(c, "multiples"), t);
        } else {
            DType mt = n.input(1).dtype();
            if (mt != DType.INT32 && mt != DType.INT64) throw new ConversionException("Tile: repeats of type " + mt);
            m = c.in(n, 1);
        }
        c.op(BuiltinOperator.TILE, dt == DType.STRING ? 2 : 1, new int[] {c.in(n, 0), m}, new int[] {c.out(n, 0)}, BuiltinOptions.TileOptions,
                b -> { TileOptions.startTileOptions(b); return TileOptions.endTileOptions(b); });
    }

    // ------------------------------------------------------------------------------------------------ Pad

    static void pad(Node n, LowerContext c) {
        Value x = n.input(0), y = n.output(0);
        Shape s = shapeOf(x);
        int r = s.rank();
        DType dt = x.dtype();
        PadSpec p = ShapeOpsMath.padSpec(n, r);
        if (p == null) { dynamicPad(n, c); return; }
        String mode = p.mode();
        long[] pads = p.pads();
        boolean neg = false, none = true;
        for (long v : pads) { neg |= v < 0; none &= v == 0; }
        if (none) { TfliteShapeOpsKit.copyInto(c, x, c.in(n, 0), c.out(n, 0), shapeOf(y)); return; }
        switch (mode) {
            case "constant" -> {
                int in = c.in(n, 0);
                long[] cur = staticOrDyn(s);
                if (neg) {
                    long[] shape = staticShape(x);
                    long[] start = new long[r], step = new long[r], cnt = new long[r];
                    java.util.Arrays.fill(step, 1);
                    for (int a = 0; a < r; a++) {
                        start[a] = Math.max(0, -pads[a]);
                        cnt[a] = shape[a] - start[a] - Math.max(0, -pads[r + a]);
                        if (cnt[a] < 0) throw new ConversionException("Pad: crops more than the axis holds");
                    }
                    int t = temp(c, dt, cnt, "cropped");
                    TfliteShapeOpsKit.staticSliceInto(c, in, t, dt, start, step, cnt);
                    in = t;
                    cur = cnt;
                }
                int[] pv = new int[2 * r];
                boolean any = false;
                for (int a = 0; a < r; a++) {
                    pv[2 * a] = (int) Math.max(0, pads[a]);
                    pv[2 * a + 1] = (int) Math.max(0, pads[r + a]);
                    any |= pv[2 * a] != 0 || pv[2 * a + 1] != 0;
                }
                if (!any) { Emit.reshapeInto(c, in, c.out(n, 0), staticShape(y)); return; }
                int pt = c.constInt32(hint(c, "paddings"), new long[] {r, 2}, pv);
                constantPadInto(n, c, in, pt, c.out(n, 0), dt, r, p.value(), cur);
            }
            case "reflect", "edge", "wrap" -> {
                boolean mirror = mode.equals("reflect") && !neg
                        && (dt == DType.FLOAT32 || dt == DType.INT32 || dt == DType.INT64 || dt == DType.UINT8 || dt == DType.INT8);
                long[] shape = staticShape(x);
                if (mirror) for (int a = 0; a < r; a++) mirror &= pads[a] <= shape[a] - 1 && pads[r + a] <= shape[a] - 1;
                if (mirror) {
                    int[] pv = new int[2 * r];
                    for (int a = 0; a < r; a++) { pv[2 * a] = (int) pads[a]; pv[2 * a + 1] = (int) pads[r + a]; }
                    int pt = c.constInt32(hint(c, "paddings"), new long[] {r, 2}, pv);
                    mirrorPadInto(c, c.in(n, 0), pt, c.out(n, 0), dt);
                    return;
                }
                gatherPad(n, c, shape, pads, mode);
            }
            default -> throw new ConversionException("Pad: unknown mode '" + mode + "'");
        }
    }

    private static long[] staticOrDyn(Shape s) {
        long[] r = new long[s.rank()];
        for (int i = 0; i < r.length; i++) r[i] = s.dim(i).isKnown() ? s.dim(i).value() : 1;
        return r;
    }

    private static void constantPadInto(Node n, LowerContext c, int in, int paddings, int out, DType dt, int r, Tensor value, long[] shape) {
        if (dt == DType.BOOL) {
            // PAD has no bool kernel: pad the 0/1 bytes as uint8 (exact)
            if (n.input(2) != null && n.constInput(2) == null && !n.attrs().has("pads"))
                throw new ConversionException("Pad: a run-time constant_value for a bool input");
            long[] os = staticOrDyn(shapeOf(n.output(0)));
            int u = TfliteShapeOpsKit.cast(c, in, DType.BOOL, DType.UINT8, shape, "u8");
            int p = temp(c, DType.UINT8, os, "padded_u8");
            constantPadInto(n, c, u, paddings, p, DType.UINT8, r, value == null ? null : value.cast(DType.UINT8), shape);
            Emit.castInto(c, p, out);
            return;
        }
        TfliteShapeOpsKit.requireTypes("PAD", dt, DType.FLOAT32, DType.INT32, DType.INT64, DType.UINT8, DType.INT8, DType.INT16);
        int version = TfliteShapeOpsKit.padVersion(dt, r);
        boolean dynValue = n.attrs().has("pads") ? false : n.input(2) != null && n.constInput(2) == null;
        boolean zero = !dynValue && (value == null || value.getDouble(0) == 0 && !(value.dtype().isFloat() && 1 / value.getDouble(0) < 0));
        if (zero) {
            c.op(BuiltinOperator.PAD, version, new int[] {in, paddings}, new int[] {out}, BuiltinOptions.PadOptions,
                    b -> { PadOptions.startPadOptions(b); return PadOptions.endPadOptions(b); });
            return;
        }
        int v;
        if (dynValue) {
            if (n.input(2).dtype() != dt) throw new ConversionException("Pad: constant_value type differs from the input");
            v = c.in(n, 2);
        } else {
            Tensor t = value.dtype() == dt ? value : value.cast(dt);
            v = c.constant(t.reshape(new long[0]), hint(c, "pad_value"));
        }
        c.op(BuiltinOperator.PADV2, version, new int[] {in, paddings, v}, new int[] {out}, BuiltinOptions.PadV2Options,
                b -> { PadV2Options.startPadV2Options(b); return PadV2Options.endPadV2Options(b); });
    }

    private static void mirrorPadInto(LowerContext c, int in, int paddings, int out, DType dt) {
        TfliteShapeOpsKit.requireTypes("MIRROR_PAD", dt, DType.FLOAT32, DType.INT32, DType.INT64, DType.UINT8, DType.INT8);
        c.op(BuiltinOperator.MIRROR_PAD, dt == DType.INT8 ? 2 : 1, new int[] {in, paddings}, new int[] {out}, BuiltinOptions.MirrorPadOptions,
                b -> MirrorPadOptions.createMirrorPadOptions(b, MirrorPadMode.REFLECT));
    }

    /** edge/wrap (and reflect beyond MIRROR_PAD's range): one GATHER per padded axis with constant indices. */
    private static void gatherPad(Node n, LowerContext c, long[] shape, long[] pads, String mode) {
        int r = shape.length;
        DType dt = n.input(0).dtype();
        List<Integer> axes = new ArrayList<>();
        for (int a = 0; a < r; a++) if (pads[a] != 0 || pads[r + a] != 0) axes.add(a);
        int cur = c.in(n, 0);
        long[] cs = shape.clone();
        for (int i = 0; i < axes.size(); i++) {
            int a = axes.get(i);
            long os = shape[a] + pads[a] + pads[r + a];
            int[] idx = new int[(int) os];
            for (int o = 0; o < os; o++) idx[o] = (int) ShapeOpsKernels.padIndex(o - pads[a], shape[a], mode);
            int it = c.constInt32(hint(c, "pad_idx" + a), idx);
            cs[a] = os;
            boolean last = i == axes.size() - 1;
            int out = last ? c.out(n, 0) : temp(c, dt, cs.clone(), "padded" + a);
            TfliteShapeOpsKit.gatherInto(c, cur, it, out, a, dt);
            cur = out;
        }
    }

    /** Pad whose pads (and maybe axes) are computed at run time. */
    private static void dynamicPad(Node n, LowerContext c) {
        Value x = n.input(0), y = n.output(0);
        long[] shape = staticShape(x);
        int r = shape.length;
        DType dt = x.dtype();
        String mode = n.attrs().getString("mode", "constant");
        int k = (int) staticShape(n.input(1))[0];
        int pads = param(n, c, 1, new long[] {k});
        int m = k / 2;
        int t = Emit.reshape(c, pads, DType.INT32, new long[] {2, m}, hint(c, "pads2"));
        int pm = temp(c, DType.INT32, new long[] {m, 2}, "pads_t");
        TfliteShapeOpsKit.transposeInto(c, t, pm, new long[] {2, m}, new int[] {1, 0}, DType.INT32);
        int paddings = pm;
        if (n.input(3) != null) {
            int axes = axesI32(n, c, 3, m, r);
            int idx = Emit.reshape(c, axes, DType.INT32, new long[] {m, 1}, hint(c, "axes_idx"));
            paddings = TfliteShapeOpsKit.scatterNd(c, idx, pm, new long[] {r, 2}, "paddings");
        } else if (m != r) throw new ConversionException("Pad: " + k + " pads for rank " + r);
        switch (mode) {
            case "constant" -> constantPadInto(n, c, c.in(n, 0), paddings, c.out(n, 0), dt, r, n.constInput(2), shape);
            case "reflect" -> mirrorPadInto(c, c.in(n, 0), paddings, c.out(n, 0), dt);
            case "edge", "wrap" -> {
                long[] os = staticShape(y);
                int cur = c.in(n, 0);
                long[] cs = shape.clone();
                for (int a = 0; a < r; a++) {
                    int before = temp(c, DType.INT32, new long[] {1, 1}, "before" + a);
                    TfliteShapeOpsKit.stridedSliceInto(c, paddings, before, DType.INT32, new int[] {a, 0}, new int[] {a + 1, 1}, new int[] {1, 1}, 0, 0);
                    int b1 = Emit.reshape(c, before, DType.INT32, new long[] {1}, hint(c, "b" + a));
                    int[] seq = new int[(int) os[a]];
                    for (int o = 0; o < seq.length; o++) seq[o] = o;
                    long[] ov = {os[a]};
                    int rel = TfliteShapeOpsKit.binary(c, BuiltinOperator.SUB, c.constInt32(hint(c, "iota" + a), seq), b1, DType.INT32, ov, "rel" + a);
                    int idx;
                    if (mode.equals("edge")) {
                        int lo = TfliteShapeOpsKit.binary(c, BuiltinOperator.MAXIMUM, rel, c.constInt32(hint(c, "zero"), new long[0], 0), DType.INT32, ov, "lo" + a);
                        idx = TfliteShapeOpsKit.binary(c, BuiltinOperator.MINIMUM, lo, c.constInt32(hint(c, "last"), new long[0], (int) shape[a] - 1), DType.INT32, ov, "idx" + a);
                    } else {
                        idx = TfliteShapeOpsKit.binary(c, BuiltinOperator.FLOOR_MOD, rel, c.constInt32(hint(c, "dim"), new long[0], (int) shape[a]), DType.INT32, ov, "idx" + a);
                    }
                    cs[a] = os[a];
                    int out = a == r - 1 ? c.out(n, 0) : temp(c, dt, cs.clone(), "padded" + a);
                    TfliteShapeOpsKit.gatherInto(c, cur, idx, out, a, dt);
                    cur = out;
                }
            }
            default -> throw new ConversionException("Pad: unknown mode '" + mode + "'");
        }
    }

    // ------------------------------------------------------------------------------------------------ Shape / Size

    static void shape(Node n, LowerContext c) {
        Value x = n.input(0);
        int r = shapeOf(x).rank();
        int[] se = ShapeOpsMath.shapeRange(n, r);
        if (se[0] == 0 && se[1] == r) { TfliteShapeOpsKit.shapeInto(c, c.in(n, 0), c.out(n, 0), DType.INT64); return; }
        int full = temp(c, DType.INT64, new long[] {r}, "shape");
        TfliteShapeOpsKit.shapeInto(c, c.in(n, 0), full, DType.INT64);
        TfliteShapeOpsKit.stridedSliceInto(c, full, c.out(n, 0), DType.INT64, new int[] {se[0]}, new int[] {se[1]}, new int[] {1}, 0, 0);
    }

    static void size(Node n, LowerContext c) {
        Value x = n.input(0);
        Shape s = shapeOf(x);
        if (s.isStatic()) {
            int k = c.constant(Tensor.scalarLong(s.numel()), hint(c, "size"));
            Emit.reshapeInto(c, k, c.out(n, 0), new long[0]);
            return;
        }
        int sh = temp(c, DType.INT64, new long[] {s.rank()}, "shape");
        TfliteShapeOpsKit.shapeInto(c, c.in(n, 0), sh, DType.INT64);
        TfliteShapeOpsKit.reduceProdInto(c, sh, c.out(n, 0), DType.INT64);
    }

    // ------------------------------------------------------------------------------------------------ ConstantOfShape / Range

    static void constantOfShape(Node n, LowerContext c) {
        Tensor v = n.attrs().getTensor("value");
        if (v == null) v = Tensor.scalarFloat(0f);
        DType dt = v.dtype();
        int version = switch (dt) {
            case FLOAT32, INT32, INT64 -> 1;
            case BOOL, STRING -> 2;
            case INT8, INT16 -> 3;
            default -> throw new ConversionException("ConstantOfShape: TFLite FILL has no " + dt + " kernel");
        };
        Value y = n.output(0);
        int dims;
        if (y.shape() != null && y.shape().isStatic()) dims = c.constInt32(hint(c, "dims"), LowerContext.toInt(y.shape().toArray()));
        else {
            DType it = n.input(0).dtype();
            if (it != DType.INT32 && it != DType.INT64) throw new ConversionException("ConstantOfShape: shape of type " + it);
            dims = c.in(n, 0);
        }
        int val = c.constant(v.reshape(new long[0]), hint(c, "value"));
        c.op(BuiltinOperator.FILL, version, new int[] {dims, val}, new int[] {c.out(n, 0)}, BuiltinOptions.FillOptions,
                b -> { FillOptions.startFillOptions(b); return FillOptions.endFillOptions(b); });
    }

    static void range(Node n, LowerContext c) {
        DType dt = n.input(0).dtype();
        Value y = n.output(0);
        long[] ys = y.shape() != null && y.shape().isStatic() ? y.shape().toArray() : new long[] {1};
        if (dt == DType.FLOAT32 || dt == DType.INT32) {
            rangeInto(c, c.in(n, 0), c.in(n, 1), c.in(n, 2), c.out(n, 0));
            return;
        }
        if (dt != DType.INT64) throw new ConversionException("Range: TFLite RANGE has no " + dt + " kernel (float32 and int32 only)");
        int[] ins = new int[3];
        for (int i = 0; i < 3; i++) {
            Tensor k = n.constInput(i);
            if (k != null) {
                long v = k.getLong(0);
                if (v != (int) v) throw new ConversionException("Range: int64 value " + v + " does not fit the int32 TFLite RANGE");
                ins[i] = c.constInt32(hint(c, "r" + i), new long[0], (int) v);
            } else ins[i] = TfliteShapeOpsKit.cast(c, c.in(n, i), DType.INT64, DType.INT32, new long[0], "r" + i);
        }
        int t = temp(c, DType.INT32, ys, "range");
        rangeInto(c, ins[0], ins[1], ins[2], t);
        Emit.castInto(c, t, c.out(n, 0));
    }

    private static void rangeInto(LowerContext c, int a, int b, int d, int out) {
        c.op(BuiltinOperator.RANGE, 1, new int[] {a, b, d}, new int[] {out}, BuiltinOptions.RangeOptions,
                f -> { RangeOptions.startRangeOptions(f); return RangeOptions.endRangeOptions(f); });
    }

    // ------------------------------------------------------------------------------------------------ Compress

    static void compress(Node n, LowerContext c) {
        Value x = n.input(0);
        DType dt = x.dtype();
        int in = c.in(n, 0);
        int axis = 0;
        Shape xs = shapeOf(x);
        if (n.attrs().has("axis")) axis = dev.onnxport.ir.ops.Shapes.axis(n.attrs().getInt("axis", 0), xs.rank());
        else if (xs.rank() != 1) {
            long[] s = staticShape(x);
            in = Emit.reshape(c, in, dt, new long[] {Tensor.numel(s)}, hint(c, "flat"));
        }
        Tensor cond = n.constInput(1);
        int idx;
        if (cond != null) {
            long lim = cond.numel();
            Dim d = n.attrs().has("axis") ? xs.dim(axis) : (xs.isStatic() ? Dim.of(xs.numel()) : null);
            if (d != null && d.isKnown()) lim = Math.min(lim, d.value());
            List<Integer> keep = new ArrayList<>();
            for (long i = 0; i < lim; i++) if (cond.getLong(i) != 0) keep.add((int) i);
            if (keep.isEmpty()) { emptyInto(c, n.output(0)); return; }
            idx = c.constInt32(hint(c, "keep"), keep.stream().mapToInt(Integer::intValue).toArray());
        } else {
            Value cv = n.input(1);
            int ct = c.in(n, 1);
            if (cv.dtype() != DType.BOOL) ct = TfliteShapeOpsKit.cast(c, ct, cv.dtype(), DType.BOOL, staticShape(cv), "cond");
            long len = staticShape(cv)[0];
            int w = temp(c, DType.INT64, new long[] {len, 1}, "where");
            c.op(BuiltinOperator.WHERE, 1, new int[] {ct}, new int[] {w}, BuiltinOptions.WhereOptions,
                    f -> { WhereOptions.startWhereOptions(f); return WhereOptions.endWhereOptions(f); });
            idx = temp(c, DType.INT64, new long[] {len}, "keep");
            int sh = c.constInt32(hint(c, "flat_shape"), -1);
            c.op(BuiltinOperator.RESHAPE, 1, new int[] {w, sh}, new int[] {idx});
        }
        TfliteShapeOpsKit.gatherInto(c, in, idx, c.out(n, 0), axis, dt);
    }

    // ------------------------------------------------------------------------------------------------ EyeLike / Trilu

    static void eyeLike(Node n, LowerContext c) {
        Value y = n.output(0);
        long[] s = staticShape(y);
        long k = n.attrs().getInt("k", 0);
        double[] v = new double[(int) (s[0] * s[1])];
        for (long i = 0; i < s[0]; i++) {
            long j = i + k;
            if (j >= 0 && j < s[1]) v[(int) (i * s[1] + j)] = 1;
        }
        int t = c.constant(Tensor.fromDoubles(y.dtype(), s, v), hint(c, "eye"));
        Emit.reshapeInto(c, t, c.out(n, 0), s);
    }

    static void trilu(Node n, LowerContext c) {
        Value x = n.input(0);
        long[] s = staticShape(x);
        int r = s.length;
        if (r < 2) throw new ConversionException("Trilu: input rank must be >= 2");
        DType dt = x.dtype();
        TfliteShapeOpsKit.requireTypes("SELECT_V2", dt, DType.FLOAT32, DType.UINT8, DType.INT8, DType.INT16, DType.INT32, DType.INT64, DType.BOOL);
        if (r > 5) throw new ConversionException("Trilu: rank " + r + " is beyond TFLite 2.6 broadcasting");
        if (Tensor.numel(s) == 0) { emptyInto(c, n.output(0)); return; }
        boolean upper = n.attrs().getInt("upper", 1) != 0;
        long rows = s[r - 2], cols = s[r - 1];
        long[] ms = {rows, cols};
        Value kv = n.input(1);
        Tensor kc = kv == null ? Tensor.scalarLong(0) : kv.constant();
        int mask;
        if (kc != null) {
            long k = kc.getLong(0);
            long[] m = new long[(int) (rows * cols)];
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) {
                boolean keep = upper ? j - i >= k : j - i <= k;
                m[(int) (i * cols + j)] = keep ? 1 : 0;
            }
            mask = c.constant(Tensor.fromLongs(DType.BOOL, ms, m), hint(c, "mask"));
        } else {
            int[] d = new int[(int) (rows * cols)];
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) d[(int) (i * cols + j)] = j - i;
            int dt32 = c.constInt32(hint(c, "diag"), ms, d);
            int k32 = TfliteShapeOpsKit.toI32(c, c.in(n, 1), kv.dtype(), new long[0], I32_BOUND);
            mask = TfliteShapeOpsKit.binary(c, upper ? BuiltinOperator.GREATER_EQUAL : BuiltinOperator.LESS_EQUAL, dt32, k32, DType.INT32, ms, "mask");
        }
        int zero = c.constant(Tensor.fromLongs(dt, new long[0], new long[1]), hint(c, "zero"));
        TfliteShapeOpsKit.selectV2Into(c, mask, c.in(n, 0), zero, c.out(n, 0));
    }

    // ------------------------------------------------------------------------------------------------ CenterCropPad

    static void centerCropPad(Node n, LowerContext c) {
        Value x = n.input(0), y = n.output(0);
        long[] s = staticShape(x), o = staticShape(y);
        int r = s.length;
        DType dt = x.dtype();
        long[] start = new long[r], step = new long[r], cnt = s.clone();
        java.util.Arrays.fill(step, 1);
        int[] pv = new int[2 * r];
        boolean crop = false, padded = false;
        for (int a = 0; a < r; a++) {
            long[] cp = ShapeOpsMath.centerCropPad(s[a], o[a]);
            if (s[a] > o[a]) { start[a] = cp[0]; cnt[a] = o[a]; crop = true; }
            if (s[a] < o[a]) { pv[2 * a] = (int) cp[1]; pv[2 * a + 1] = (int) (o[a] - s[a] - cp[1]); padded = true; }
        }
        int in = c.in(n, 0);
        if (!crop && !padded) { Emit.reshapeInto(c, in, c.out(n, 0), o); return; }
        if (crop) {
            int t = padded ? temp(c, dt, cnt, "cropped") : c.out(n, 0);
            TfliteShapeOpsKit.staticSliceInto(c, in, t, dt, start, step, cnt);
            in = t;
        }
        if (padded) {
            int pt = c.constInt32(hint(c, "paddings"), new long[] {r, 2}, pv);
            c.op(BuiltinOperator.PAD, TfliteShapeOpsKit.padVersion(dt, r), new int[] {in, pt}, new int[] {c.out(n, 0)}, BuiltinOptions.PadOptions,
                    b -> { PadOptions.startPadOptions(b); return PadOptions.endPadOptions(b); });
        }
    }
}
