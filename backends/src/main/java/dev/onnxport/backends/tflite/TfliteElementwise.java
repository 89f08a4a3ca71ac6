package dev.onnxport.backends.tflite;

import dev.onnxport.backends.tflite.TfliteElementwiseEmit.T;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import tflite.ActivationFunctionType;
import tflite.AddOptions;
import tflite.BuiltinOperator;
import tflite.BuiltinOptions;
import tflite.LeakyReluOptions;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * TFLite lowerings of the element-wise family. Float math runs in float32; what TFLite 2.6 lacks is decomposed
 * (Erf by a rational approximation, Atan/Asin/Acos by Cephes' atanf, Sinh/Cosh/Asinh/... through Exp/Log, Mod
 * with fmod=1 through FLOOR_MOD, Sign/IsNaN/IsInf through comparisons). Integer types without a TFLite kernel
 * (int8/uint8/int16 for arithmetic and comparisons) are widened to int32, which is exact, and cast back.
 */
final class TfliteElementwise {
    private TfliteElementwise() {}

    private static final Set<DType> ARITH = EnumSet.of(DType.FLOAT32, DType.INT32, DType.INT64);
    private static final Set<DType> MINMAX = EnumSet.of(DType.FLOAT32, DType.INT32, DType.INT64, DType.INT8, DType.UINT8);
    private static final Set<DType> SELECT = EnumSet.of(DType.FLOAT32, DType.INT32, DType.INT64, DType.INT8, DType.UINT8, DType.INT16, DType.BOOL);

    @FunctionalInterface
    interface Lower { void lower(TfliteElementwiseEmit e); }

    private static void reg(TfliteOps r, String op, Lower l) {
        r.register(op, (n, c) -> l.lower(new TfliteElementwiseEmit(c, n)));
    }

