package dev.onnxport.backends.tflite;

import dev.onnxport.backends.tflite.TfliteNnConv.Wt;
import dev.onnxport.backends.tflite.TfliteNnEmit.T;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Layout;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import tflite.ArgMaxOptions;
import tflite.BatchMatMulOptions;
import tflite.BuiltinOperator;
import tflite.BuiltinOptions;
import tflite.FullyConnectedOptions;
import tflite.OneHotOptions;
import tflite.SoftmaxOptions;
import tflite.TensorType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.onnxport.backends.tflite.TfliteNnEmit.*;

/** TFLite lowerings for the nn family (the layout-sensitive ops are in {@link TfliteNnConv}). */
final class TfliteNn {
    private TfliteNn() {}

    static void register(TfliteOps r) {
        TfliteNnConv.register(r);
        r.register("Gemm", TfliteNn::gemm);
        r.register("MatMul", TfliteNn::matmul);
        r.register("Softmax", (n, c) -> softmax(n, c, BuiltinOperator.SOFTMAX));
        r.register("LogSoftmax", (n, c) -> softmax(n, c, BuiltinOperator.LOG_SOFTMAX));
        r.register("Hardmax", TfliteNn::hardmax);
        r.register("LayerNormalization", TfliteNn::layerNorm);
        r.register("GroupNormalization", TfliteNn::groupNorm);
        r.register("RMSNormalization", TfliteNn::rmsNorm);
        r.register("LpNormalization", TfliteNn::lpNorm);
        r.register("MeanVarianceNormalization", TfliteNn::mvn);
        r.register("Einsum", TfliteNn::einsum);
        TfliteNnLoss.register(r);
        TfliteNnRotary.register(r);
    }

    // ------------------------------------------------------------------------------------------- Gemm / MatMul

    static void gemm(Node n, LowerContext c) {
        T a = in(c, n, 0);
        requireFloat(a, "Gemm");
        boolean ta = n.attrs().getInt("transA", 0) != 0, tb = n.attrs().getInt("transB", 0) != 0;
        float alpha = n.attrs().getFloat("alpha", 1f), beta = n.attrs().getFloat("beta", 1f);
        T out = out(c, n, 0);
        long nOut = out.dim(1);
        Value bv = n.input(1), cv = n.input(2);
        if (ta) a = transpose(c, a, new int[] {1, 0}, null);
        boolean hasC = cv != null && beta != 0;
        if (bv.isConstant()) {
            // FULLY_CONNECTED: weights [N, K] with alpha folded in; a constant C that is one row becomes the bias
            Tensor bt = bv.constant().cast(DType.FLOAT32);
            Tensor wk = tb ? bt : TfliteNnEmit.permute(bt, new int[] {1, 0});
            if (alpha != 1) wk = scaleConst(wk, alpha);
            int biasId = -1;
            boolean cFused = false;
            if (hasC && cv.isConstant() && rowVector(cv.constant(), nOut)) {
                double[] cd = cv.constant().toDoubles();
                float[] bias = new float[(int) nOut];
                for (int i = 0; i < nOut; i++) bias[i] = (float) (beta * cd[cd.length == 1 ? 0 : i]);
                biasId = constF(c, new long[] {nOut}, bias, "bias").id();
                cFused = true;
            }
            T w = constant(c, wk, "weights");
            T y = cFused || !hasC ? out : new T(c.temp(DType.FLOAT32, out.shape(), hint(c, "fc")), DType.FLOAT32, out.shape());
            c.op(BuiltinOperator.FULLY_CONNECTED, 1, new int[] {a.id(), w.id(), biasId}, new int[] {y.id()}, BuiltinOptions.FullyConnectedOptions,
                    fb -> FullyConnectedOptions.createFullyConnectedOptions(fb, TfliteNnConv.NONE, (byte) 0, false, false, (byte) 0));
            if (!cFused && hasC) addC(c, n, y, beta, out);
            return;
        }
        T b = in(c, n, 1);
        requireFloat(b, "Gemm");
        boolean post = alpha != 1 || hasC;
        T y = post ? null : out;
        T mm = batchMatMul(c, a, b, false, tb, y);
        if (alpha != 1) mm = scale(c, mm, alpha, hasC ? null : out);
        if (hasC) addC(c, n, mm, beta, out);
    }

