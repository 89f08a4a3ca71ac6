package dev.onnxport.backends.tflite;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.ops.RecurrentSpec;
import tflite.ActivationFunctionType;
import tflite.AddOptions;
import tflite.BuiltinOperator;
import tflite.BuiltinOptions;
import tflite.ConcatenationOptions;
import tflite.DivOptions;
import tflite.FullyConnectedOptions;
import tflite.FullyConnectedOptionsWeightsFormat;
import tflite.LeakyReluOptions;
import tflite.MaximumMinimumOptions;
import tflite.MulOptions;
import tflite.SplitOptions;
import tflite.StridedSliceOptions;
import tflite.SubOptions;

import java.util.List;

/**
 * Float32 emission helpers for the unrolled recurrent lowerings. Tensors travel with their static shapes
 * ({@link T}); a null T stands for an all-zero tensor (e.g. an absent initial state), which the arithmetic
 * helpers fold away instead of emitting ops on it.
 */
final class TfliteRecurrentEmitter {
    /** A TFLite tensor index and its static shape. */
    record T(int idx, long[] shape) {
        int rank() { return shape.length; }
    }

    private final LowerContext c;
    private final String base;

    TfliteRecurrentEmitter(LowerContext c, String base) {
        this.c = c;
        this.base = base;
    }

    LowerContext ctx() { return c; }

    T temp(long[] shape, String hint) { return new T(c.temp(DType.FLOAT32, shape, base + "_" + hint), shape.clone()); }

    T constant(float[] data, long[] shape, String hint) {
        return new T(c.constant(Tensor.ofFloats(shape, data), base + "_" + hint), shape.clone());
    }

    T scalar(float v, String hint) { return constant(new float[] {v}, new long[0], hint); }

    static long[] broadcast(long[] a, long[] b) {
        int r = Math.max(a.length, b.length);
        long[] o = new long[r];
        for (int i = 0; i < r; i++) {
            int ia = i - (r - a.length), ib = i - (r - b.length);
            long da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
            if (da != db && da != 1 && db != 1) throw new ConversionException("shapes do not broadcast: " + java.util.Arrays.toString(a) + " " + java.util.Arrays.toString(b));
            o[i] = da == 1 ? db : da;
        }
        return o;
    }

    private T binary(int op, T a, T b, String hint) {
        T o = temp(broadcast(a.shape, b.shape), hint);
        int[] ins = {a.idx, b.idx}, outs = {o.idx};
        switch (op) {
            case BuiltinOperator.ADD -> c.op(op, 1, ins, outs, BuiltinOptions.AddOptions,
                    fb -> AddOptions.createAddOptions(fb, ActivationFunctionType.NONE, true));
            case BuiltinOperator.SUB -> c.op(op, 1, ins, outs, BuiltinOptions.SubOptions,
                    fb -> SubOptions.createSubOptions(fb, ActivationFunctionType.NONE, true));
            case BuiltinOperator.MUL -> c.op(op, 1, ins, outs, BuiltinOptions.MulOptions,
                    fb -> MulOptions.createMulOptions(fb, ActivationFunctionType.NONE));
            case BuiltinOperator.DIV -> c.op(op, 1, ins, outs, BuiltinOptions.DivOptions,
                    fb -> DivOptions.createDivOptions(fb, ActivationFunctionType.NONE));
            case BuiltinOperator.MAXIMUM, BuiltinOperator.MINIMUM -> c.op(op, 1, ins, outs, BuiltinOptions.MaximumMinimumOptions,
                    fb -> { MaximumMinimumOptions.startMaximumMinimumOptions(fb); return MaximumMinimumOptions.endMaximumMinimumOptions(fb); });
            default -> throw new IllegalArgumentException("binary op " + op);
        }
        return o;
    }

    /** a + b; a null operand is zero. */
    T add(T a, T b, String hint) {
        if (a == null) return b;
        if (b == null) return a;
        return binary(BuiltinOperator.ADD, a, b, hint);
    }

    /** a - b; a null operand is zero. */
    T sub(T a, T b, String hint) {
        if (b == null) return a;
        if (a == null) return unary(BuiltinOperator.NEG, b, hint);
        return binary(BuiltinOperator.SUB, a, b, hint);
    }

    /** a * b; null (zero) when either is null. */
    T mul(T a, T b, String hint) {
        if (a == null || b == null) return null;
        return binary(BuiltinOperator.MUL, a, b, hint);
    }