    static void register(TfliteOps r) {
        // ---- broadcasting arithmetic ----
        reg(r, "Add", e -> arith(e, BuiltinOperator.ADD, ARITH));
        reg(r, "Sub", e -> arith(e, BuiltinOperator.SUB, ARITH));
        reg(r, "Mul", e -> arith(e, BuiltinOperator.MUL, ARITH));
        // TFLite DIV has float32 and int32 kernels; C integer division truncates toward zero like ONNX
        reg(r, "Div", TfliteElementwise::div);
        reg(r, "Pow", TfliteElementwise::pow);
        reg(r, "Mod", TfliteElementwise::mod);
        reg(r, "BitShift", TfliteElementwise::bitShift);
        reg(r, "PRelu", TfliteElementwise::prelu);

        // ---- variadic ----
        reg(r, "Max", e -> variadic(e, BuiltinOperator.MAXIMUM, MINMAX));
        reg(r, "Min", e -> variadic(e, BuiltinOperator.MINIMUM, MINMAX));
        reg(r, "Sum", e -> variadic(e, BuiltinOperator.ADD, ARITH));
        reg(r, "Mean", TfliteElementwise::mean);

        // ---- comparisons and logic ----
        reg(r, "Equal", e -> compare(e, BuiltinOperator.EQUAL));
        reg(r, "Less", e -> compare(e, BuiltinOperator.LESS));
        reg(r, "Greater", e -> compare(e, BuiltinOperator.GREATER));
        reg(r, "LessOrEqual", e -> compare(e, BuiltinOperator.LESS_EQUAL));
        reg(r, "GreaterOrEqual", e -> compare(e, BuiltinOperator.GREATER_EQUAL));
        reg(r, "And", e -> logic(e, BuiltinOperator.LOGICAL_AND));
        reg(r, "Or", e -> logic(e, BuiltinOperator.LOGICAL_OR));
        reg(r, "Xor", e -> logic(e, BuiltinOperator.NOT_EQUAL));
        reg(r, "Not", e -> {
            T x = e.in(0);
            requireBool(x, "Not");
            e.unary(BuiltinOperator.LOGICAL_NOT, x, e.out(0));
        });
        reg(r, "Where", TfliteElementwise::where);

        // ---- activations ----
        reg(r, "Relu", TfliteElementwise::relu);
        reg(r, "LeakyRelu", e -> {
            T x = floatIn(e);
            float a = e.n.attrs().getFloat("alpha", 0.01f);
            e.unary(BuiltinOperator.LEAKY_RELU, x, e.out(0), BuiltinOptions.LeakyReluOptions, b -> LeakyReluOptions.createLeakyReluOptions(b, a));
        });
        reg(r, "Elu", e -> {
            T x = floatIn(e);
            float a = e.n.attrs().getFloat("alpha", 1f);
            if (a == 1f) {
                e.unary(BuiltinOperator.ELU, x, e.out(0));
                return;
            }
            // x > 0 ? x : alpha * (exp(x) - 1)
            T neg = e.sub(e.mul(exp(e, x), e.f(a), null), e.f(a), null);
            e.select(e.cmp(BuiltinOperator.GREATER, x, e.f(0), null), x, neg, e.out(0));
        });
        reg(r, "Selu", e -> {
            T x = floatIn(e);
            double a = e.n.attrs().getFloat("alpha", 1.67326319217681884765625f), g = e.n.attrs().getFloat("gamma", 1.05070102214813232421875f);
            double ag = a * g;
            T neg = e.sub(e.mul(exp(e, x), e.f(ag), null), e.f(ag), null);
            e.select(e.cmp(BuiltinOperator.GREATER, x, e.f(0), null), e.mul(x, e.f(g), null), neg, e.out(0));
        });
        reg(r, "Celu", e -> {
            // max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
            T x = floatIn(e);
            double a = e.n.attrs().getFloat("alpha", 1f);
            T ex = exp(e, e.div(x, e.f(a), null));
            T neg = e.min(e.sub(e.mul(ex, e.f(a), null), e.f(a), null), e.f(0), null);
            e.add(e.unary(BuiltinOperator.RELU, x, null), neg, e.out(0));
        });
        reg(r, "Sigmoid", e -> e.unary(BuiltinOperator.LOGISTIC, floatIn(e), e.out(0)));
        reg(r, "Tanh", e -> e.unary(BuiltinOperator.TANH, floatIn(e), e.out(0)));
        reg(r, "HardSigmoid", e -> {
            // max(0, min(1, a*x + b)) = relu6(6a*x + 6b) / 6
            T x = floatIn(e);
            double a = e.n.attrs().getFloat("alpha", 0.2f), b = e.n.attrs().getFloat("beta", 0.5f);
            T t = e.mul(x, e.f(6 * a), null);
            T u = e.nary(BuiltinOperator.ADD, List.of(t, e.f(6 * b)), DType.FLOAT32, null, BuiltinOptions.AddOptions,
                    w -> AddOptions.createAddOptions(w, ActivationFunctionType.RELU6, true));
            e.div(u, e.f(6), e.out(0));
        });
        reg(r, "HardSwish", e -> e.unary(BuiltinOperator.HARD_SWISH, floatIn(e), e.out(0)));
        reg(r, "Softplus", e -> softplus(e, floatIn(e), e.out(0)));
        reg(r, "Softsign", e -> {
            T x = floatIn(e);
            e.div(x, e.add(e.unary(BuiltinOperator.ABS, x, null), e.f(1), null), e.out(0));
        });
        reg(r, "Gelu", e -> {
            T x = floatIn(e);
            String approx = e.n.attrs().getString("approximate", "none");
            T inner;
            if (approx.equals("tanh")) {
                // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
                T x3 = e.mul(e.mul(x, x, null), x, null);
                T s = e.add(x, e.mul(x3, e.f(0.044715), null), null);
                inner = e.unary(BuiltinOperator.TANH, e.mul(s, e.f(Math.sqrt(2 / Math.PI)), null), null);
            } else if (approx.equals("none")) {
                inner = erf(e, e.mul(x, e.f(1 / Math.sqrt(2)), null), null);
            } else {
                throw new ConversionException("Gelu approximate='" + approx + "' is not defined");
            }
            e.mul(e.mul(x, e.f(0.5), null), e.add(inner, e.f(1), null), e.out(0));
        });
        reg(r, "Mish", e -> {
            T x = floatIn(e);
            e.mul(x, e.unary(BuiltinOperator.TANH, softplus(e, x, null), null), e.out(0));
        });
        reg(r, "Swish", e -> {
            T x = floatIn(e);
            float a = e.n.attrs().getFloat("alpha", 1f);
            T ax = a == 1f ? x : e.mul(x, e.f(a), null);
            e.mul(x, e.unary(BuiltinOperator.LOGISTIC, ax, null), e.out(0));
        });
        reg(r, "ThresholdedRelu", e -> {
            T x = floatIn(e);
            float a = e.n.attrs().getFloat("alpha", 1f);
            e.select(e.cmp(BuiltinOperator.GREATER, x, e.f(a), null), x, e.f(0), e.out(0));
        });
        reg(r, "Shrink", TfliteElementwise::shrink);
        reg(r, "Clip", TfliteElementwise::clip);

        // ---- math ----
        reg(r, "Exp", e -> e.unary(BuiltinOperator.EXP, floatIn(e), e.out(0)));
        reg(r, "Log", e -> e.unary(BuiltinOperator.LOG, floatIn(e), e.out(0)));
        reg(r, "Sqrt", e -> e.unary(BuiltinOperator.SQRT, floatIn(e), e.out(0)));
        reg(r, "Sin", e -> e.unary(BuiltinOperator.SIN, floatIn(e), e.out(0)));
        reg(r, "Cos", e -> e.unary(BuiltinOperator.COS, floatIn(e), e.out(0)));
        reg(r, "Floor", e -> e.unary(BuiltinOperator.FLOOR, floatIn(e), e.out(0)));
        reg(r, "Ceil", e -> e.unary(BuiltinOperator.CEIL, floatIn(e), e.out(0)));
        // TFLite ROUND rounds half to even (reference_ops::RoundToNearest), as ONNX does
        reg(r, "Round", e -> e.unary(BuiltinOperator.ROUND, floatIn(e), e.out(0)));
        reg(r, "Erf", e -> erf(e, floatIn(e), e.out(0)));
        reg(r, "Reciprocal", e -> {
            T x = floatIn(e);
            e.div(e.f(1), x, e.out(0));
        });
        reg(r, "Tan", e -> {
            T x = floatIn(e);
            e.div(e.unary(BuiltinOperator.SIN, x, null), e.unary(BuiltinOperator.COS, x, null), e.out(0));
        });
        reg(r, "Atan", e -> atan(e, floatIn(e), e.out(0)));
        reg(r, "Asin", e -> {
            // atan(x / sqrt((1 - x)(1 + x))); +-1 give +-inf inside, whose atan is +-pi/2
            T x = floatIn(e);
            T s = e.unary(BuiltinOperator.SQRT, e.mul(e.sub(e.f(1), x, null), e.add(e.f(1), x, null), null), null);
            atan(e, e.div(x, s, null), e.out(0));
        });
        reg(r, "Acos", e -> {
            // 2 atan(sqrt((1 - x) / (1 + x)))
            T x = floatIn(e);
            T q = e.div(e.sub(e.f(1), x, null), e.add(e.f(1), x, null), null);
            e.mul(atan(e, e.unary(BuiltinOperator.SQRT, q, null), null), e.f(2), e.out(0));
        });
        reg(r, "Sinh", e -> {
            T x = floatIn(e);
            T d = e.sub(exp(e, x), exp(e, e.unary(BuiltinOperator.NEG, x, null)), null);
            e.mul(d, e.f(0.5), e.out(0));
        });
        reg(r, "Cosh", e -> {
            T x = floatIn(e);
            T s = e.add(exp(e, x), exp(e, e.unary(BuiltinOperator.NEG, x, null)), null);
            e.mul(s, e.f(0.5), e.out(0));
        });
        reg(r, "Asinh", e -> {
            // sign(x) log(|x| + sqrt(x^2 + 1))
            T x = floatIn(e);
            T ax = e.unary(BuiltinOperator.ABS, x, null);
            T s = e.unary(BuiltinOperator.SQRT, e.add(e.mul(x, x, null), e.f(1), null), null);
            T l = e.unary(BuiltinOperator.LOG, e.add(ax, s, null), null);
            e.select(e.cmp(BuiltinOperator.LESS, x, e.f(0), null), e.unary(BuiltinOperator.NEG, l, null), l, e.out(0));
        });
        reg(r, "Acosh", e -> {
            // log(x + sqrt((x - 1)(x + 1)))
            T x = floatIn(e);
            T s = e.unary(BuiltinOperator.SQRT, e.mul(e.sub(x, e.f(1), null), e.add(x, e.f(1), null), null), null);
            e.unary(BuiltinOperator.LOG, e.add(x, s, null), e.out(0));
        });
        reg(r, "Atanh", e -> {
            // 0.5 log((1 + x) / (1 - x))
            T x = floatIn(e);
            T q = e.div(e.add(e.f(1), x, null), e.sub(e.f(1), x, null), null);
            e.mul(e.unary(BuiltinOperator.LOG, q, null), e.f(0.5), e.out(0));
        });
        reg(r, "Abs", TfliteElementwise::abs);
        reg(r, "Neg", TfliteElementwise::neg);
        reg(r, "Sign", TfliteElementwise::sign);
        reg(r, "IsNaN", e -> {
            T x = floatIn(e);
            e.cmp(BuiltinOperator.NOT_EQUAL, x, x, e.out(0));
        });
        reg(r, "IsInf", e -> {
            T x = floatIn(e);
            boolean pos = e.n.attrs().getInt("detect_positive", 1) != 0, neg = e.n.attrs().getInt("detect_negative", 1) != 0;
            if (pos && neg) e.cmp(BuiltinOperator.EQUAL, e.unary(BuiltinOperator.ABS, x, null), e.f(Double.POSITIVE_INFINITY), e.out(0));
            else if (pos) e.cmp(BuiltinOperator.EQUAL, x, e.f(Double.POSITIVE_INFINITY), e.out(0));
            else if (neg) e.cmp(BuiltinOperator.EQUAL, x, e.f(Double.NEGATIVE_INFINITY), e.out(0));
            else e.cmp(BuiltinOperator.LESS, e.unary(BuiltinOperator.ABS, x, null), e.f(0), e.out(0)); // always false
        });

        // ---- conversions and copies ----
        reg(r, "Cast", TfliteElementwise::cast);
        reg(r, "CastLike", TfliteElementwise::cast);
        reg(r, "Identity", e -> {
            T x = e.in(0);
            TfliteElementwiseEmit.requireSupported(x.dt(), "Identity");
            e.result(x);
        });
        reg(r, "Dropout", TfliteElementwiseQuant::dropout);

        // ---- quantisation (as arithmetic) ----
        reg(r, "QuantizeLinear", TfliteElementwiseQuant::quantize);
        reg(r, "DequantizeLinear", TfliteElementwiseQuant::dequantize);
        reg(r, "DynamicQuantizeLinear", TfliteElementwiseQuant::dynamicQuantize);
    }

