package dev.onnxport.backends.tflite;

import tflite.BuiltinOperator;
import tflite.Model;
import tflite.Operator;
import tflite.QuantizationParameters;
import tflite.SubGraph;
import tflite.Tensor;
import tflite.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a TFLite model against the int8 quantization spec, tensor by tensor: every int8/uint8 tensor has positive
 * scales and zero points in range; weights of int8 CONV_2D / DEPTHWISE_CONV_2D / TRANSPOSE_CONV / FULLY_CONNECTED are
 * int8, symmetric (zero point 0, values in [-127, 127]), per tensor or per channel along the op's axis; int32 biases
 * have zero point 0 and scale = input scale x weight scale (1e-6 relative); ops that keep their input's scale
 * (pooling, reshape, transpose, pad, slice, gather, resize, ...) have equal input and output parameters; CONCATENATION,
 * PACK, MAXIMUM and MINIMUM share one on all int8 inputs and the output; LOGISTIC, SOFTMAX, TANH, LOG_SOFTMAX and
 * L2_NORMALIZATION outputs have their fixed parameters exactly.
 * <p>
 * 16x8 files (int16 activations) are held to the same rules with the int16 ones of the TFLite quantization spec:
 * every int16 tensor is per tensor, symmetric (zero point 0) with values in [-32767, 32767]; an op with int16
 * activations has an int16 kernel in TFLite 2.6 and no int8 activation besides; its weights are int8 as above and
 * its bias is int64 (scale = input scale x weight scale, zero point 0); LOGISTIC, SOFTMAX and TANH outputs are
 * (1/32768, 0).
 */
public final class TfliteQuantCheck {
    private TfliteQuantCheck() {}

    /** Every violation found (empty when the model follows the spec). */
    public static List<String> violations(byte[] model) {
        Model m = Model.getRootAsModel(ByteBuffer.wrap(model).order(ByteOrder.LITTLE_ENDIAN));
        List<String> r = new ArrayList<>();
        for (int s = 0; s < m.subgraphsLength(); s++) {
            SubGraph g = m.subgraphs(s);
            for (int i = 0; i < g.tensorsLength(); i++) {
                Tensor t = g.tensors(i);
                if (t.type() == TensorType.INT16) {
                    checkInt16(m, t, r);
                    continue;
                }
                if (t.type() != TensorType.INT8 && t.type() != TensorType.UINT8) continue;
                QuantizationParameters q = t.quantization();
                if (q == null || q.scaleLength() == 0) {
                    r.add("tensor '" + t.name() + "': " + typeName(t.type()) + " without quantization parameters");
                    continue;
                }
                if (q.zeroPointLength() != q.scaleLength())
                    r.add("tensor '" + t.name() + "': " + q.scaleLength() + " scales but " + q.zeroPointLength() + " zero points");
                long lo = t.type() == TensorType.INT8 ? -128 : 0, hi = t.type() == TensorType.INT8 ? 127 : 255;
                for (int k = 0; k < q.scaleLength(); k++) {
                    if (!(q.scale(k) > 0) || !Float.isFinite(q.scale(k))) r.add("tensor '" + t.name() + "': scale " + q.scale(k) + " is not positive");
                    if (k < q.zeroPointLength() && (q.zeroPoint(k) < lo || q.zeroPoint(k) > hi))
                        r.add("tensor '" + t.name() + "': zero point " + q.zeroPoint(k) + " outside " + typeName(t.type()));
                }
            }
            for (int k = 0; k < g.operatorsLength(); k++) checkOp(m, g, g.operators(k), k, r);
        }
        return r;
    }