    T div(T a, T b, String hint) { return binary(BuiltinOperator.DIV, a, b, hint); }

    T max(T a, T b, String hint) { return binary(BuiltinOperator.MAXIMUM, a, b, hint); }

    T min(T a, T b, String hint) { return binary(BuiltinOperator.MINIMUM, a, b, hint); }

    /** An options-free float unary op (LOGISTIC, TANH, RELU, EXP, LOG, ABS, NEG, ELU). */
    T unary(int op, T a, String hint) {
        T o = temp(a.shape, hint);
        c.op(op, 1, new int[] {a.idx}, new int[] {o.idx});
        return o;
    }

    /** FULLY_CONNECTED v1: in [..., K] flattened to [N, K], w [units, K], optional bias [units] -> [N, units]. */
    T fc(T in, T w, T bias, String hint) {
        long k = w.shape[1];
        long rows = 1;
        for (long d : in.shape) rows *= d;
        if (in.shape[in.rank() - 1] != k) throw new ConversionException("fully connected: input " + java.util.Arrays.toString(in.shape) + " vs weights " + java.util.Arrays.toString(w.shape));
        T o = temp(new long[] {rows / k, w.shape[0]}, hint);
        c.op(BuiltinOperator.FULLY_CONNECTED, 1, new int[] {in.idx, w.idx, bias == null ? -1 : bias.idx}, new int[] {o.idx},
                BuiltinOptions.FullyConnectedOptions,
                fb -> FullyConnectedOptions.createFullyConnectedOptions(fb, ActivationFunctionType.NONE,
                        FullyConnectedOptionsWeightsFormat.DEFAULT, false, false, (byte) 0));
        return o;
    }

    /** SPLIT into n equal parts along axis; a null (zero) input gives n nulls; n == 1 returns the input. */
    T[] split(T in, int axis, int n, String hint) {
        T[] r = new T[n];
        if (in == null) return r;
        if (n == 1) { r[0] = in; return r; }
        if (in.shape[axis] % n != 0) throw new ConversionException("cannot split " + in.shape[axis] + " into " + n);
        long[] ps = in.shape.clone();
        ps[axis] /= n;
        int[] outs = new int[n];
        for (int i = 0; i < n; i++) { r[i] = temp(ps, hint + i); outs[i] = r[i].idx; }
        int ax = c.constInt32(base + "_" + hint + "_axis", new long[0], axis);
        c.op(BuiltinOperator.SPLIT, 1, new int[] {ax, in.idx}, outs, BuiltinOptions.SplitOptions,
                fb -> SplitOptions.createSplitOptions(fb, n));
        return r;
    }

    /** CONCATENATION along axis into a new tensor. */
    T concat(List<T> ins, int axis, String hint) {
        long[] s = ins.get(0).shape.clone();
        s[axis] = 0;
        for (T t : ins) s[axis] += t.shape[axis];
        T o = temp(s, hint);
        int[] idx = ins.stream().mapToInt(T::idx).toArray();
        c.op(BuiltinOperator.CONCATENATION, 1, idx, new int[] {o.idx}, BuiltinOptions.ConcatenationOptions,
                fb -> ConcatenationOptions.createConcatenationOptions(fb, axis, ActivationFunctionType.NONE));
        return o;
    }

    T reshape(T in, long[] shape, String hint) {
        return new T(Emit.reshape(c, in.idx, DType.FLOAT32, shape, base + "_" + hint), shape.clone());
    }

    T transpose(T in, int[] perm, String hint) {
        int o = Emit.transpose(c, in.idx, DType.FLOAT32, in.shape, perm, base + "_" + hint);
        long[] s = new long[perm.length];
        for (int i = 0; i < perm.length; i++) s[i] = in.shape[perm[i]];
        return new T(o, s);
    }

    /** STRIDED_SLICE v1 in[begin:end] (unit strides), dropping the axes in shrinkMask. */
    T stridedSlice(T in, long[] begin, long[] end, int shrinkMask, String hint) {
        int r = begin.length;
        int[] b = new int[r], e = new int[r], st = new int[r];
        java.util.List<Long> os = new java.util.ArrayList<>();
        for (int i = 0; i < r; i++) {
            b[i] = (int) begin[i];
            e[i] = (int) end[i];
            st[i] = 1;
            if ((shrinkMask & (1 << i)) == 0) os.add(end[i] - begin[i]);
        }
        long[] s = os.stream().mapToLong(Long::longValue).toArray();
        T o = temp(s, hint);
        int bi = c.constInt32(base + "_" + hint + "_begin", b), ei = c.constInt32(base + "_" + hint + "_end", e),
                si = c.constInt32(base + "_" + hint + "_strides", st);
        c.op(BuiltinOperator.STRIDED_SLICE, 1, new int[] {in.idx, bi, ei, si}, new int[] {o.idx}, BuiltinOptions.StridedSliceOptions,
                fb -> StridedSliceOptions.createStridedSliceOptions(fb, 0, 0, 0, 0, shrinkMask, false));
        return o;
    }