    // ------------------------------------------------------------------ helpers

    static T floatIn(TfliteElementwiseEmit e) {
        T x = e.in(0);
        TfliteElementwiseEmit.requireFloat(x.dt(), e.n.opType());
        return x;
    }

    static void requireBool(T x, String what) {
        if (x.dt() != DType.BOOL) throw new ConversionException(what + " needs bool inputs, got " + x.dt());
    }

    /** The type to compute in: the type itself when a kernel has it, int32 for the narrower integers. */
    static DType computeType(DType t, Set<DType> kernels, String what) {
        TfliteElementwiseEmit.requireSupported(t, what);
        if (kernels.contains(t)) return t;
        if (t == DType.INT8 || t == DType.UINT8 || t == DType.INT16)
            return DType.INT32;
        throw new ConversionException(what + ": TFLite has no kernel for " + t);
    }

    /** dst for the last op: the output itself when no cast follows. */
    static T dstFor(TfliteElementwiseEmit e, DType ct) {
        T o = e.out(0);
        return o.dt() == ct ? o : null;
    }

    static T castOut(TfliteElementwiseEmit e, T r) {
        T o = e.out(0);
        if (r.id() == o.id()) return o;
        if (r.dt() == o.dt()) e.copyInto(r, o);
        else e.castInto(r, o);
        return o;
    }