    private static void addC(LowerContext c, Node n, T y, float beta, T out) {
        Value cv = n.input(2);
        T ct;
        if (cv.isConstant()) {
            Tensor k = cv.constant().cast(DType.FLOAT32);
            if (beta != 1) k = scaleConst(k, beta);
            ct = constant(c, k, "c");
        } else {
            ct = scale(c, in(c, n, 2), beta, null);
        }
        add(c, y, ct, out);
    }

    /** True when t (shape [N], [1,N], [1] or scalar) broadcasts over rows of an [M, N] result. */
    private static boolean rowVector(Tensor t, long nOut) {
        long[] s = t.shape();
        if (t.numel() == 1) return true;
        if (s.length == 1) return s[0] == nOut;
        return s.length == 2 && s[0] == 1 && s[1] == nOut;
    }

    static Tensor scaleConst(Tensor t, double s) {
        double[] d = t.toDoubles();
        for (int i = 0; i < d.length; i++) d[i] *= s;
        return Tensor.fromDoubles(t.dtype(), t.shape(), d);
    }

    /** BATCH_MATMUL with adjoint flags; numpy broadcasting of the batch dims. */
    static T batchMatMul(LowerContext c, T a, T b, boolean adjA, boolean adjB, T into) {
        long m = adjA ? a.dim(-1) : a.dim(-2), nn = adjB ? b.dim(-2) : b.dim(-1);
        long[] batch = broadcast(Arrays.copyOf(a.shape(), a.rank() - 2), Arrays.copyOf(b.shape(), b.rank() - 2));
        long[] os = Arrays.copyOf(batch, batch.length + 2);
        os[batch.length] = m;
        os[batch.length + 1] = nn;
        if (os.length > 5) throw new ConversionException("BATCH_MATMUL supports rank <= 5, got " + os.length);
        T o = into != null ? into : new T(c.temp(a.dt(), os, hint(c, "matmul")), a.dt(), os);
        c.op(BuiltinOperator.BATCH_MATMUL, 1, new int[] {a.id(), b.id()}, new int[] {o.id()}, BuiltinOptions.BatchMatMulOptions,
                fb -> BatchMatMulOptions.createBatchMatMulOptions(fb, adjA, adjB, false));
        return o;
    }

    static void matmul(Node n, LowerContext c) {
        T a = in(c, n, 0);
        requireFloat(a, "MatMul");
        T out = out(c, n, 0);
        Value bv = n.input(1);
        long[] as = a.shape(), bs = c.shape(bv);
        boolean av = as.length == 1, bvec = bs.length == 1;
        T a2 = av ? reshape(c, a, new long[] {1, as[0]}, null) : a;
        long k = a2.dim(-1);
        if (bv.isConstant() && (bs.length == 2 || bvec)) {
            // constant 2-D right operand: FULLY_CONNECTED on the flattened rows of a
            Tensor bt = bv.constant().cast(DType.FLOAT32);
            Tensor b2 = bvec ? bt.reshape(new long[] {bs[0], 1}) : bt;
            long nn = b2.shape()[1];
            T w = constant(c, TfliteNnEmit.permute(b2, new int[] {1, 0}), "weights");
            long rows = a2.numel() / k;
            long[] fs = {rows, nn};
            boolean direct = Arrays.equals(fs, out.shape());
            T y = direct ? out : new T(c.temp(DType.FLOAT32, fs, hint(c, "fc")), DType.FLOAT32, fs);
            c.op(BuiltinOperator.FULLY_CONNECTED, 1, new int[] {a2.id(), w.id(), -1}, new int[] {y.id()}, BuiltinOptions.FullyConnectedOptions,
                    fb -> FullyConnectedOptions.createFullyConnectedOptions(fb, TfliteNnConv.NONE, (byte) 0, false, false, (byte) 0));
            if (!direct) reshape(c, y, out.shape(), out);
            return;
        }
        T b = in(c, n, 1);
        requireFloat(b, "MatMul");
        T b2 = bvec ? reshape(c, b, new long[] {bs[0], 1}, null) : b;
        long[] mmShape = mmShape(a2.shape(), b2.shape());
        boolean direct = Arrays.equals(mmShape, out.shape());
        T y = batchMatMul(c, a2, b2, false, false, direct ? out : null);
        if (!direct) reshape(c, y, out.shape(), out);
    }

