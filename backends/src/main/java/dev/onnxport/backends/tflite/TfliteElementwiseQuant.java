package dev.onnxport.backends.tflite;

import dev.onnxport.backends.tflite.TfliteElementwiseEmit.T;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.ops.ElementwiseQuant;
import tflite.BuiltinOperator;

/**
 * TFLite lowerings of QuantizeLinear, DequantizeLinear and inference-mode Dropout (element-wise family).
 * <p>
 * The quantisation ops are written as plain arithmetic rather than TFLite QUANTIZE/DEQUANTIZE: those need the
 * scale and zero point as constants in the tensor's quantisation parameters, and QUANTIZE rounds half away from
 * zero where ONNX rounds half to even. QuantizeLinear = cast(clamp(ROUND(x / scale) + zp, qmin, qmax)) (TFLite
 * ROUND rounds half to even; all values before the cast are integers that float32 holds exactly);
 * DequantizeLinear = float(x - zp) * scale with the subtraction in int32, as onnxruntime does. Scales apply per
 * tensor, per axis (reshaped to broadcast along the axis) or per block (the axis split into blocks x block_size,
 * so that the scale broadcasts over the block).
 */
final class TfliteElementwiseQuant {
    private TfliteElementwiseQuant() {}

    static void quantize(TfliteElementwiseEmit e) {
        Node n = e.n;
        T x = e.in(0), s = e.in(1);
        TfliteElementwiseEmit.requireFloat(x.dt(), "QuantizeLinear input");
        TfliteElementwiseEmit.requireFloat(s.dt(), "QuantizeLinear scale");
        T o = e.out(0);
        long[] rg = ElementwiseQuant.qrange(o.dt());
        if (rg == null || o.dt() == DType.INT32) throw new ConversionException("QuantizeLinear to " + o.dt() + " is not supported");
        TfliteElementwiseEmit.requireSupported(o.dt(), "QuantizeLinear output");
        long[] xs = staticShape(x, "QuantizeLinear");
        Blocks b = blocks(n, xs, staticShape(s, "QuantizeLinear scale"));
        T xb = e.reshape(x, b.xShape);
        T q = e.unary(BuiltinOperator.ROUND, e.div(xb, e.reshape(s, b.pShape), null), null);
        if (n.inputCount() > 2 && n.input(2) != null) {
            T z = e.in(2);
            if (z.dt() != o.dt()) throw new ConversionException("QuantizeLinear: zero point of type " + z.dt() + " for output " + o.dt());
            q = e.add(q, e.reshape(e.cast(z, DType.FLOAT32), b.pShape), null);
        }
        q = e.min(e.max(q, e.f(rg[0]), null), e.f(rg[1]), null);
        T qi = e.cast(e.reshape(q, xs), DType.INT32);
        e.castInto(qi, o);
    }

    static void dequantize(TfliteElementwiseEmit e) {
        Node n = e.n;
        T x = e.in(0), s = e.in(1);
        T o = e.out(0);
        if (ElementwiseQuant.qrange(x.dt()) == null) throw new ConversionException("DequantizeLinear of " + x.dt() + " is not supported");
        TfliteElementwiseEmit.requireSupported(x.dt(), "DequantizeLinear input");
        TfliteElementwiseEmit.requireFloat(s.dt(), "DequantizeLinear scale");
        TfliteElementwiseEmit.requireFloat(o.dt(), "DequantizeLinear output");
        long[] xs = staticShape(x, "DequantizeLinear");
        Blocks b = blocks(n, xs, staticShape(s, "DequantizeLinear scale"));
        T xi = e.reshape(e.cast(x, DType.INT32), b.xShape);
        if (n.inputCount() > 2 && n.input(2) != null) {
            T z = e.in(2);
            if (z.dt() != x.dt()) throw new ConversionException("DequantizeLinear: zero point of type " + z.dt() + " for input " + x.dt());
            if (z.constant() == null || !isZero(z.constant())) xi = e.sub(xi, e.reshape(e.cast(z, DType.INT32), b.pShape), null);
        }
        T f = e.cast(xi, DType.FLOAT32);
        if (b.xShape.length == xs.length && java.util.Arrays.equals(b.xShape, xs)) {
            e.mul(f, e.reshape(s, b.pShape), o);
            return;
        }
        e.reshapeInto(e.mul(f, e.reshape(s, b.pShape), null), o, xs);
    }