    static T binaryOp(TfliteElementwiseEmit e, int op, T a, T b, T dst) {
        return switch (op) {
            case BuiltinOperator.ADD -> e.add(a, b, dst);
            case BuiltinOperator.SUB -> e.sub(a, b, dst);
            case BuiltinOperator.MUL -> e.mul(a, b, dst);
            case BuiltinOperator.DIV -> e.div(a, b, dst);
            default -> e.binary(op, a, b, dst);
        };
    }

    static void arith(TfliteElementwiseEmit e, int op, Set<DType> kernels) {
        T a = e.in(0), b = e.in(1);
        if (a.dt() == DType.BOOL) throw new ConversionException(e.n.opType() + " is not defined for bool");
        DType ct = computeType(a.dt(), kernels, e.n.opType());
        castOut(e, binaryOp(e, op, e.cast(a, ct), e.cast(b, ct), dstFor(e, ct)));
    }

    static void variadic(TfliteElementwiseEmit e, int op, Set<DType> kernels) {
        List<T> ins = new ArrayList<>();
        for (int i = 0; i < e.n.inputCount(); i++) if (e.n.input(i) != null) ins.add(e.in(i));
        if (ins.isEmpty()) throw new ConversionException(e.n.opType() + " has no inputs");
        DType dt = ins.get(0).dt();
        if (dt == DType.BOOL) throw new ConversionException(e.n.opType() + " is not defined for bool");
        DType ct = computeType(dt, kernels, e.n.opType());
        if (ins.size() == 1) {
            e.result(ins.get(0));
            return;
        }
        T acc = e.cast(ins.get(0), ct);
        for (int i = 1; i < ins.size(); i++) {
            T dst = i == ins.size() - 1 ? dstFor(e, ct) : null;
            acc = binaryOp(e, op, acc, e.cast(ins.get(i), ct), dst);
        }
        castOut(e, acc);
    }