    private static void checkInt16(Model m, Tensor t, List<String> r) {
        QuantizationParameters q = t.quantization();
        if (q == null || q.scaleLength() == 0) {
            r.add("tensor '" + t.name() + "': int16 without quantization parameters");
            return;
        }
        if (q.scaleLength() != 1) r.add("tensor '" + t.name() + "': int16 with " + q.scaleLength() + " scales (per tensor only)");
        if (!(q.scale(0) > 0) || !Float.isFinite(q.scale(0))) r.add("tensor '" + t.name() + "': scale " + q.scale(0) + " is not positive");
        for (int k = 0; k < q.zeroPointLength(); k++)
            if (q.zeroPoint(k) != 0) { r.add("tensor '" + t.name() + "': int16 zero point " + q.zeroPoint(k) + " (must be 0)"); break; }
        ByteBuffer data = t.buffer() == 0 ? null : m.buffers((int) t.buffer()).dataAsByteBuffer();
        if (data != null) {
            data = data.order(ByteOrder.LITTLE_ENDIAN);
            for (int i = data.position(); i + 1 < data.limit(); i += 2)
                if (data.getShort(i) == Short.MIN_VALUE) { r.add("tensor '" + t.name() + "': value -32768 (int16 uses [-32767, 32767])"); break; }
        }
    }

    static int builtin(Model m, Operator op) {
        tflite.OperatorCode c = m.operatorCodes((int) op.opcodeIndex());
        return Math.max(c.builtinCode(), c.deprecatedBuiltinCode());
    }