    private static long[] mmShape(long[] a, long[] b) {
        long[] batch = broadcast(Arrays.copyOf(a, a.length - 2), Arrays.copyOf(b, b.length - 2));
        long[] os = Arrays.copyOf(batch, batch.length + 2);
        os[batch.length] = a[a.length - 2];
        os[batch.length + 1] = b[b.length - 1];
        return os;
    }

    // ------------------------------------------------------------------------------------------- softmax family

    /** [axis start, axis end) that the op normalizes over (2-D coercion before opset 13). */
    static int[] span(Node n, int rank) {
        boolean old = n.opset() > 0 && n.opset() < 13;
        long ax = n.attrs().getInt("axis", old ? 1 : -1);
        int axis = (int) (ax < 0 ? ax + rank : ax);
        if (axis < 0 || axis > Math.max(rank - 1, 0)) throw new ConversionException("axis " + ax + " out of range for rank " + rank);
        return old ? new int[] {axis, rank} : new int[] {axis, axis + 1};
    }

    /**
     * Views x as [outer, len, inner] for the span; calls f on a tensor whose last axis is the span
     * ([outer, inner, len] after a transpose when inner > 1), and writes the result to into in x's shape.
     */
    static void lastAxis(LowerContext c, T x, int[] span, T into, java.util.function.BiFunction<T, T, T> f) {
        long[] s = x.shape();
        long outer = 1, len = 1, inner = 1;
        for (int i = 0; i < span[0]; i++) outer *= s[i];
        for (int i = span[0]; i < span[1]; i++) len *= s[i];
        for (int i = span[1]; i < s.length; i++) inner *= s[i];
        if (inner == 1) {
            if (s.length >= 1 && s.length <= 4 && span[1] - span[0] == 1 && span[1] == s.length) { f.apply(x, into); return; }
            // trailing dims of size 1 after the axis: the TFLite op works on the last axis, so view x as [outer, len]
            T v = reshape(c, x, new long[] {outer, len}, null);
            T r = f.apply(v, null);
            reshape(c, r, s, into);
            return;
        }
        T v = reshape(c, x, new long[] {outer, len, inner}, null);
        T t = transpose(c, v, new int[] {0, 2, 1}, null);
        T r = f.apply(t, null);
        T back = transpose(c, r, new int[] {0, 2, 1}, null);
        reshape(c, back, s, into);
    }

    static void softmax(Node n, LowerContext c, int op) {
        T x = in(c, n, 0);
        requireFloat(x, n.opType());
        T out = out(c, n, 0);
        if (x.rank() == 0) throw new ConversionException(n.opType() + " of a scalar");
        lastAxis(c, x, span(n, x.rank()), out, (v, into) -> {
            T o = into != null ? into : new T(c.temp(DType.FLOAT32, v.shape(), hint(c, "softmax")), DType.FLOAT32, v.shape());
            if (op == BuiltinOperator.SOFTMAX)
                c.op(op, 1, new int[] {v.id()}, new int[] {o.id()}, BuiltinOptions.SoftmaxOptions, fb -> SoftmaxOptions.createSoftmaxOptions(fb, 1f));
            else
                c.op(op, 1, new int[] {v.id()}, new int[] {o.id()}, BuiltinOptions.LogSoftmaxOptions,
                        fb -> { tflite.LogSoftmaxOptions.startLogSoftmaxOptions(fb); return tflite.LogSoftmaxOptions.endLogSoftmaxOptions(fb); });
            return o;
        });
    }

    static void hardmax(Node n, LowerContext c) {
        T x = in(c, n, 0);
        requireFloat(x, "Hardmax");
        T out = out(c, n, 0);
        if (x.rank() == 0) throw new ConversionException("Hardmax of a scalar");
        lastAxis(c, x, span(n, x.rank()), out, (v, into) -> {
            int r = v.rank();
            long len = v.dim(-1);
            long[] is = Arrays.copyOf(v.shape(), r - 1);
            T idx = new T(c.temp(DType.INT32, is, hint(c, "argmax")), DType.INT32, is);
            int axis = c.constInt32(hint(c, "axis"), new long[0], r - 1);
            c.op(BuiltinOperator.ARG_MAX, 1, new int[] {v.id(), axis}, new int[] {idx.id()}, BuiltinOptions.ArgMaxOptions,
                    fb -> ArgMaxOptions.createArgMaxOptions(fb, TensorType.INT32));
            T o = into != null ? into : new T(c.temp(DType.FLOAT32, v.shape(), hint(c, "hardmax")), DType.FLOAT32, v.shape());
            int depth = c.constInt32(hint(c, "depth"), new long[0], (int) len);
            T on = scalar(c, DType.FLOAT32, 1, "on"), off = scalar(c, DType.FLOAT32, 0, "off");
            c.op(BuiltinOperator.ONE_HOT, 1, new int[] {idx.id(), depth, on.id(), off.id()}, new int[] {o.id()}, BuiltinOptions.OneHotOptions,
                    fb -> OneHotOptions.createOneHotOptions(fb, -1));
            return o;
        });
    }