    static void mean(TfliteElementwiseEmit e) {
        List<T> ins = new ArrayList<>();
        for (int i = 0; i < e.n.inputCount(); i++) if (e.n.input(i) != null) ins.add(e.in(i));
        if (ins.isEmpty()) throw new ConversionException("Mean has no inputs");
        TfliteElementwiseEmit.requireFloat(ins.get(0).dt(), "Mean");
        if (ins.size() == 1) {
            e.result(ins.get(0));
            return;
        }
        T acc = ins.get(0);
        for (int i = 1; i < ins.size(); i++) acc = e.add(acc, ins.get(i), null);
        e.div(acc, e.f(ins.size()), e.out(0));
    }

    static void div(TfliteElementwiseEmit e) {
        T a = e.in(0), b = e.in(1);
        if (a.dt() != DType.INT64) {
            arith(e, BuiltinOperator.DIV, EnumSet.of(DType.FLOAT32, DType.INT32));
            return;
        }
        divInt64(e, a, b);
    }

    /**
     * Exact int64 division truncating toward zero, for which TFLite 2.6 has no kernel (DIV and FLOOR_DIV stop at
     * int32): on magnitudes, a float32 quotient refined twice by the exact int64 remainder (each round gains 24
     * bits), then corrected by at most two steps either way; the sign comes last.
     */
    static void divInt64(TfliteElementwiseEmit e, T a, T b) {
        DType l = DType.INT64;
        T ua = absInt(e, a), ub = absInt(e, b);
        T fub = e.cast(ub, DType.FLOAT32);
        T q = e.cast(e.div(e.cast(ua, DType.FLOAT32), fub, null), l);
        for (int i = 0; i < 2; i++) {
            T r = e.sub(ua, e.mul(q, ub, null), null);
            q = e.add(q, e.cast(e.div(e.cast(r, DType.FLOAT32), fub, null), l), null);
        }
        T r = e.sub(ua, e.mul(q, ub, null), null);
        T zero = e.scalar(l, 0), one = e.scalar(l, 1);
        for (int i = 0; i < 2; i++) {
            T low = e.cmp(BuiltinOperator.LESS, r, zero, null);
            q = e.select(low, e.sub(q, one, null), q, null);
            r = e.select(low, e.add(r, ub, null), r, null);
        }
        for (int i = 0; i < 2; i++) {
            T high = e.cmp(BuiltinOperator.GREATER_EQUAL, r, ub, null);
            q = e.select(high, e.add(q, one, null), q, null);
            if (i == 0) r = e.select(high, e.sub(r, ub, null), r, null);
        }
        T negative = e.cmp(BuiltinOperator.NOT_EQUAL, e.cmp(BuiltinOperator.LESS, a, zero, null), e.cmp(BuiltinOperator.LESS, b, zero, null), null);
        e.select(negative, e.unary(BuiltinOperator.NEG, q, null), q, e.out(0));
    }

    /** |x| for int32/int64 (no ABS kernel in TFLite 2.6): max(x, -x). */
    static T absInt(TfliteElementwiseEmit e, T x) {
        if (x.constant() != null) {
            long[] v = x.constant().toLongs();
            for (int i = 0; i < v.length; i++) v[i] = Math.abs(v[i]);
            return e.constant(Tensor.fromLongs(x.dt(), x.constant().shape(), v), "abs");
        }
        return e.max(x, e.unary(BuiltinOperator.NEG, x, null), null);
    }

    static void pow(TfliteElementwiseEmit e) {
        T x = e.in(0), y = e.in(1);
        TfliteElementwiseEmit.requireSupported(x.dt(), "Pow");
        TfliteElementwiseEmit.requireSupported(y.dt(), "Pow exponent");
        if (x.dt() == DType.BOOL || y.dt() == DType.BOOL) throw new ConversionException("Pow is not defined for bool");
        // int64 to a constant integer power: exact by repeated squaring with int64 MUL
        Tensor yc = y.constant();
        if (x.dt() == DType.INT64 && yc != null && !yc.dtype().isFloat() && yc.numel() > 0 && yc.isUniform()
                && yc.getLong(0) >= 0 && yc.getLong(0) <= 64 && x.shape().equals(e.out(0).shape())) {
            long k = yc.getLong(0);
            if (k == 0) {
                e.add(e.mul(x, e.scalar(DType.INT64, 0), null), e.scalar(DType.INT64, 1), e.out(0));
                return;
            }
            T result = null, base = x;
            while (k > 0) {
                if ((k & 1) != 0) result = result == null ? base : e.mul(result, base, null);
                k >>= 1;
                if (k > 0) base = e.mul(base, base, null);
            }
            castOut(e, result);
            return;
        }
        // TFLite POW has float32 and int32 kernels; a float exponent makes the computation float (other int64
        // powers are computed in int32: exact while the values fit)
        DType ct = x.dt() == DType.FLOAT32 || y.dt() == DType.FLOAT32 ? DType.FLOAT32 : DType.INT32;
        castOut(e, e.binary(BuiltinOperator.POW, e.cast(x, ct), e.cast(y, ct), dstFor(e, ct)));
    }