    private static void checkOp(Model m, SubGraph g, Operator op, int k, List<String> r) {
        int b = builtin(m, op);
        String where = "op " + k + " " + TfliteQuantizer.opName(b) + ": ";
        TfliteQuantizer.Kind kind = TfliteQuantizer.KINDS.get(b);
        if (kind == null) return;
        int[] in = new int[op.inputsLength()];
        for (int i = 0; i < in.length; i++) in[i] = op.inputs(i);
        int[] out = new int[op.outputsLength()];
        for (int i = 0; i < out.length; i++) out[i] = op.outputs(i);
        boolean int16 = false, int8 = false;
        int wIdx = kind == TfliteQuantizer.Kind.WEIGHTED ? 1 : -1;
        for (int i = 0; i < in.length; i++) {
            if (in[i] < 0 || i == wIdx) continue;
            byte ty = g.tensors(in[i]).type();
            int16 |= ty == TensorType.INT16;
            int8 |= ty == TensorType.INT8 || ty == TensorType.UINT8;
        }
        for (int o : out) {
            if (o < 0) continue;
            byte ty = g.tensors(o).type();
            int16 |= ty == TensorType.INT16;
            int8 |= ty == TensorType.INT8 || ty == TensorType.UINT8;
        }
        if (int16 && int8) r.add(where + "mixes int8 and int16 activations");
        if (int16 && !TfliteQuantizer.INT16_OPS.contains(b)) r.add(where + "has int16 activations but no int16 kernel in TFLite 2.6");
        switch (kind) {
            case WEIGHTED -> {
                boolean tconv = b == BuiltinOperator.TRANSPOSE_CONV;
                int x = tconv ? in[2] : in[0], w = in[1], bias = tconv ? (in.length > 3 ? in[3] : -1) : (in.length > 2 ? in[2] : -1);
                Tensor xt = g.tensors(x);
                boolean x16 = xt.type() == TensorType.INT16;
                if (xt.type() != TensorType.INT8 && !x16) return; // float or hybrid
                Tensor wt = g.tensors(w);
                if (wt.type() != TensorType.INT8) {
                    r.add(where + "weights '" + wt.name() + "' are " + typeName(wt.type()) + ", not int8");
                    return;
                }
                int axis = switch (b) {
                    case BuiltinOperator.DEPTHWISE_CONV_2D -> 3;
                    default -> 0;
                };
                QuantizationParameters wq = wt.quantization();
                int n = wq.scaleLength();
                if (n != 1 && (wq.quantizedDimension() != axis || n != wt.shape(axis)))
                    r.add(where + "weights '" + wt.name() + "': " + n + " scales along axis " + wq.quantizedDimension() + ", expected per tensor or "
                            + wt.shape(axis) + " along axis " + axis);
                for (int i = 0; i < wq.zeroPointLength(); i++)
                    if (wq.zeroPoint(i) != 0) { r.add(where + "weights '" + wt.name() + "': zero point " + wq.zeroPoint(i) + " (must be 0)"); break; }
                ByteBuffer data = m.buffers((int) wt.buffer()).dataAsByteBuffer();
                if (data != null) for (int i = data.position(); i < data.limit(); i++)
                    if (data.get(i) == -128) { r.add(where + "weights '" + wt.name() + "': value -128 (symmetric int8 uses [-127, 127])"); break; }
                if (bias >= 0) {
                    Tensor bt = g.tensors(bias);
                    byte biasType = x16 ? TensorType.INT64 : TensorType.INT32;
                    if (bt.type() != biasType) {
                        r.add(where + "bias '" + bt.name() + "' is " + typeName(bt.type()) + ", not " + typeName(biasType));
                    } else {
                        QuantizationParameters bq = bt.quantization();
                        double sx = xt.quantization().scale(0);
                        int nb = bq == null ? 0 : bq.scaleLength();
                        if (nb != n && !(n == 1 && nb == 1))
                            r.add(where + "bias '" + bt.name() + "': " + nb + " scales for " + n + " weight scales");
                        for (int i = 0; i < Math.min(nb, n); i++) {
                            double want = sx * wq.scale(i), got = bq.scale(i);
                            if (Math.abs(got - want) > 1e-6 * Math.abs(want)) {
                                r.add(where + "bias '" + bt.name() + "' scale[" + i + "] " + got + " != input scale x weight scale " + want);
                                break;
                            }
                        }
                        for (int i = 0; i < bq.zeroPointLength(); i++)
                            if (bq.zeroPoint(i) != 0) { r.add(where + "bias '" + bt.name() + "': zero point " + bq.zeroPoint(i)); break; }
                    }
                }
            }
            case SAME -> {
                int d = in[TfliteQuantizer.dataInput(b)];
                for (int o : out) sameParams(g, d, o, where, r);
            }
            case UNIFY -> {
                if (out.length == 0) return;
                for (int i : in) if (i >= 0 && isQuantized(g.tensors(i))) sameParams(g, i, out[0], where, r);
            }
            case FIXED -> {
                for (int o : out) {
                    Tensor t = g.tensors(o);
                    if (t.type() != TensorType.INT8 && t.type() != TensorType.INT16) continue;
                    TfliteModelBuilder.Quant f = (t.type() == TensorType.INT16 ? TfliteQuantizer.FIXED_PARAMS_INT16 : TfliteQuantizer.FIXED_PARAMS).get(b);
                    if (f == null) {
                        r.add(where + "output '" + t.name() + "' is " + typeName(t.type()) + ", which has no fixed parameters for this op");
                        continue;
                    }
                    QuantizationParameters q = t.quantization();
                    if (q.scale(0) != f.scale()[0] || q.zeroPoint(0) != f.zeroPoint()[0])
                        r.add(where + "output '" + t.name() + "' has scale " + q.scale(0) + " zero point " + q.zeroPoint(0) + ", must be "
                                + f.scale()[0] + ", " + f.zeroPoint()[0]);
                }
            }
            default -> { }
        }
    }

    private static boolean isQuantized(Tensor t) {
        return t.type() == TensorType.INT8 || t.type() == TensorType.UINT8 || t.type() == TensorType.INT16;
    }

    private static void sameParams(SubGraph g, int a, int b, String where, List<String> r) {
        Tensor x = g.tensors(a), y = g.tensors(b);
        if (!isQuantized(x) || !isQuantized(y)) return;
        QuantizationParameters p = x.quantization(), q = y.quantization();
        if (p.scale(0) != q.scale(0) || p.zeroPoint(0) != q.zeroPoint(0))
            r.add(where + "'" + x.name() + "' (" + p.scale(0) + ", " + p.zeroPoint(0) + ") and '" + y.name() + "' (" + q.scale(0) + ", "
                    + q.zeroPoint(0) + ") must share scale and zero point");
    }

    static String typeName(byte t) {
        return t >= 0 && t < TensorType.names.length ? TensorType.name(t).toLowerCase(java.util.Locale.ROOT) : "type " + t;
    }
}