    /**
     * DynamicQuantizeLinear (uint8): range = [min(min(x), 0), max(max(x), 0)], scale = (max - min) / 255,
     * zero point = round(clip(-min / scale, 0, 255)), y = clip(round(x / scale) + zero point, 0, 255), as in its
     * ONNX function body (all roundings half to even).
     */
    static void dynamicQuantize(TfliteElementwiseEmit e) {
        T x = e.in(0);
        TfliteElementwiseEmit.requireFloat(x.dt(), "DynamicQuantizeLinear input");
        long[] xs = staticShape(x, "DynamicQuantizeLinear");
        T flat = e.reshape(x, new long[] {Tensor.numel(xs)});
        T lo = e.min(reduceAll(e, BuiltinOperator.REDUCE_MIN, flat), e.f(0), null);
        T hi = e.max(reduceAll(e, BuiltinOperator.REDUCE_MAX, flat), e.f(0), null);
        T scale = e.div(e.sub(hi, lo, null), e.f(255), null);
        T zpf = e.unary(BuiltinOperator.ROUND, e.min(e.max(e.sub(e.f(0), e.div(lo, scale, null), null), e.f(0), null), e.f(255), null), null);
        T q = e.unary(BuiltinOperator.ROUND, e.div(x, scale, null), null);
        q = e.min(e.max(e.add(q, zpf, null), e.f(0), null), e.f(255), null);
        e.castInto(e.cast(q, DType.INT32), e.out(0));
        if (e.n.outputs().size() > 1 && e.n.output(1) != null) e.copyInto(scale, e.out(1));
        if (e.n.outputs().size() > 2 && e.n.output(2) != null) e.castInto(e.cast(zpf, DType.INT32), e.out(2));
    }

    /** REDUCE_MIN / REDUCE_MAX of a 1-D tensor to a scalar. */
    private static T reduceAll(TfliteElementwiseEmit e, int op, T flat) {
        T o = e.temp(flat.dt(), Shape.of(new long[0]), op == BuiltinOperator.REDUCE_MIN ? "min" : "max");
        T axes = e.constant(Tensor.ofInts(new long[] {1}, 0), "axes");
        e.op(op, 1, new T[] {flat, axes}, o, tflite.BuiltinOptions.ReducerOptions, b -> tflite.ReducerOptions.createReducerOptions(b, false));
        return o;
    }

    /** Inference-mode Dropout: a copy of the input, and an all-true mask when one is asked for. */
    static void dropout(TfliteElementwiseEmit e) {
        Node n = e.n;
        if (!ElementwiseQuant.dropoutIsCopy(n))
            throw new ConversionException("Dropout in training mode (training_mode not a constant false, or is_test = 0) drops random elements");
        T x = e.in(0);
        TfliteElementwiseEmit.requireSupported(x.dt(), "Dropout");
        e.result(x);
        if (n.outputs().size() > 1 && n.output(1) != null) {
            T m = e.out(1);
            long[] ms = staticShape(m, "Dropout mask");
            long[] ones = new long[Math.toIntExact(Tensor.numel(ms))];
            java.util.Arrays.fill(ones, 1);
            e.copyInto(e.constant(Tensor.fromLongs(DType.BOOL, ms, ones), "mask"), m);
        }
    }

    private static boolean isZero(Tensor t) {
        for (long i = 0; i < t.numel(); i++) if (t.getLong(i) != 0) return false;
        return true;
    }

    private static long[] staticShape(T t, String what) {
        Shape s = t.shape();
        if (!s.isStatic()) throw new ConversionException(what + ": shape " + s + " is dynamic; fix it with --input-shape or --batch");
        return s.toArray();
    }

    /** The shapes the input and its scale / zero point take so that they broadcast: {xShape, pShape}. */
    private record Blocks(long[] xShape, long[] pShape) {}

    private static Blocks blocks(Node n, long[] xs, long[] ss) {
        ElementwiseQuant.Layout l = ElementwiseQuant.layout(n, xs.length, ss);
        int r = xs.length, a = l.axis();
        switch (l.mode()) {
            case TENSOR -> {
                return new Blocks(xs, new long[0]);
            }
            case AXIS -> {
                if (ss[0] != xs[a]) throw new ConversionException(n.opType() + ": " + ss[0] + " scales for axis " + a + " of size " + xs[a]);
                long[] p = new long[r];
                java.util.Arrays.fill(p, 1);
                p[a] = ss[0];
                return new Blocks(xs, p);
            }
            default -> {
                long bs = l.block();
                if (xs[a] % bs != 0 || ss[a] != xs[a] / bs)
                    throw new ConversionException(n.opType() + ": axis of size " + xs[a] + " in blocks of " + bs + " with " + ss[a] + " scales");
                for (int i = 0; i < r; i++) {
                    if (i != a && ss[i] != xs[i]) throw new ConversionException(n.opType() + ": blocked scale shape does not match the input");
                }
                long[] xb = new long[r + 1], pb = new long[r + 1];
                for (int i = 0, j = 0; i < r; i++, j++) {
                    if (i == a) {
                        xb[j] = ss[a];
                        pb[j] = ss[a];
                        j++;
                        xb[j] = bs;
                        pb[j] = 1;
                    } else {
                        xb[j] = xs[i];
                        pb[j] = xs[i];
                    }
                }
                return new Blocks(xb, pb);
            }
        }
    }
}