    static void mod(TfliteElementwiseEmit e) {
        T a = e.in(0), b = e.in(1);
        DType ct = computeType(a.dt(), EnumSet.of(DType.FLOAT32, DType.INT32, DType.INT64), "Mod");
        if (a.dt() == DType.BOOL) throw new ConversionException("Mod is not defined for bool");
        boolean fmod = e.n.attrs().getInt("fmod", 0) != 0;
        boolean unsigned = a.dt() == DType.UINT8;
        T ca = e.cast(a, ct), cb = e.cast(b, ct);
        if (!fmod || unsigned) { // FLOOR_MOD takes the divisor's sign: ONNX fmod=0 (and fmod=1 when all values are >= 0)
            castOut(e, e.binary(BuiltinOperator.FLOOR_MOD, ca, cb, dstFor(e, ct)));
            return;
        }
        // C fmod takes the dividend's sign: r = floor_mod(a, b); where r != 0 and sign(r) != sign(a), r - b
        T r = e.binary(BuiltinOperator.FLOOR_MOD, ca, cb, null);
        T zero = e.scalar(ct, 0);
        T nz = e.cmp(BuiltinOperator.NOT_EQUAL, r, zero, null);
        T signDiff = e.cmp(BuiltinOperator.NOT_EQUAL, e.cmp(BuiltinOperator.LESS, r, zero, null), e.cmp(BuiltinOperator.LESS, ca, zero, null), null);
        T fix = e.binary(BuiltinOperator.LOGICAL_AND, nz, signDiff, null);
        castOut(e, e.select(fix, e.sub(r, cb, null), r, dstFor(e, ct)));
    }

    static void bitShift(TfliteElementwiseEmit e) {
        T x = e.in(0), y = e.in(1);
        TfliteElementwiseEmit.requireSupported(x.dt(), "BitShift");
        if (x.dt() != DType.UINT8) throw new ConversionException("BitShift is only supported for uint8 (TFLite 2.6 has no shift ops)");
        String dir = e.n.attrs().getString("direction", "");
        int bits = 8;
        // computed in int32: x << y = x * 2^y (wrapping on the cast back), x >> y = floor(x / 2^y); y is clamped to the
        // bit width, beyond which both results are 0 in the narrow type
        T cx = e.cast(x, DType.INT32), cy = e.min(e.cast(y, DType.INT32), e.scalar(DType.INT32, bits), null);
        T p = e.binary(BuiltinOperator.POW, e.scalar(DType.INT32, 2), cy, DType.INT32, null);
        T r;
        if (dir.equals("LEFT")) r = e.mul(cx, p, null);
        else if (dir.equals("RIGHT")) r = e.binary(BuiltinOperator.FLOOR_DIV, cx, p, null);
        else throw new ConversionException("BitShift direction '" + dir + "' is not LEFT or RIGHT");
        castOut(e, r);
    }

    static void prelu(TfliteElementwiseEmit e) {
        T x = e.in(0), s = e.in(1);
        TfliteElementwiseEmit.requireSupported(x.dt(), "PRelu");
        if (x.dt() == DType.FLOAT32) {
            e.nary(BuiltinOperator.PRELU, List.of(x, s), DType.FLOAT32, e.out(0), (byte) 0, null);
            return;
        }
        DType ct = computeType(x.dt(), ARITH, "PRelu");
        T cx = e.cast(x, ct);
        T neg = e.cmp(BuiltinOperator.LESS, cx, e.scalar(ct, 0), null);
        castOut(e, e.select(neg, e.mul(cx, e.cast(s, ct), null), cx, dstFor(e, ct)));
    }

    static void compare(TfliteElementwiseEmit e, int op) {
        T a = e.in(0), b = e.in(1);
        Set<DType> kernels = op == BuiltinOperator.EQUAL ? EnumSet.of(DType.FLOAT32, DType.INT32, DType.INT64, DType.BOOL) : ARITH;
        DType ct = computeType(a.dt(), kernels, e.n.opType());
        e.cmp(op, e.cast(a, ct), e.cast(b, ct), e.out(0));
    }

    static void logic(TfliteElementwiseEmit e, int op) {
        T a = e.in(0), b = e.in(1);
        requireBool(a, e.n.opType());
        requireBool(b, e.n.opType());
        e.binary(op, a, b, DType.BOOL, e.out(0));
    }

