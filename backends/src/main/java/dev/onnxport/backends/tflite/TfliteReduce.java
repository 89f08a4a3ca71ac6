package dev.onnxport.backends.tflite;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ops.ReduceOps;
import dev.onnxport.ir.ops.Shapes;
import tflite.AddOptions;
import tflite.ArgMaxOptions;
import tflite.ArgMinOptions;
import tflite.BuiltinOperator;
import tflite.BuiltinOptions;
import tflite.ConcatenationOptions;
import tflite.CumsumOptions;
import tflite.FullyConnectedOptions;
import tflite.MulOptions;
import tflite.ReducerOptions;
import tflite.SubOptions;
import tflite.TensorType;
import tflite.TopKV2Options;

/**
 * TFLite lowerings of the reduction family: ReduceX (MEAN, SUM, REDUCE_MAX/MIN/PROD and compositions for L1, L2,
 * LogSum, LogSumExp, SumSquare), ArgMax/ArgMin (ARG_MAX/ARG_MIN), TopK (TOPK_V2), CumSum (CUMSUM), CumProd
 * (unrolled MULs) and NonMaxSuppression (NON_MAX_SUPPRESSION_V4 per batch and class).
 */
final class TfliteReduce {
    private TfliteReduce() {}

    static void register(TfliteOps r) {
        for (String op : ReduceOps.REDUCTIONS) r.register(op, TfliteReduce::reduce);
        r.register("ArgMax", TfliteReduce::argMinMax);
        r.register("ArgMin", TfliteReduce::argMinMax);
        r.register("TopK", TfliteReduce::topK);
        r.register("CumSum", TfliteReduce::cumSum);
        r.register("CumProd", TfliteReduce::cumProd);
        r.register("NonMaxSuppression", TfliteReduceNms::lower);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** Dims of s, -1 for a symbolic dim (see {@link #temp}). */
    static long[] dims(Shape s) {
        long[] r = new long[s.rank()];
        for (int i = 0; i < r.length; i++) r[i] = s.dim(i).isKnown() ? s.size(i) : -1;
        return r;
    }

    /**
     * A temporary tensor whose dims may be -1: those are resized at run time (run-time axes, k, NMS counts), so
     * the tensor is declared with size 1 there and a shape signature of -1 (current LiteRT trusts a declared
     * static shape and would not resize it).
     */
    static int temp(LowerContext c, DType dt, long[] shape, String hint) {
        boolean dynamic = false;
        for (long d : shape) dynamic |= d < 0;
        if (!dynamic) return c.temp(dt, shape, hint);
        int[] s = new int[shape.length], sig = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            s[i] = shape[i] < 0 ? 1 : Math.toIntExact(shape[i]);
            sig[i] = shape[i] < 0 ? -1 : s[i];
        }
        return c.model().addTensor(hint, LowerContext.tfliteType(dt), s, sig, null, null);
    }

    static int cast(LowerContext c, int in, DType to, long[] shape, String hint) {
        int out = temp(c, to, shape, hint);
        Emit.castInto(c, in, out);
        return out;
    }

    static int transpose(LowerContext c, int in, DType dt, long[] inShape, int[] perm, String hint) {
        int out = temp(c, dt, permute(inShape, perm), hint);
        Emit.transposeInto(c, in, out, perm, dt);
        return out;
    }

    static Shape requireShape(Value v) {
        if (v.shape() == null) throw new ConversionException("shape of '" + v.name() + "' is unknown");
        return v.shape();
    }

    static String hint(Node n, String suffix) { return n.output(0).name() + "_" + suffix; }

    static void unaryInto(LowerContext c, int builtin, int in, int out) {
        c.op(builtin, 1, new int[] {in}, new int[] {out});
    }

    static int unary(LowerContext c, int builtin, int in, DType dt, long[] shape, String hint) {
        int out = temp(c, dt, shape, hint);
        unaryInto(c, builtin, in, out);
        return out;
    }

    /** ADD/SUB/MUL without fused activation; version by dtype (TFLite op_version rules). */
    static void binaryInto(LowerContext c, int builtin, int a, int b, int out, DType dt) {
        switch (builtin) {
            case BuiltinOperator.ADD -> c.op(builtin, dt == DType.INT64 ? 4 : 1, new int[] {a, b}, new int[] {out},
                    BuiltinOptions.AddOptions, f -> AddOptions.createAddOptions(f, (byte) 0, false));
            case BuiltinOperator.SUB -> c.op(builtin, dt == DType.INT64 ? 4 : 1, new int[] {a, b}, new int[] {out},
                    BuiltinOptions.SubOptions, f -> SubOptions.createSubOptions(f, (byte) 0, false));
            case BuiltinOperator.MUL -> c.op(builtin, dt == DType.INT64 ? 5 : 1, new int[] {a, b}, new int[] {out},
                    BuiltinOptions.MulOptions, f -> MulOptions.createMulOptions(f, (byte) 0));
            default -> throw new IllegalArgumentException("not a binary op: " + builtin);
        }
    }

    static int binary(LowerContext c, int builtin, int a, int b, DType dt, long[] shape, String hint) {
        int out = temp(c, dt, shape, hint);
        binaryInto(c, builtin, a, b, out, dt);
        return out;
    }

    /** A reduce op (MEAN, SUM, REDUCE_*) writing into out. */
    static void reduceInto(LowerContext c, int builtin, int in, int axes, boolean keep, int out, DType dt) {
        int version = switch (builtin) {
            case BuiltinOperator.MEAN, BuiltinOperator.REDUCE_MAX, BuiltinOperator.REDUCE_MIN ->
                    dt == DType.INT16 ? 3 : dt == DType.INT8 ? 2 : 1;
            case BuiltinOperator.SUM -> dt == DType.INT8 ? 2 : 1;
            case BuiltinOperator.REDUCE_PROD -> dt == DType.INT8 || dt == DType.INT16 ? 2 : 1;
            default -> 1;
        };
        c.op(builtin, version, new int[] {in, axes}, new int[] {out}, BuiltinOptions.ReducerOptions,
                b -> ReducerOptions.createReducerOptions(b, keep));
    }

    static int reduceOp(LowerContext c, int builtin, int in, int axes, boolean keep, DType dt, long[] shape, String hint) {
        int out = temp(c, dt, shape, hint);
        reduceInto(c, builtin, in, axes, keep, out, dt);
        return out;
    }

    /** A copy of in into out (TFLite needs an operator to produce every output). */
    static void copyInto(LowerContext c, int in, int out, Shape shape) {
        if (shape.isStatic()) {
            Emit.reshapeInto(c, in, out, shape.toArray());
        } else {
            int sh = c.temp(DType.INT32, new long[] {shape.rank()}, c.model().tensor(out).name() + "_shape");
            c.op(BuiltinOperator.SHAPE, 1, new int[] {in}, new int[] {sh}, BuiltinOptions.ShapeOptions,
                    b -> tflite.ShapeOptions.createShapeOptions(b, TensorType.INT32));
            c.op(BuiltinOperator.RESHAPE, 1, new int[] {in, sh}, new int[] {out});
        }
    }

    /** A scalar constant of the given dtype. */
    static int scalar(LowerContext c, DType dt, double v, String hint) {
        return c.constant(Tensor.fromDoubles(dt, new long[0], new double[] {v}), hint);
    }

    /** FILL of a static shape with one value, into out. */
    static void fillInto(LowerContext c, int out, long[] shape, DType dt, double value, String hint) {
        int dimsT = c.constInt32(hint + "_dims", LowerContext.toInt(shape));
        int v = dt.isFloat() ? c.scalarFloat(hint + "_value", (float) value)
                : c.constant(Tensor.fromLongs(dt, new long[0], new long[] {(long) value}), hint + "_value");
        c.op(BuiltinOperator.FILL, dt == DType.BOOL ? 2 : 1, new int[] {dimsT, v}, new int[] {out});
    }

    // ------------------------------------------------------------------------------------------------ ReduceX

    static void reduce(Node n, LowerContext c) {
        String op = n.opType();
        Value xv = n.input(0);
        DType dt = xv.dtype();
        Shape xs = requireShape(xv);
        int rank = xs.rank();
        boolean keep = n.attrs().getInt("keepdims", 1) != 0;
        boolean simple = op.equals("ReduceMean") || op.equals("ReduceSum") || op.equals("ReduceMax") || op.equals("ReduceMin")
                || op.equals("ReduceProd");
        boolean minMax = op.equals("ReduceMax") || op.equals("ReduceMin");
        boolean ok = dt == DType.FLOAT32 || (simple && (dt == DType.INT32 || dt == DType.INT64))
                || (minMax && (dt == DType.BOOL || dt == DType.INT8 || dt == DType.UINT8))
                || (op.equals("ReduceSumSquare") && dt == DType.INT32);
        if (!ok) throw new ConversionException(op + " of " + dt + " has no TFLite kernel (float32"
                + (simple ? ", int32, int64" : "") + (minMax ? ", bool, int8, uint8" : "") + " only)");
        ReduceOps.ReduceAxes ra = ReduceOps.reduceAxes(n, rank);
        int x = c.in(n, 0);
        int out = c.out(n, 0);
        if (ra.noop() || (!ra.isRuntime() && ra.axes().length == 0)) {
            copyInto(c, x, out, xs);
            return;
        }
        if (xs.isStatic() && xs.numel() == 0) {
            emptySet(n, c, op, dt);
            return;
        }
        int axes;
        if (ra.isRuntime()) {
            Value av = n.input(1);
            axes = c.in(n, 1);
            if (av.dtype() != DType.INT32) {
                long k = Math.max(ra.runtimeCount(), 1);
                axes = cast(c, axes, DType.INT32, new long[] {ra.runtimeCount() < 0 ? -1 : k}, hint(n, "axes_i32"));
            }
        } else {
            axes = c.constInt32(hint(n, "axes"), ra.axes());
        }
        Shape os = n.output(0).shape();
        long[] outShape = os != null ? dims(os) : keep ? dims(xs) : new long[0];
        long[] keptShape = ra.isRuntime() ? keptRuntime(xs) : dims(ReduceOps.reducedShape(xs, ra.axes(), true));
        switch (op) {
            case "ReduceMean" -> reduceInto(c, BuiltinOperator.MEAN, x, axes, keep, out, dt);
            case "ReduceSum" -> reduceInto(c, BuiltinOperator.SUM, x, axes, keep, out, dt);
            case "ReduceProd" -> reduceInto(c, BuiltinOperator.REDUCE_PROD, x, axes, keep, out, dt);
            case "ReduceMax" -> {
                if (dt == DType.BOOL) reduceInto(c, BuiltinOperator.REDUCE_ANY, x, axes, keep, out, dt);
                else reduceInto(c, BuiltinOperator.REDUCE_MAX, x, axes, keep, out, dt);
            }
            case "ReduceMin" -> {
                if (dt == DType.BOOL) {
                    // all(x) = !any(!x); REDUCE_ALL is not in TFLite 2.6
                    int nx = unary(c, BuiltinOperator.LOGICAL_NOT, x, dt, dims(xs), hint(n, "not"));
                    int any = reduceOp(c, BuiltinOperator.REDUCE_ANY, nx, axes, keep, dt, outShape, hint(n, "any"));
                    unaryInto(c, BuiltinOperator.LOGICAL_NOT, any, out);
                } else {
                    reduceInto(c, BuiltinOperator.REDUCE_MIN, x, axes, keep, out, dt);
                }
            }
            case "ReduceL1" -> {
                int a = unary(c, BuiltinOperator.ABS, x, dt, dims(xs), hint(n, "abs"));
                reduceInto(c, BuiltinOperator.SUM, a, axes, keep, out, dt);
            }
            case "ReduceSumSquare" -> {
                int sq = square(c, x, dt, dims(xs), hint(n, "sq"));
                reduceInto(c, BuiltinOperator.SUM, sq, axes, keep, out, dt);
            }
            case "ReduceL2" -> {
                int sq = square(c, x, dt, dims(xs), hint(n, "sq"));
                int s = reduceOp(c, BuiltinOperator.SUM, sq, axes, keep, dt, outShape, hint(n, "sum"));
                unaryInto(c, BuiltinOperator.SQRT, s, out);
            }
            case "ReduceLogSum" -> {
                int s = reduceOp(c, BuiltinOperator.SUM, x, axes, keep, dt, outShape, hint(n, "sum"));
                unaryInto(c, BuiltinOperator.LOG, s, out);
            }
            case "ReduceLogSumExp" -> {
                // log(sum(exp(x - m))) + m with m = max(x) over the axes: no overflow for large x
                int mk = reduceOp(c, BuiltinOperator.REDUCE_MAX, x, axes, true, dt, keptShape, hint(n, "max"));
                int d = temp(c, dt, dims(xs), hint(n, "shifted"));
                // SUB v3: broadcasting beyond 4 dims (TFLite op_version)
                c.op(BuiltinOperator.SUB, rank > 4 ? 3 : 1, new int[] {x, mk}, new int[] {d}, BuiltinOptions.SubOptions,
                        f -> SubOptions.createSubOptions(f, (byte) 0, false));
                int e = unary(c, BuiltinOperator.EXP, d, dt, dims(xs), hint(n, "exp"));
                int s = reduceOp(c, BuiltinOperator.SUM, e, axes, keep, dt, outShape, hint(n, "sum"));
                int l = unary(c, BuiltinOperator.LOG, s, dt, outShape, hint(n, "log"));
                int m = keep ? mk : reduceOp(c, BuiltinOperator.REDUCE_MAX, x, axes, false, dt, outShape, hint(n, "max_out"));
                binaryInto(c, BuiltinOperator.ADD, l, m, out, dt);
            }
            default -> throw new ConversionException("not a reduction: " + op);
        }
    }

    /** The keepdims=1 shape for run-time axes: dims of 1 stay 1, the others are unknown. */
    static long[] keptRuntime(Shape xs) {
        long[] r = dims(xs);
        for (int i = 0; i < r.length; i++) if (r[i] != 1) r[i] = -1;
        return r;
    }

    static int square(LowerContext c, int x, DType dt, long[] shape, String hint) {
        if (dt == DType.FLOAT32) return unary(c, BuiltinOperator.SQUARE, x, dt, shape, hint);
        return binary(c, BuiltinOperator.MUL, x, x, dt, shape, hint);
    }

    /**
     * A reduction of an input with a zero-size dimension: every output element reduces an empty set (or the
     * output is empty too), so the output is ONNX's identity value for the reduction, written with FILL; the
     * data is never read (TFLite's reduce kernels read element 0 of an empty input).
     */
    static void emptySet(Node n, LowerContext c, String op, DType dt) {
        Shape os = n.output(0).shape();
        if (os == null || !os.isStatic())
            throw new ConversionException(op + " of an input with a zero-size dimension needs a static output shape (axes are a run-time input)");
        double v = switch (op) {
            case "ReduceProd" -> 1;
            case "ReduceMax" -> dt.isFloat() ? Double.NEGATIVE_INFINITY : dt == DType.BOOL ? 0 : minOf(dt);
            case "ReduceMin" -> dt.isFloat() ? Double.POSITIVE_INFINITY : dt == DType.BOOL ? 1 : maxOf(dt);
            case "ReduceLogSum", "ReduceLogSumExp" -> Double.NEGATIVE_INFINITY;
            case "ReduceMean" -> dt.isFloat() ? Double.NaN : 0;
            default -> 0;
        };
        fillInto(c, c.out(n, 0), os.toArray(), dt, v, hint(n, "empty"));
    }

    static double minOf(DType dt) {
        return switch (dt) {
            case INT8 -> Byte.MIN_VALUE;
            case INT16 -> Short.MIN_VALUE;
            case INT32 -> Integer.MIN_VALUE;
            case INT64 -> Long.MIN_VALUE;
            default -> 0;
        };
    }

    static double maxOf(DType dt) {
        return switch (dt) {
            case INT8 -> Byte.MAX_VALUE;
            case UINT8 -> 255;
            case INT16 -> Short.MAX_VALUE;
            case INT32 -> Integer.MAX_VALUE;
            case INT64 -> Long.MAX_VALUE;
            default -> 0;
        };
    }

    // ------------------------------------------------------------------------------------------------ ArgMax/ArgMin

    static void argMinMax(Node n, LowerContext c) {
        boolean max = n.opType().equals("ArgMax");
        Value xv = n.input(0);
        DType dt = xv.dtype();
        Shape xs = requireShape(xv);
        int rank = xs.rank();
        if (rank == 0) throw new ConversionException(n.opType() + " of a scalar");
        if (dt != DType.FLOAT32 && dt != DType.INT32 && dt != DType.UINT8 && dt != DType.INT8)
            throw new ConversionException(n.opType() + " of " + dt + " has no TFLite kernel (float32, int32, uint8, int8 only)");
        int axis = Shapes.axis(n.attrs().getInt("axis", 0), rank);
        boolean keep = n.attrs().getInt("keepdims", 1) != 0;
        boolean last = n.attrs().getInt("select_last_index", 0) != 0;
        int x = c.in(n, 0);
        int axisT = c.constInt32(hint(n, "axis"), axis);
        if (last) {
            // the last extreme index = (len - 1) - (first extreme index of x reversed along axis)
            if (!xs.dim(axis).isKnown()) throw new ConversionException("select_last_index=1 needs a static size of the reduced axis");
            int rv = dt == DType.INT8 ? 3 : 1;
            int rx = temp(c, dt, dims(xs), hint(n, "reversed"));
            c.op(BuiltinOperator.REVERSE_V2, rv, new int[] {x, axisT}, new int[] {rx});
            x = rx;
        }
        Shape red = ReduceOps.reducedShape(xs, new int[] {axis}, false);
        Shape os = n.output(0).shape();
        int out = c.out(n, 0);
        int version = dt == DType.INT8 ? 2 : 1;
        byte outType = last ? TensorType.INT32 : TensorType.INT64;
        int idx = keep || last ? temp(c, last ? DType.INT32 : DType.INT64, dims(red), hint(n, "index")) : out;
        if (max) {
            c.op(BuiltinOperator.ARG_MAX, version, new int[] {x, axisT}, new int[] {idx}, BuiltinOptions.ArgMaxOptions,
                    b -> ArgMaxOptions.createArgMaxOptions(b, outType));
        } else {
            c.op(BuiltinOperator.ARG_MIN, version, new int[] {x, axisT}, new int[] {idx}, BuiltinOptions.ArgMinOptions,
                    b -> ArgMinOptions.createArgMinOptions(b, outType));
        }
        if (last) {
            int lenM1 = c.constant(Tensor.ofInts(new long[0], (int) xs.size(axis) - 1), hint(n, "len_m1"));
            int fwd = binary(c, BuiltinOperator.SUB, lenM1, idx, DType.INT32, dims(red), hint(n, "index_fwd"));
            idx = keep ? cast(c, fwd, DType.INT64, dims(red), hint(n, "index_i64")) : out;
            if (!keep) Emit.castInto(c, fwd, out);
        }
        if (keep) {
            if (os != null && os.isStatic()) {
                Emit.reshapeInto(c, idx, out, os.toArray());
            } else {
                int ax = c.constInt32(hint(n, "expand_axis"), new long[0], axis);
                c.op(BuiltinOperator.EXPAND_DIMS, 1, new int[] {idx, ax}, new int[] {out});
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ TopK

    static void topK(Node n, LowerContext c) {
        Value xv = n.input(0);
        DType dt = xv.dtype();
        Shape xs = requireShape(xv);
        int rank = xs.rank();
        if (rank == 0) throw new ConversionException("TopK of a scalar");
        if (dt != DType.FLOAT32 && dt != DType.INT32 && dt != DType.INT64 && dt != DType.UINT8 && dt != DType.INT8)
            throw new ConversionException("TopK of " + dt + " has no TFLite kernel (TOPK_V2: float32, int32, int64, uint8, int8)");
        int axis = Shapes.axis(n.attrs().getInt("axis", -1), rank);
        boolean largest = n.attrs().getInt("largest", 1) != 0;
        if (!largest && (dt == DType.UINT8 || dt == DType.INT8))
            throw new ConversionException("TopK largest=0 of " + dt + " (negation would overflow)");
        long k = ReduceOps.topK(n);
        int kT;
        if (k >= 0) {
            kT = c.constInt32(hint(n, "k"), (int) k);
        } else {
            Value kv = n.input(1);
            kT = c.in(n, 1);
            if (kv.dtype() != DType.INT32) kT = cast(c, kT, DType.INT32, new long[] {1}, hint(n, "k_i32"));
        }
        int x = c.in(n, 0);
        long[] xd = dims(xs);
        if (!largest) x = unary(c, BuiltinOperator.NEG, x, dt, xd, hint(n, "neg"));
        int[] perm = null;
        if (axis != rank - 1) {
            perm = new int[rank];
            for (int i = 0; i < rank; i++) perm[i] = i;
            perm[axis] = rank - 1;
            perm[rank - 1] = axis;
            x = transpose(c, x, dt, xd, perm, hint(n, "t"));
            xd = permute(xd, perm);
        }
        long[] td = xd.clone();
        td[rank - 1] = k >= 0 ? k : -1;
        boolean direct = perm == null && largest;
        int vals = direct ? c.out(n, 0) : temp(c, dt, td, hint(n, "values"));
        int idx = temp(c, DType.INT32, td, hint(n, "indices"));
        c.op(BuiltinOperator.TOPK_V2, dt == DType.INT8 ? 2 : 1, new int[] {x, kT}, new int[] {vals, idx},
                BuiltinOptions.TopKV2Options, b -> { TopKV2Options.startTopKV2Options(b); return TopKV2Options.endTopKV2Options(b); });
        if (!largest) {
            int nv = perm == null ? c.out(n, 0) : temp(c, dt, td, hint(n, "values_pos"));
            unaryInto(c, BuiltinOperator.NEG, vals, nv);
            vals = nv;
        }
        if (perm != null) {
            Emit.transposeInto(c, vals, c.out(n, 0), perm, dt);
            idx = transpose(c, idx, DType.INT32, td, perm, hint(n, "indices_t"));
        }
        Emit.castInto(c, idx, c.out(n, 1));
    }

    static long[] permute(long[] s, int[] perm) {
        long[] r = new long[perm.length];
        for (int i = 0; i < perm.length; i++) r[i] = s[perm[i]];
        return r;
    }

    // ------------------------------------------------------------------------------------------------ CumSum/CumProd

    static void cumSum(Node n, LowerContext c) {
        Value xv = n.input(0);
        DType dt = xv.dtype();
        Shape xs = requireShape(xv);
        if (xs.rank() == 0) throw new ConversionException("CumSum of a scalar");
        if (dt != DType.FLOAT32 && dt != DType.INT32 && dt != DType.INT64)
            throw new ConversionException("CumSum of " + dt + " has no TFLite kernel (CUMSUM: float32, int32, int64)");
        int axisT = cumAxis(n, c, xs.rank());
        boolean exclusive = n.attrs().getInt("exclusive", 0) != 0;
        boolean reverse = n.attrs().getInt("reverse", 0) != 0;
        c.op(BuiltinOperator.CUMSUM, 1, new int[] {c.in(n, 0), axisT}, new int[] {c.out(n, 0)}, BuiltinOptions.CumsumOptions,
                b -> CumsumOptions.createCumsumOptions(b, exclusive, reverse));
    }

    /** The axis input as a one-element int32 tensor (CUMSUM reads it at run time). */
    static int cumAxis(Node n, LowerContext c, int rank) {
        Tensor t = n.constInput(1);
        if (t != null) return c.constInt32(hint(n, "axis"), new long[0], Shapes.axis(t.getLong(0), rank));
        Value av = n.input(1);
        if (av == null) throw new ConversionException("axis input is required");
        int a = c.in(n, 1);
        if (av.dtype() == DType.INT32) return a;
        long[] s = av.shape() == null ? new long[0] : dims(av.shape());
        return cast(c, a, DType.INT32, s, hint(n, "axis_i32"));
    }

    /**
     * CumProd (TFLite has no cumulative product): the axis is split into its slices and a running MUL chain is
     * concatenated back. Needs the axis at conversion time (or a rank-1 input) and a static axis size.
     */
    static void cumProd(Node n, LowerContext c) {
        Value xv = n.input(0);
        DType dt = xv.dtype();
        Shape xs = requireShape(xv);
        int rank = xs.rank();
        if (rank == 0) throw new ConversionException("CumProd of a scalar");
        if (dt != DType.FLOAT32 && dt != DType.INT32)
            throw new ConversionException("CumProd of " + dt + " is not supported (float32 and int32 only)");
        Tensor at = n.constInput(1);
        int axis;
        if (at != null) axis = Shapes.axis(at.getLong(0), rank);
        else if (rank == 1) axis = 0;
        else throw new ConversionException("CumProd needs a constant axis (TFLite has no cumulative product to take it at run time)");
        if (!xs.isStatic()) throw new ConversionException("CumProd needs a static input shape, got " + xs);
        int len = (int) xs.size(axis);
        if (len > 256) throw new ConversionException("CumProd over " + len + " elements would unroll into too many ops (limit 256)");
        boolean exclusive = n.attrs().getInt("exclusive", 0) != 0;
        boolean reverse = n.attrs().getInt("reverse", 0) != 0;
        long[] xd = dims(xs);
        long[] sd = xd.clone();
        sd[axis] = 1;
        int out = c.out(n, 0);
        if (len == 0 || len == 1 && !exclusive) {
            copyInto(c, c.in(n, 0), out, xs);
            return;
        }
        int[] slices = new int[len];
        int[] splitOuts = new int[len];
        for (int i = 0; i < len; i++) splitOuts[i] = slices[i] = temp(c, dt, sd, hint(n, "slice" + i));
        int axT = c.constInt32(hint(n, "split_axis"), new long[0], axis);
        int splitVersion = dt == DType.INT32 ? 3 : 1;
        c.op(BuiltinOperator.SPLIT, splitVersion, new int[] {axT, c.in(n, 0)}, splitOuts, BuiltinOptions.SplitOptions,
                b -> tflite.SplitOptions.createSplitOptions(b, len));
        int[] res = new int[len];
        int acc = -1;
        for (int j = 0; j < len; j++) {
            int i = reverse ? len - 1 - j : j;
            if (exclusive) {
                res[i] = acc < 0 ? fillOnes(c, dt, sd, hint(n, "one")) : acc;
                acc = acc < 0 ? slices[i] : binary(c, BuiltinOperator.MUL, acc, slices[i], dt, sd, hint(n, "acc" + j));
            } else {
                acc = acc < 0 ? slices[i] : binary(c, BuiltinOperator.MUL, acc, slices[i], dt, sd, hint(n, "acc" + j));
                res[i] = acc;
            }
        }
        c.op(BuiltinOperator.CONCATENATION, 1, res, new int[] {out}, BuiltinOptions.ConcatenationOptions,
                b -> ConcatenationOptions.createConcatenationOptions(b, axis, (byte) 0));
    }

    static int fillOnes(LowerContext c, DType dt, long[] shape, String hint) {
        return c.constant(Tensor.fromDoubles(dt, shape, onesArray(shape)), hint);
    }

    static double[] onesArray(long[] shape) {
        double[] d = new double[Math.toIntExact(Tensor.numel(shape))];
        java.util.Arrays.fill(d, 1);
        return d;
    }

    /** FULLY_CONNECTED (v1: float, with bias) without activation. */
    static int fullyConnectedNoAct(LowerContext c, int in, int w, int bias, long[] outShape, String hint) {
        int out = temp(c, DType.FLOAT32, outShape, hint);
        c.op(BuiltinOperator.FULLY_CONNECTED, 1, new int[] {in, w, bias}, new int[] {out}, BuiltinOptions.FullyConnectedOptions,
                b -> FullyConnectedOptions.createFullyConnectedOptions(b, (byte) 0, (byte) 0, false, false, (byte) 0));
        return out;
    }
}