    // ------------------------------------------------------------------------------------------- normalizations

    /** A parameter (scale/bias) as a tensor broadcastable to x: ONNX broadcasting as given. */
    static T param(LowerContext c, Node n, int i, String h) {
        Value v = n.input(i);
        if (v == null) return null;
        return v.isConstant() ? constant(c, v.constant().cast(DType.FLOAT32), h) : in(c, n, i);
    }

    static void layerNorm(Node n, LowerContext c) {
        T x = in(c, n, 0);
        requireFloat(x, "LayerNormalization");
        int r = x.rank();
        long ax = n.attrs().getInt("axis", -1);
        int a = (int) (ax < 0 ? ax + r : ax);
        if (a < 0 || a >= r) throw new ConversionException("axis " + ax + " out of range");
        float eps = n.attrs().getFloat("epsilon", 1e-5f);
        int[] axes = range(a, r);
        T mean = reduce(c, BuiltinOperator.MEAN, x, axes, true, used(n, 1) ? out(c, n, 1) : null);
        T d = sub(c, x, mean, null);
        T var = reduce(c, BuiltinOperator.MEAN, mul(c, d, d, null), axes, true, null);
        T inv = unary(c, BuiltinOperator.RSQRT, add(c, var, scalar(c, DType.FLOAT32, eps, "eps"), null), used(n, 2) ? out(c, n, 2) : null);
        T s = param(c, n, 1, "scale"), b = param(c, n, 2, "bias");
        T norm = mul(c, d, inv, null);
        T out = out(c, n, 0);
        if (b == null) mul(c, norm, s, out);
        else add(c, mul(c, norm, s, null), b, out);
    }

    static void rmsNorm(Node n, LowerContext c) {
        T x = in(c, n, 0);
        requireFloat(x, "RMSNormalization");
        int r = x.rank();
        long ax = n.attrs().getInt("axis", -1);
        int a = (int) (ax < 0 ? ax + r : ax);
        if (a < 0 || a >= r) throw new ConversionException("axis " + ax + " out of range");
        float eps = n.attrs().getFloat("epsilon", 1e-5f);
        T ms = reduce(c, BuiltinOperator.MEAN, mul(c, x, x, null), range(a, r), true, null);
        T inv = unary(c, BuiltinOperator.RSQRT, add(c, ms, scalar(c, DType.FLOAT32, eps, "eps"), null), null);
        T s = param(c, n, 1, "scale");
        mul(c, mul(c, x, inv, null), s, out(c, n, 0));
    }