    static void where(TfliteElementwiseEmit e) {
        T c = e.in(0), x = e.in(1), y = e.in(2);
        requireBool(c, "Where condition");
        TfliteElementwiseEmit.requireSupported(x.dt(), "Where");
        if (!SELECT.contains(x.dt())) throw new ConversionException("Where: TFLite SELECT_V2 has no " + x.dt() + " kernel");
        e.select(c, x, y, e.out(0));
    }

    static void relu(TfliteElementwiseEmit e) {
        T x = e.in(0);
        TfliteElementwiseEmit.requireSupported(x.dt(), "Relu");
        if (x.dt() == DType.FLOAT32) {
            e.unary(BuiltinOperator.RELU, x, e.out(0));
            return;
        }
        DType ct = computeType(x.dt(), MINMAX, "Relu");
        castOut(e, e.max(e.cast(x, ct), e.scalar(ct, 0), dstFor(e, ct)));
    }

    static void shrink(TfliteElementwiseEmit e) {
        T x = e.in(0);
        double l = e.n.attrs().getFloat("lambd", 0.5f), bias = e.n.attrs().getFloat("bias", 0f);
        DType ct = computeType(x.dt(), ARITH, "Shrink");
        T cx = e.cast(x, ct);
        T lo = e.cmp(BuiltinOperator.LESS, cx, e.scalar(ct, -l), null);
        T hi = e.cmp(BuiltinOperator.GREATER, cx, e.scalar(ct, l), null);
        T inner = e.select(hi, e.sub(cx, e.scalar(ct, bias), null), e.scalar(ct, 0), null);
        castOut(e, e.select(lo, e.add(cx, e.scalar(ct, bias), null), inner, dstFor(e, ct)));
    }

    static void clip(TfliteElementwiseEmit e) {
        T x = e.in(0);
        DType ct = computeType(x.dt(), MINMAX, "Clip");
        T lo = null, hi = null;
        Double loV = null, hiV = null;
        if (e.n.opset() > 0 && e.n.opset() < 11) {
            if (e.n.attrs().has("min")) loV = (double) e.n.attrs().getFloat("min", 0);
            if (e.n.attrs().has("max")) hiV = (double) e.n.attrs().getFloat("max", 0);
        } else {
            if (e.n.input(1) != null) {
                lo = e.in(1);
                if (lo.constant() != null) loV = lo.constant().getDouble(0);
            }
            if (e.n.input(2) != null) {
                hi = e.in(2);
                if (hi.constant() != null) hiV = hi.constant().getDouble(0);
            }
        }
        if (loV != null && loV == Double.NEGATIVE_INFINITY) { loV = null; lo = null; }
        if (hiV != null && hiV == Double.POSITIVE_INFINITY) { hiV = null; hi = null; }
        boolean loConst = lo == null || lo.constant() != null, hiConst = hi == null || hi.constant() != null;
        if (x.dt() == DType.FLOAT32 && loConst && hiConst && loV != null) {
            int fused = -1;
            if (loV == 0 && hiV == null) fused = BuiltinOperator.RELU;
            else if (hiV != null && loV == 0 && hiV == 6) fused = BuiltinOperator.RELU6;
            else if (hiV != null && loV == -1 && hiV == 1) fused = BuiltinOperator.RELU_N1_TO_1;
            if (fused >= 0) {
                e.unary(fused, x, e.out(0));
                return;
            }
        }
        T loT = lo != null && lo.constant() == null ? e.cast(lo, ct) : loV != null ? e.scalar(ct, loV) : null;
        T hiT = hi != null && hi.constant() == null ? e.cast(hi, ct) : hiV != null ? e.scalar(ct, hiV) : null;
        if (loT == null && hiT == null) {
            e.result(x);
            return;
        }
        T cur = e.cast(x, ct);
        if (loT != null) cur = e.max(cur, loT, hiT == null ? dstFor(e, ct) : null);
        if (hiT != null) cur = e.min(cur, hiT, dstFor(e, ct));
        castOut(e, cur);
    }

    static void abs(TfliteElementwiseEmit e) {
        T x = e.in(0);
        TfliteElementwiseEmit.requireSupported(x.dt(), "Abs");
        if (x.dt() == DType.FLOAT32) {
            e.unary(BuiltinOperator.ABS, x, e.out(0));
            return;
        }
        if (x.dt() == DType.UINT8) {
            e.result(x);
            return;
        }
        DType ct = computeType(x.dt(), ARITH, "Abs");
        T cx = e.cast(x, ct);
        castOut(e, e.max(cx, e.unary(BuiltinOperator.NEG, cx, null), dstFor(e, ct)));
    }

