package dev.onnxport.ir.ops;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;

import java.util.ArrayList;
import java.util.List;

/**
 * Shape inference and constant evaluation for the element-wise family: broadcasting binary and variadic ops,
 * comparisons and logic, Where, activations, math functions, Clip and Cast. Evaluators compute floats in double
 * precision and round to the output type; integers wrap like two's complement C arithmetic (integer Div and
 * Mod with fmod=1 truncate toward zero, Mod with fmod=0 takes the divisor's sign).
 */
final class ElementwiseOps {
    private ElementwiseOps() {}

    /** Unary float function. */
    @FunctionalInterface
    interface F1 { double f(double x); }

    /** Binary float function. */
    @FunctionalInterface
    interface F2 { double f(double a, double b); }

    /** Binary integer function on the raw (sign- or zero-extended) values; null result = cannot fold. */
    @FunctionalInterface
    interface I2 { Long f(long a, long b, DType t); }

    static void register(OpRegistry r) {
        // ---- broadcasting arithmetic (output type = input 0's) ----
        r.register("Add", ElementwiseOps::broadcastSame, (n, in) -> binary(n, in, (a, b) -> a + b, (a, b, t) -> a + b));
        r.register("Sub", ElementwiseOps::broadcastSame, (n, in) -> binary(n, in, (a, b) -> a - b, (a, b, t) -> a - b));
        r.register("Mul", ElementwiseOps::broadcastSame, (n, in) -> binary(n, in, (a, b) -> a * b, (a, b, t) -> a * b));
        r.register("Div", ElementwiseOps::broadcastSame, (n, in) -> binary(n, in, (a, b) -> a / b, ElementwiseOps::intDiv));
        r.register("Pow", ElementwiseOps::broadcastSame, ElementwiseOps::evalPow);
        r.register("Mod", ElementwiseOps::broadcastSame, (n, in) -> {
            boolean fmod = n.attrs().getInt("fmod", 0) != 0;
            return binary(n, in, fmod ? (a, b) -> a % b : ElementwiseOps::floorModF, fmod ? ElementwiseOps::truncMod : ElementwiseOps::floorMod);
        });
        r.register("BitShift", ElementwiseOps::broadcastSame, (n, in) -> {
            boolean left = "LEFT".equals(n.attrs().getString("direction", ""));
            if (!left && !"RIGHT".equals(n.attrs().getString("direction", ""))) return null;
            return binary(n, in, null, (a, b, t) -> {
                int bits = t.size() * 8;
                if (b < 0 || b >= bits) return 0L;
                return left ? a << b : (t == DType.UINT64 ? a >>> b : a >> b);
            });
        });
        r.register("PRelu", n -> List.of(new ValueType(n.input(0).dtype(), preluShape(n))),
                (n, in) -> binary(n, in, (x, s) -> x < 0 ? x * s : x, (x, s, t) -> x < 0 ? x * s : x));

        // ---- variadic ----
        r.register("Max", ElementwiseOps::broadcastSame, (n, in) -> variadic(n, in, ElementwiseOps::maxF, (a, b, t) -> cmp(a, b, t) >= 0 ? a : b));
        r.register("Min", ElementwiseOps::broadcastSame, (n, in) -> variadic(n, in, ElementwiseOps::minF, (a, b, t) -> cmp(a, b, t) <= 0 ? a : b));
        r.register("Sum", ElementwiseOps::broadcastSame, (n, in) -> variadic(n, in, (a, b) -> a + b, (a, b, t) -> a + b));
        r.register("Mean", ElementwiseOps::broadcastSame, (n, in) -> {
            List<Tensor> s = variadic(n, in, (a, b) -> a + b, null);
            if (s == null) return null;
            int k = 0;
            for (Tensor t : in) if (t != null) k++;
            final int cnt = k;
            return List.of(map1(s.get(0), s.get(0).dtype(), x -> x / cnt));
        });

        // ---- comparisons and logic (BOOL output) ----
        r.register("Equal", ElementwiseOps::broadcastBool, (n, in) -> compare(n, in, c -> c == 0));
        r.register("Less", ElementwiseOps::broadcastBool, (n, in) -> compare(n, in, c -> c < 0));
        r.register("Greater", ElementwiseOps::broadcastBool, (n, in) -> compare(n, in, c -> c > 0));
        r.register("LessOrEqual", ElementwiseOps::broadcastBool, (n, in) -> compare(n, in, c -> c <= 0));
        r.register("GreaterOrEqual", ElementwiseOps::broadcastBool, (n, in) -> compare(n, in, c -> c >= 0));
        r.register("And", ElementwiseOps::broadcastBool, (n, in) -> logic(in, (a, b) -> a && b));
        r.register("Or", ElementwiseOps::broadcastBool, (n, in) -> logic(in, (a, b) -> a || b));
        r.register("Xor", ElementwiseOps::broadcastBool, (n, in) -> logic(in, (a, b) -> a ^ b));
        r.register("Not", n -> List.of(new ValueType(DType.BOOL, Shapes.requireShape(n.input(0)))), (n, in) -> {
            Tensor x = in.get(0);
            long[] v = x.toLongs();
            for (int i = 0; i < v.length; i++) v[i] = v[i] != 0 ? 0 : 1;
            return List.of(Tensor.fromLongs(DType.BOOL, x.shape(), v));
        });
        r.register("Where", n -> List.of(new ValueType(n.input(1).dtype(), Shapes.broadcastInputs(n))), ElementwiseOps::evalWhere);

        // ---- activations ----
        r.register("Relu", ElementwiseOps::same, (n, in) -> unary(n, in, x -> x < 0 ? 0 : x, (x, t) -> x < 0 ? 0 : x));
        r.register("LeakyRelu", ElementwiseOps::same, (n, in) -> {
            double a = n.attrs().getFloat("alpha", 0.01f);
            return unary(n, in, x -> x < 0 ? a * x : x, null);
        });
        r.register("Elu", ElementwiseOps::same, (n, in) -> {
            double a = n.attrs().getFloat("alpha", 1f);
            return unary(n, in, x -> x < 0 ? a * Math.expm1(x) : x, null);
        });
        r.register("Selu", ElementwiseOps::same, (n, in) -> {
            double a = n.attrs().getFloat("alpha", 1.67326319217681884765625f);
            double g = n.attrs().getFloat("gamma", 1.05070102214813232421875f);
            return unary(n, in, x -> x <= 0 ? g * a * Math.expm1(x) : g * x, null);
        });
        r.register("Celu", ElementwiseOps::same, (n, in) -> {
            double a = n.attrs().getFloat("alpha", 1f);
            return unary(n, in, x -> Math.max(0, x) + Math.min(0, a * Math.expm1(x / a)), null);
        });
        r.register("Sigmoid", ElementwiseOps::same, (n, in) -> unary(n, in, ElementwiseOps::sigmoid, null));
        r.register("Tanh", ElementwiseOps::same, (n, in) -> unary(n, in, Math::tanh, null));
        r.register("HardSigmoid", ElementwiseOps::same, (n, in) -> {
            double a = n.attrs().getFloat("alpha", 0.2f), b = n.attrs().getFloat("beta", 0.5f);
            return unary(n, in, x -> Math.max(0, Math.min(1, a * x + b)), null);
        });
        r.register("HardSwish", ElementwiseOps::same, (n, in) -> unary(n, in, x -> x * Math.max(0, Math.min(1, x / 6 + 0.5)), null));
        r.register("Softplus", ElementwiseOps::same, (n, in) -> unary(n, in, ElementwiseOps::softplus, null));
        r.register("Softsign", ElementwiseOps::same, (n, in) -> unary(n, in, x -> x / (1 + Math.abs(x)), null));
        r.register("Gelu", ElementwiseOps::same, (n, in) -> {
            boolean tanh = "tanh".equals(n.attrs().getString("approximate", "none"));
            return unary(n, in, tanh
                    ? x -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))
                    : x -> 0.5 * x * (1 + erf(x / Math.sqrt(2))), null);
        });
        r.register("Mish", ElementwiseOps::same, (n, in) -> unary(n, in, x -> x * Math.tanh(softplus(x)), null));
        r.register("Swish", ElementwiseOps::same, (n, in) -> {
            double a = n.attrs().getFloat("alpha", 1f);
            return unary(n, in, x -> x * sigmoid(a * x), null);
        });
        r.register("ThresholdedRelu", ElementwiseOps::same, (n, in) -> {
            double a = n.attrs().getFloat("alpha", 1f);
            return unary(n, in, x -> x > a ? x : 0, null);
        });
        r.register("Shrink", ElementwiseOps::same, (n, in) -> {
            double l = n.attrs().getFloat("lambd", 0.5f), b = n.attrs().getFloat("bias", 0f);
            return unary(n, in, x -> x < -l ? x + b : x > l ? x - b : 0, (x, t) -> x < -l ? x + (long) b : x > l ? x - (long) b : 0);
        });
        r.register("Clip", ElementwiseOps::same, ElementwiseOps::evalClip);

        // ---- math ----
        r.register("Erf", ElementwiseOps::same, (n, in) -> unary(n, in, ElementwiseOps::erf, null));
        r.register("Exp", ElementwiseOps::same, (n, in) -> unary(n, in, Math::exp, null));
        r.register("Log", ElementwiseOps::same, (n, in) -> unary(n, in, Math::log, null));
        r.register("Sqrt", ElementwiseOps::same, (n, in) -> unary(n, in, Math::sqrt, null));
        r.register("Abs", ElementwiseOps::same, (n, in) -> unary(n, in, Math::abs, (x, t) -> x < 0 ? -x : x));
        r.register("Neg", ElementwiseOps::same, (n, in) -> unary(n, in, x -> -x, (x, t) -> -x));
        r.register("Floor", ElementwiseOps::same, (n, in) -> unary(n, in, Math::floor, null));
        r.register("Ceil", ElementwiseOps::same, (n, in) -> unary(n, in, Math::ceil, null));
        r.register("Round", ElementwiseOps::same, (n, in) -> unary(n, in, Math::rint, null));
        r.register("Sin", ElementwiseOps::same, (n, in) -> unary(n, in, Math::sin, null));
        r.register("Cos", ElementwiseOps::same, (n, in) -> unary(n, in, Math::cos, null));
        r.register("Tan", ElementwiseOps::same, (n, in) -> unary(n, in, Math::tan, null));
        r.register("Asin", ElementwiseOps::same, (n, in) -> unary(n, in, Math::asin, null));
        r.register("Acos", ElementwiseOps::same, (n, in) -> unary(n, in, Math::acos, null));
        r.register("Atan", ElementwiseOps::same, (n, in) -> unary(n, in, Math::atan, null));
        r.register("Sinh", ElementwiseOps::same, (n, in) -> unary(n, in, Math::sinh, null));
        r.register("Cosh", ElementwiseOps::same, (n, in) -> unary(n, in, Math::cosh, null));
        r.register("Asinh", ElementwiseOps::same, (n, in) -> unary(n, in, x -> x == 0 ? x : Math.copySign(Math.log(Math.abs(x) + Math.sqrt(x * x + 1)), x), null));
        r.register("Acosh", ElementwiseOps::same, (n, in) -> unary(n, in, x -> Math.log(x + Math.sqrt(x * x - 1)), null));
        r.register("Atanh", ElementwiseOps::same, (n, in) -> unary(n, in, x -> 0.5 * Math.log((1 + x) / (1 - x)), null));
        r.register("Reciprocal", ElementwiseOps::same, (n, in) -> unary(n, in, x -> 1 / x, null));
        r.register("Sign", ElementwiseOps::same, (n, in) -> unary(n, in, x -> Double.isNaN(x) ? x : Math.signum(x), (x, t) -> t == DType.UINT64 ? (x != 0 ? 1 : 0) : Long.signum(x)));
        r.register("IsNaN", n -> List.of(new ValueType(DType.BOOL, Shapes.requireShape(n.input(0)))),
                (n, in) -> predicate(in.get(0), Double::isNaN));
        r.register("IsInf", n -> List.of(new ValueType(DType.BOOL, Shapes.requireShape(n.input(0)))), (n, in) -> {
            boolean pos = n.attrs().getInt("detect_positive", 1) != 0, neg = n.attrs().getInt("detect_negative", 1) != 0;
            return predicate(in.get(0), x -> (pos && x == Double.POSITIVE_INFINITY) || (neg && x == Double.NEGATIVE_INFINITY));
        });

        // ---- type conversion and copies ----
        r.register("Cast", n -> List.of(new ValueType(castTarget(n), Shapes.requireShape(n.input(0)))), (n, in) -> {
            DType to = castTarget(n);
            return castEval(in.get(0), to);
        });
        r.register("CastLike", n -> List.of(new ValueType(n.input(1).dtype(), Shapes.requireShape(n.input(0)))),
                (n, in) -> castEval(in.get(0), in.get(1).dtype()));
        r.register("Identity", ElementwiseOps::same, (n, in) -> List.of(in.get(0)));

        // ---- quantisation and inference-mode Dropout ----
        ElementwiseQuant.register(r);
    }

    // ------------------------------------------------------------------ shape functions

    static List<ValueType> same(Node n) { return Shapes.sameAsInput(n, 0); }

    static List<ValueType> broadcastSame(Node n) {
        Value first = firstInput(n);
        return List.of(new ValueType(first.dtype(), Shapes.broadcastInputs(n)));
    }

    static List<ValueType> broadcastBool(Node n) { return List.of(new ValueType(DType.BOOL, Shapes.broadcastInputs(n))); }

    /** PRelu's slope is broadcast to X (unidirectionally): the output has X's shape. */
    static Shape preluShape(Node n) {
        Shape x = Shapes.requireShape(n.input(0));
        Shape b = Shapes.broadcast(x, Shapes.requireShape(n.input(1)));
        if (b.rank() != x.rank()) throw new ConversionException("PRelu slope " + n.input(1).shape() + " does not broadcast to X " + x);
        for (int i = 0; i < x.rank(); i++) {
            if (x.dim(i).isKnown() && b.dim(i).isKnown() && x.dim(i).value() != b.dim(i).value())
                throw new ConversionException("PRelu slope " + n.input(1).shape() + " does not broadcast to X " + x);
        }
        return x;
    }

    static Value firstInput(Node n) {
        for (Value v : n.inputs()) if (v != null) return v;
        throw new ConversionException(n.opType() + " has no inputs");
    }

    static DType castTarget(Node n) {
        long to = n.attrs().requireInt("to");
        try {
            return DType.fromOnnx((int) to);
        } catch (IllegalArgumentException e) {
            throw new ConversionException("Cast to ONNX data type " + to + " is not supported");
        }
    }

    // ------------------------------------------------------------------ scalar helpers

    static double sigmoid(double x) { return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)); }

    static double softplus(double x) { return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))); }

    static double maxF(double a, double b) { return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b); }

    static double minF(double a, double b) { return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b); }

    static double floorModF(double a, double b) {
        double r = a % b;
        return r != 0 && (r < 0) != (b < 0) ? r + b : r;
    }

    static Long intDiv(long a, long b, DType t) {
        if (b == 0) return null;
        return t == DType.UINT64 ? Long.divideUnsigned(a, b) : a / b;
    }

    static Long truncMod(long a, long b, DType t) {
        if (b == 0) return null;
        return t == DType.UINT64 ? Long.remainderUnsigned(a, b) : a % b;
    }

    static Long floorMod(long a, long b, DType t) {
        if (b == 0) return null;
        return t == DType.UINT64 ? Long.remainderUnsigned(a, b) : Math.floorMod(a, b);
    }

    static int cmp(long a, long b, DType t) { return t == DType.UINT64 ? Long.compareUnsigned(a, b) : Long.compare(a, b); }

    /**
     * erf(x) to about 1e-15: the everywhere-positive series 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (2n+1)!! below 3,
     * the continued fraction of erfc from 3 to 6, and 1 beyond.
     */
    static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double ax = Math.abs(x), r;
        if (ax < 3) {
            double x2 = ax * ax, s = ax, t = ax;
            for (int n = 1; n < 300; n++) {
                t *= 2 * x2 / (2 * n + 1);
                s += t;
                if (t < 1e-17 * s) break;
            }
            r = 2 / Math.sqrt(Math.PI) * Math.exp(-x2) * s;
        } else if (ax > 6) {
            r = 1;
        } else {
            double t = 0;
            for (int k = 80; k >= 1; k--) t = (k / 2.0) / (ax + t);
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + t);
        }
        return Math.copySign(r, x);
    }

    // ------------------------------------------------------------------ evaluation engine

    /** For each output element, the flat index into each input (numpy broadcasting). */
    static int[][] broadcastIndex(List<long[]> shapes, long[] out) {
        int r = out.length;
        int n = Math.toIntExact(Tensor.numel(out));
        int[][] idx = new int[shapes.size()][n];
        long[][] strides = new long[shapes.size()][r];
        for (int k = 0; k < shapes.size(); k++) {
            long[] s = shapes.get(k);
            long st = 1;
            for (int i = s.length - 1; i >= 0; i--) {
                int oi = i + r - s.length;
                strides[k][oi] = s[i] == 1 ? 0 : st;
                st *= s[i];
            }
        }
        long[] ctr = new long[r];
        long[] pos = new long[shapes.size()];
        for (int o = 0; o < n; o++) {
            for (int k = 0; k < pos.length; k++) idx[k][o] = (int) pos[k];
            for (int d = r - 1; d >= 0; d--) {
                ctr[d]++;
                for (int k = 0; k < pos.length; k++) pos[k] += strides[k][d];
                if (ctr[d] < out[d]) break;
                for (int k = 0; k < pos.length; k++) pos[k] -= strides[k][d] * ctr[d];
                ctr[d] = 0;
            }
        }
        return idx;
    }

    static long[] broadcastShape(List<Tensor> ts) {
        Shape s = null;
        for (Tensor t : ts) {
            if (t == null) continue;
            Shape ts2 = Shape.of(t.shape());
            s = s == null ? ts2 : Shapes.broadcast(s, ts2);
        }
        return s == null ? new long[0] : s.toArray();
    }

    static boolean unsupported(DType t) { return t == DType.STRING; }

    /** Broadcast results above this many elements are not evaluated (FoldConstants would not keep them anyway). */
    static final long MAX_EVAL_ELEMENTS = 1 << 22;

    static boolean tooBig(long[] out) {
        long n = 1;
        for (long d : out) {
            n *= d;
            if (n > MAX_EVAL_ELEMENTS || n < 0) return true;
        }
        return false;
    }

    /** Element-wise binary op; float inputs use f, integer inputs use i (null: cannot fold that type). */
    static List<Tensor> binary(Node n, List<Tensor> in, F2 f, I2 i) {
        Tensor a = in.get(0), b = in.get(1);
        DType t = a.dtype();
        if (unsupported(t)) return null;
        long[] out = broadcastShape(List.of(a, b));
        if (tooBig(out)) return null;
        int[][] idx = broadcastIndex(List.of(a.shape(), b.shape()), out);
        int m = idx[0].length;
        if (t.isFloat()) {
            if (f == null) return null;
            double[] av = a.toDoubles(), bv = b.toDoubles(), r = new double[m];
            for (int k = 0; k < m; k++) r[k] = f.f(av[idx[0][k]], bv[idx[1][k]]);
            return List.of(Tensor.fromDoubles(t, out, r));
        }
        if (i == null) return null;
        if (b.dtype().isFloat()) return null;
        long[] av = a.toLongs(), bv = b.toLongs(), r = new long[m];
        for (int k = 0; k < m; k++) {
            Long v = i.f(av[idx[0][k]], bv[idx[1][k]], t);
            if (v == null) return null;
            r[k] = v;
        }
        return List.of(Tensor.fromLongs(t, out, r));
    }

    static List<Tensor> evalPow(Node n, List<Tensor> in) {
        Tensor a = in.get(0), b = in.get(1);
        DType t = a.dtype();
        if (unsupported(t) || unsupported(b.dtype())) return null;
        long[] out = broadcastShape(List.of(a, b));
        if (tooBig(out)) return null;
        int[][] idx = broadcastIndex(List.of(a.shape(), b.shape()), out);
        int m = idx[0].length;
        if (t.isFloat() || b.dtype().isFloat()) {
            double[] av = a.toDoubles(), bv = b.toDoubles(), r = new double[m];
            for (int k = 0; k < m; k++) r[k] = Math.pow(av[idx[0][k]], bv[idx[1][k]]);
            if (t.isFloat()) return List.of(Tensor.fromDoubles(t, out, r));
            long[] l = new long[m];
            for (int k = 0; k < m; k++) l[k] = (long) r[k];
            return List.of(Tensor.fromLongs(t, out, l));
        }
        long[] av = a.toLongs(), bv = b.toLongs(), r = new long[m];
        for (int k = 0; k < m; k++) {
            long base = av[idx[0][k]], e = bv[idx[1][k]];
            if (e < 0) return null;
            long p = 1;
            while (e > 0) { // wraps like fixed-width integer arithmetic
                if ((e & 1) != 0) p *= base;
                base *= base;
                e >>= 1;
            }
            r[k] = p;
        }
        return List.of(Tensor.fromLongs(t, out, r));
    }

    static List<Tensor> variadic(Node n, List<Tensor> in, F2 f, I2 i) {
        Tensor acc = null;
        for (Tensor t : in) {
            if (t == null) continue;
            if (acc == null) { acc = t; continue; }
            List<Tensor> r = binary(n, List.of(acc, t), f, i);
            if (r == null) return null;
            acc = r.get(0);
        }
        if (acc == null) return null;
        if (unsupported(acc.dtype())) return null;
        if (!acc.dtype().isFloat() && i == null) return null;
        // a single input is returned as is, but the output still has the broadcast shape
        long[] out = broadcastShape(in);
        if (tooBig(out)) return null;
        if (!java.util.Arrays.equals(out, acc.shape())) {
            List<Tensor> r = binary(n, List.of(acc, zerosLike(acc.dtype(), out)), (a, b) -> a, (a, b, t) -> a);
            acc = r == null ? null : r.get(0);
        }
        return acc == null ? null : List.of(acc);
    }

    private static Tensor zerosLike(DType t, long[] shape) { return Tensor.fromLongs(t, shape, new long[Math.toIntExact(Tensor.numel(shape))]); }

    @FunctionalInterface
    interface CmpPred { boolean test(int c); }

    static List<Tensor> compare(Node n, List<Tensor> in, CmpPred p) {
        Tensor a = in.get(0), b = in.get(1);
        DType t = a.dtype();
        long[] out = broadcastShape(List.of(a, b));
        if (tooBig(out)) return null;
        int[][] idx = broadcastIndex(List.of(a.shape(), b.shape()), out);
        int m = idx[0].length;
        long[] r = new long[m];
        if (t == DType.STRING) {
            if (!n.opType().equals("Equal")) return null;
            for (int k = 0; k < m; k++) r[k] = a.strings().get(idx[0][k]).equals(b.strings().get(idx[1][k])) ? 1 : 0;
        } else if (t.isFloat()) {
            double[] av = a.toDoubles(), bv = b.toDoubles();
            for (int k = 0; k < m; k++) {
                double x = av[idx[0][k]], y = bv[idx[1][k]];
                r[k] = !Double.isNaN(x) && !Double.isNaN(y) && p.test(Double.compare(x == 0 ? 0.0 : x, y == 0 ? 0.0 : y)) ? 1 : 0;
            }
        } else {
            long[] av = a.toLongs(), bv = b.toLongs();
            for (int k = 0; k < m; k++) r[k] = p.test(cmp(av[idx[0][k]], bv[idx[1][k]], t)) ? 1 : 0;
        }
        return List.of(Tensor.fromLongs(DType.BOOL, out, r));
    }

    @FunctionalInterface
    interface B2 { boolean f(boolean a, boolean b); }

    static List<Tensor> logic(List<Tensor> in, B2 f) {
        Tensor a = in.get(0), b = in.get(1);
        long[] out = broadcastShape(List.of(a, b));
        if (tooBig(out)) return null;
        int[][] idx = broadcastIndex(List.of(a.shape(), b.shape()), out);
        long[] av = a.toLongs(), bv = b.toLongs(), r = new long[idx[0].length];
        for (int k = 0; k < r.length; k++) r[k] = f.f(av[idx[0][k]] != 0, bv[idx[1][k]] != 0) ? 1 : 0;
        return List.of(Tensor.fromLongs(DType.BOOL, out, r));
    }

    static List<Tensor> evalWhere(Node n, List<Tensor> in) {
        Tensor c = in.get(0), x = in.get(1), y = in.get(2);
        if (unsupported(x.dtype())) return null;
        long[] out = broadcastShape(in);
        if (tooBig(out)) return null;
        int[][] idx = broadcastIndex(List.of(c.shape(), x.shape(), y.shape()), out);
        long[] cv = c.toLongs();
        int m = idx[0].length;
        if (x.dtype().isFloat()) {
            double[] xv = x.toDoubles(), yv = y.toDoubles(), r = new double[m];
            for (int k = 0; k < m; k++) r[k] = cv[idx[0][k]] != 0 ? xv[idx[1][k]] : yv[idx[2][k]];
            return List.of(Tensor.fromDoubles(x.dtype(), out, r));
        }
        long[] xv = x.toLongs(), yv = y.toLongs(), r = new long[m];
        for (int k = 0; k < m; k++) r[k] = cv[idx[0][k]] != 0 ? xv[idx[1][k]] : yv[idx[2][k]];
        return List.of(Tensor.fromLongs(x.dtype(), out, r));
    }

    @FunctionalInterface
    interface I1 { long f(long x, DType t); }

    /** Element-wise unary op; integer inputs use i (null: float-only op, not folded for integers). */
    static List<Tensor> unary(Node n, List<Tensor> in, F1 f, I1 i) {
        Tensor x = in.get(0);
        DType t = x.dtype();
        if (unsupported(t) || t == DType.BOOL) return null;
        if (t.isFloat()) return List.of(map1(x, t, f));
        if (i == null) return null;
        long[] v = x.toLongs();
        for (int k = 0; k < v.length; k++) v[k] = i.f(v[k], t);
        return List.of(Tensor.fromLongs(t, x.shape(), v));
    }

    static Tensor map1(Tensor x, DType out, F1 f) {
        double[] v = x.toDoubles();
        for (int k = 0; k < v.length; k++) v[k] = f.f(v[k]);
        return Tensor.fromDoubles(out, x.shape(), v);
    }

    @FunctionalInterface
    interface DPred { boolean test(double x); }

    static List<Tensor> predicate(Tensor x, DPred p) {
        if (!x.dtype().isFloat()) {
            long[] z = new long[Math.toIntExact(x.numel())];
            return List.of(Tensor.fromLongs(DType.BOOL, x.shape(), z));
        }
        double[] v = x.toDoubles();
        long[] r = new long[v.length];
        for (int k = 0; k < v.length; k++) r[k] = p.test(v[k]) ? 1 : 0;
        return List.of(Tensor.fromLongs(DType.BOOL, x.shape(), r));
    }

    /** Clip's bounds: attributes before opset 11, optional scalar inputs from opset 11 on. Null = unbounded. */
    static Double[] clipBounds(Node n, List<Tensor> in) {
        if (n.opset() > 0 && n.opset() < 11) {
            Double lo = n.attrs().has("min") ? (double) n.attrs().getFloat("min", 0) : null;
            Double hi = n.attrs().has("max") ? (double) n.attrs().getFloat("max", 0) : null;
            return new Double[] {lo, hi};
        }
        Tensor lo = in.size() > 1 ? in.get(1) : null, hi = in.size() > 2 ? in.get(2) : null;
        return new Double[] {lo == null ? null : lo.getDouble(0), hi == null ? null : hi.getDouble(0)};
    }

    static List<Tensor> evalClip(Node n, List<Tensor> in) {
        Tensor x = in.get(0);
        if (unsupported(x.dtype()) || x.dtype() == DType.UINT64) return null;
        Double[] b = clipBounds(n, in);
        if (x.dtype().isFloat()) {
            return List.of(map1(x, x.dtype(), v -> {
                double r = v;
                if (b[0] != null) r = Double.isNaN(r) ? r : Math.max(r, b[0]);
                if (b[1] != null) r = Double.isNaN(r) ? r : Math.min(r, b[1]);
                return r;
            }));
        }
        long[] v = x.toLongs();
        for (int k = 0; k < v.length; k++) {
            if (b[0] != null) v[k] = Math.max(v[k], b[0].longValue());
            if (b[1] != null) v[k] = Math.min(v[k], b[1].longValue());
        }
        return List.of(Tensor.fromLongs(x.dtype(), x.shape(), v));
    }

    static List<Tensor> castEval(Tensor x, DType to) {
        if (x.dtype() == to) return List.of(x);
        if (unsupported(to) || unsupported(x.dtype())) return null;
        if (x.dtype() == DType.UINT64 || to == DType.UINT64) {
            if (x.dtype().isFloat() || to.isFloat()) return null;
        }
        if (x.dtype().isFloat() && !to.isFloat() && to != DType.BOOL) {
            // float -> integer truncates toward zero; NaN and out-of-range values are undefined in ONNX: do not fold
            double[] d = x.toDoubles();
            long[] l = new long[d.length];
            for (int k = 0; k < d.length; k++) {
                if (Double.isNaN(d[k]) || Math.abs(d[k]) >= 9.2e18) return null;
                l[k] = (long) d[k];
            }
            return List.of(Tensor.fromLongs(to, x.shape(), l));
        }
        return List.of(x.cast(to));
    }

    /** All non-null inputs, for callers that want a list without holes. */
    static List<Tensor> present(List<Tensor> in) {
        List<Tensor> r = new ArrayList<>();
        for (Tensor t : in) if (t != null) r.add(t);
        return r;
    }
}