    /** Clips to [-clip, clip] (no-op when clip is null). */
    T clip(Float clip, T x, String hint) {
        if (clip == null) return x;
        T lo = min(x, scalar(clip, hint + "_hi"), hint + "_min");
        return max(lo, scalar(-clip, hint + "_lo"), hint + "_max");
    }

    /** One ONNX recurrent activation function applied to x. */
    T act(RecurrentSpec.Act a, T x, String hint) {
        float al = a.alpha(), be = a.beta();
        return switch (a.name()) {
            case "sigmoid" -> unary(BuiltinOperator.LOGISTIC, x, hint);
            case "tanh" -> unary(BuiltinOperator.TANH, x, hint);
            case "relu" -> unary(BuiltinOperator.RELU, x, hint);
            case "affine" -> add(mul(x, scalar(al, hint + "_alpha"), hint + "_scaled"), scalar(be, hint + "_beta"), hint);
            case "leakyrelu" -> {
                T o = temp(x.shape, hint);
                c.op(BuiltinOperator.LEAKY_RELU, 1, new int[] {x.idx}, new int[] {o.idx}, BuiltinOptions.LeakyReluOptions,
                        fb -> LeakyReluOptions.createLeakyReluOptions(fb, al));
                yield o;
            }
            case "thresholdedrelu" -> {
                // x if x > alpha else 0: GREATER gives a bool mask, CAST makes it 0/1
                int gt = c.temp(DType.BOOL, x.shape, base + "_" + hint + "_gt");
                T alpha = scalar(al, hint + "_alpha");
                c.op(BuiltinOperator.GREATER, 1, new int[] {x.idx, alpha.idx}, new int[] {gt});
                T m = new T(Emit.cast(c, gt, DType.FLOAT32, x.shape, base + "_" + hint + "_mask"), x.shape.clone());
                yield mul(x, m, hint);
            }
            case "scaledtanh" -> mul(unary(BuiltinOperator.TANH, mul(x, scalar(be, hint + "_beta"), hint + "_in"), hint + "_tanh"),
                    scalar(al, hint + "_alpha"), hint);
            case "hardsigmoid" -> {
                T lin = add(mul(x, scalar(al, hint + "_alpha"), hint + "_scaled"), scalar(be, hint + "_beta"), hint + "_lin");
                yield max(min(lin, scalar(1f, hint + "_one"), hint + "_min"), scalar(0f, hint + "_zero"), hint);
            }
            case "elu" -> {
                if (al == 1f) yield unary(BuiltinOperator.ELU, x, hint);
                // relu(x) + alpha * (exp(min(x, 0)) - 1)
                T neg = min(x, scalar(0f, hint + "_zero"), hint + "_neg");
                T em1 = sub(unary(BuiltinOperator.EXP, neg, hint + "_exp"), scalar(1f, hint + "_one"), hint + "_em1");
                yield add(unary(BuiltinOperator.RELU, x, hint + "_relu"), mul(em1, scalar(al, hint + "_alpha"), hint + "_negpart"), hint);
            }
            case "softsign" -> div(x, add(unary(BuiltinOperator.ABS, x, hint + "_abs"), scalar(1f, hint + "_one"), hint + "_den"), hint);
            case "softplus" -> {
                // max(x, 0) + log(1 + exp(-|x|)), stable for large |x|
                T e = unary(BuiltinOperator.EXP, unary(BuiltinOperator.NEG, unary(BuiltinOperator.ABS, x, hint + "_abs"), hint + "_nabs"), hint + "_exp");
                T l = unary(BuiltinOperator.LOG, add(e, scalar(1f, hint + "_one"), hint + "_1pe"), hint + "_log");
                yield add(unary(BuiltinOperator.RELU, x, hint + "_relu"), l, hint);
            }
            default -> throw new ConversionException("activation '" + a.name() + "' has no TFLite lowering");
        };
    }
}