    static void neg(TfliteElementwiseEmit e) {
        T x = e.in(0);
        DType ct = computeType(x.dt(), ARITH, "Neg");
        castOut(e, e.unary(BuiltinOperator.NEG, e.cast(x, ct), dstFor(e, ct)));
    }

    static void sign(TfliteElementwiseEmit e) {
        // x > 0 ? 1 : x < 0 ? -1 : x (keeps 0 and NaN)
        T x = e.in(0);
        DType ct = computeType(x.dt(), ARITH, "Sign");
        T cx = e.cast(x, ct);
        T inner = e.select(e.cmp(BuiltinOperator.LESS, cx, e.scalar(ct, 0), null), e.scalar(ct, -1), cx, null);
        castOut(e, e.select(e.cmp(BuiltinOperator.GREATER, cx, e.scalar(ct, 0), null), e.scalar(ct, 1), inner, dstFor(e, ct)));
    }

    static void cast(TfliteElementwiseEmit e) {
        T x = e.in(0);
        T o = e.out(0);
        TfliteElementwiseEmit.requireSupported(x.dt(), e.n.opType() + " input");
        TfliteElementwiseEmit.requireSupported(o.dt(), e.n.opType() + " output");
        if (x.dt() == o.dt()) {
            e.result(x);
            return;
        }
        e.castInto(x, o);
    }

    // ------------------------------------------------------------------ decompositions

    static T exp(TfliteElementwiseEmit e, T x) { return e.unary(BuiltinOperator.EXP, x, null); }

    /** log(1 + exp(x)) computed stably as max(x, 0) + log(1 + exp(-|x|)). */
    static T softplus(TfliteElementwiseEmit e, T x, T dst) {
        T na = e.unary(BuiltinOperator.NEG, e.unary(BuiltinOperator.ABS, x, null), null);
        T l = e.unary(BuiltinOperator.LOG, e.add(exp(e, na), e.f(1), null), null);
        return e.add(e.unary(BuiltinOperator.RELU, x, null), l, dst);
    }

    // erf(x) = x P(x^2) / Q(x^2) on [-4, 4] (clamped outside): the rational approximation Eigen and XLA use for
    // float32; its absolute error is below 5e-7.
    private static final double[] ERF_P = {-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06, -5.69250639462346e-05,
            -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02};
    private static final double[] ERF_Q = {-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03, -7.37332916720468e-03,
            -1.42647390514189e-02};

    static T erf(TfliteElementwiseEmit e, T x, T dst) {
        T xc = e.min(e.max(x, e.f(-4), null), e.f(4), null);
        T x2 = e.mul(xc, xc, null);
        T p = horner(e, x2, ERF_P);
        T q = horner(e, x2, ERF_Q);
        return e.div(e.mul(xc, p, null), q, dst);
    }

    /** c[0] z^(k-1) + ... + c[k-1] by Horner's rule. */
    static T horner(TfliteElementwiseEmit e, T z, double[] c) {
        T p = e.add(e.mul(z, e.f(c[0]), null), e.f(c[1]), null);
        for (int i = 2; i < c.length; i++) p = e.add(e.mul(p, z, null), e.f(c[i]), null);
        return p;
    }

    /** atan(x) after Cephes' atanf: range reduction to |t| <= tan(pi/8) and a degree-9 odd polynomial (error ~1.5e-7). */
    static T atan(TfliteElementwiseEmit e, T x, T dst) {
        T ax = e.unary(BuiltinOperator.ABS, x, null);
        T big = e.cmp(BuiltinOperator.GREATER, ax, e.f(2.414213562373095), null);
        T mid = e.cmp(BuiltinOperator.GREATER, ax, e.f(0.4142135623730950), null);
        T tBig = e.div(e.f(-1), ax, null);
        T tMid = e.div(e.sub(ax, e.f(1), null), e.add(ax, e.f(1), null), null);
        T t = e.select(big, tBig, e.select(mid, tMid, ax, null), null);
        T base = e.select(big, e.f(Math.PI / 2), e.select(mid, e.f(Math.PI / 4), e.f(0), null), null);
        T z = e.mul(t, t, null);
        T p = horner(e, z, new double[] {8.05374449538e-2, -1.38776856032e-1, 1.99777106478e-1, -3.33329491539e-1});
        T r = e.add(base, e.add(e.mul(e.mul(p, z, null), t, null), t, null), null);
        return e.select(e.cmp(BuiltinOperator.LESS, x, e.f(0), null), e.unary(BuiltinOperator.NEG, r, null), r, dst);
    }
}