    static void groupNorm(Node n, LowerContext c) {
        T x0 = in(c, n, 0);
        requireFloat(x0, "GroupNormalization");
        int r = x0.rank();
        if (r < 3) throw new ConversionException("GroupNormalization needs rank >= 3");
        boolean nhwc = Layout.isNhwc(n);
        T x = nhwc ? transpose(c, x0, Layout.toFirst(r), null) : x0;
        long g = n.attrs().requireInt("num_groups");
        float eps = n.attrs().getFloat("epsilon", 1e-5f);
        long batch = x.dim(0), ch = x.dim(1);
        if (ch % g != 0) throw new ConversionException("channels " + ch + " do not divide into " + g + " groups");
        long rest = x.numel() / batch / g;
        T v = reshape(c, x, new long[] {batch, g, rest}, null);
        T mean = reduce(c, BuiltinOperator.MEAN, v, new int[] {2}, true, null);
        T d = sub(c, v, mean, null);
        T var = reduce(c, BuiltinOperator.MEAN, mul(c, d, d, null), new int[] {2}, true, null);
        T inv = unary(c, BuiltinOperator.RSQRT, add(c, var, scalar(c, DType.FLOAT32, eps, "eps"), null), null);
        T norm = mul(c, d, inv, null);
        Wt s = Wt.of(c, n, 1), b = Wt.of(c, n, 2);
        long pn = Tensor.numel(s.shape());
        T y;
        if (pn == g && g != ch) {
            // opset 18: one scale/bias per group
            T sg = s.reshape(c, new long[] {g, 1}).tensor(c, "scale");
            T bg = b.reshape(c, new long[] {g, 1}).tensor(c, "bias");
            T yv = add(c, mul(c, norm, sg, null), bg, null);
            y = reshape(c, yv, x.shape(), nhwc ? null : out(c, n, 0));
        } else {
            if (pn != ch) throw new ConversionException("GroupNormalization scale has " + pn + " values for " + ch + " channels");
            long[] ps = new long[r - 1];
            Arrays.fill(ps, 1);
            ps[0] = ch;
            T xn = reshape(c, norm, x.shape(), null);
            T sc = s.reshape(c, ps).tensor(c, "scale"), bc = b.reshape(c, ps).tensor(c, "bias");
            y = add(c, mul(c, xn, sc, null), bc, nhwc ? null : out(c, n, 0));
        }
        if (nhwc) transpose(c, y, Layout.toLast(r), out(c, n, 0));
    }

    static void lpNorm(Node n, LowerContext c) {
        T x = in(c, n, 0);
        requireFloat(x, "LpNormalization");
        int r = x.rank();
        long ax = n.attrs().getInt("axis", -1);
        int a = (int) (ax < 0 ? ax + r : ax);
        long p = n.attrs().getInt("p", 2);
        T norm;
        if (p == 2) norm = unary(c, BuiltinOperator.SQRT, reduce(c, BuiltinOperator.SUM, mul(c, x, x, null), new int[] {a}, true, null), null);
        else if (p == 1) norm = reduce(c, BuiltinOperator.SUM, unary(c, BuiltinOperator.ABS, x, null), new int[] {a}, true, null);
        else throw new ConversionException("LpNormalization supports p = 1 or 2, got " + p);
        // a zero vector stays zero (onnxruntime gives 0, plain division 0/0 = NaN): divide by max(norm, tiny)
        norm = binary(c, BuiltinOperator.MAXIMUM, norm, scalar(c, DType.FLOAT32, Float.MIN_NORMAL, "lpnorm_floor"), null);
        div(c, x, norm, out(c, n, 0));
    }

    static void mvn(Node n, LowerContext c) {
        T x = in(c, n, 0);
        requireFloat(x, "MeanVarianceNormalization");
        int r = x.rank();
        long[] axl = n.attrs().getInts("axes", new long[] {0, 2, 3});
        int[] axes = new int[axl.length];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = (int) (axl[i] < 0 ? axl[i] + r : axl[i]);
            if (axes[i] < 0 || axes[i] >= r) throw new ConversionException("axes " + Arrays.toString(axl) + " out of range for rank " + r);
        }
        T mean = reduce(c, BuiltinOperator.MEAN, x, axes, true, null);
        T d = sub(c, x, mean, null);
        T var = reduce(c, BuiltinOperator.MEAN, mul(c, d, d, null), axes, true, null);
        T std = add(c, unary(c, BuiltinOperator.SQRT, var, null), scalar(c, DType.FLOAT32, 1e-9, "eps"), null);
        div(c, d, std, out(c, n, 0));
    }

    // ------------------------------------------------------------------------------------------- Einsum

    static void einsum(Node n, LowerContext c) {
        int k = n.inputCount();
        if (k < 1 || k > 2) throw new ConversionException("Einsum with " + k + " operands is not supported (1 or 2)");
        List<T> xs = new ArrayList<>();
        int[] ranks = new int[k];
        for (int i = 0; i < k; i++) {
            xs.add(in(c, n, i));
            requireFloat(xs.get(i), "Einsum");
            ranks[i] = xs.get(i).rank();
        }
        String eq = n.attrs().getString("equation", "");
        List<String> labels = new ArrayList<>();
        String outLabels = parse(eq, ranks, labels);
        T out = out(c, n, 0);
        for (String l : labels)
            for (int i = 0; i < l.length(); i++)
                if (l.indexOf(l.charAt(i)) != i) throw new ConversionException("Einsum with a repeated label in one operand (diagonal) is not supported: '" + eq + "'");
        // sum out labels that only one operand has and the output lacks
        for (int i = 0; i < k; i++) {
            String l = labels.get(i);
            StringBuilder keep = new StringBuilder();
            List<Integer> red = new ArrayList<>();
            for (int j = 0; j < l.length(); j++) {
                char ch = l.charAt(j);
                boolean elsewhere = outLabels.indexOf(ch) >= 0;
                for (int o = 0; o < k; o++) if (o != i && labels.get(o).indexOf(ch) >= 0) elsewhere = true;
                if (elsewhere) keep.append(ch); else red.add(j);
            }
            if (!red.isEmpty()) {
                xs.set(i, reduce(c, BuiltinOperator.SUM, xs.get(i), red.stream().mapToInt(Integer::intValue).toArray(), false, null));
                labels.set(i, keep.toString());
            }
        }
        if (k == 1) {
            T x = xs.get(0);
            String l = labels.get(0);
            int[] perm = new int[outLabels.length()];
            for (int i = 0; i < perm.length; i++) perm[i] = l.indexOf(outLabels.charAt(i));
            if (x.rank() == 0 || identity(perm)) copy(c, x, out);
            else transpose(c, x, perm, out);
            return;
        }
        String la = labels.get(0), lb = labels.get(1);
        StringBuilder batch = new StringBuilder(), contr = new StringBuilder(), onlyA = new StringBuilder(), onlyB = new StringBuilder();
        for (char ch : la.toCharArray()) {
            boolean inB = lb.indexOf(ch) >= 0, inO = outLabels.indexOf(ch) >= 0;
            if (inB && inO) batch.append(ch); else if (inB) contr.append(ch); else onlyA.append(ch);
        }
        for (char ch : lb.toCharArray()) if (la.indexOf(ch) < 0) onlyB.append(ch);
        T a = xs.get(0), b = xs.get(1);
        for (char ch : batch.toString().toCharArray())
            if (a.dim(la.indexOf(ch)) != b.dim(lb.indexOf(ch)))
                throw new ConversionException("Einsum with broadcast batch dims is not supported: '" + eq + "'");
        for (char ch : contr.toString().toCharArray())
            if (a.dim(la.indexOf(ch)) != b.dim(lb.indexOf(ch)))
                throw new ConversionException("Einsum contracted dims differ: '" + eq + "'");
        String aOrder = batch.toString() + onlyA + contr, bOrder = batch.toString() + contr + onlyB;
        T at = transpose(c, a, order(la, aOrder), null);
        T bt = transpose(c, b, order(lb, bOrder), null);
        long nb = prod(at, 0, batch.length()), m = prod(at, batch.length(), batch.length() + onlyA.length()), kk = prod(at, batch.length() + onlyA.length(), at.rank());
        long nn = prod(bt, batch.length() + contr.length(), bt.rank());
        T a3 = reshape(c, at, new long[] {nb, m, kk}, null);
        T b3 = reshape(c, bt, new long[] {nb, kk, nn}, null);
        T mm = batchMatMul(c, a3, b3, false, false, null);
        String resOrder = batch.toString() + onlyA + onlyB;
        long[] rs = new long[resOrder.length()];
        for (int i = 0; i < rs.length; i++) {
            char ch = resOrder.charAt(i);
            rs[i] = la.indexOf(ch) >= 0 ? a.dim(la.indexOf(ch)) : b.dim(lb.indexOf(ch));
        }
        T res = reshape(c, mm, rs, null);
        int[] perm = order(resOrder, outLabels);
        if (identity(perm) || rs.length == 0) reshape(c, res, out.shape(), out);
        else transpose(c, res, perm, out);
    }

    /** perm such that target[i] = source[perm[i]]. */
    private static int[] order(String source, String target) {
        int[] p = new int[target.length()];
        for (int i = 0; i < p.length; i++) p[i] = source.indexOf(target.charAt(i));
        return p;
    }

    private static long prod(T t, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) p *= t.dim(i);
        return p;
    }

    private static String parse(String eq, int[] ranks, List<String> out) {
        dev.onnxport.ir.ops.NnEinsum.Equation p = dev.onnxport.ir.ops.NnEinsum.parse(eq, ranks);
        out.addAll(p.inputs());
        return p.output();
    }
}
