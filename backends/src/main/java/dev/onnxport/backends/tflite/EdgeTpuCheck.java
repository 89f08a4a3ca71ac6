package dev.onnxport.backends.tflite;

import tflite.ActivationFunctionType;
import tflite.BuiltinOperator;
import tflite.ConcatenationOptions;
import tflite.Model;
import tflite.Operator;
import tflite.Pool2DOptions;
import tflite.SubGraph;
import tflite.Tensor;
import tflite.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What the Edge TPU compiler would make of a full-integer TFLite model: every op is checked against Coral's table of
 * supported operations (https://coral.ai/docs/edgetpu/models-intro/, Edge TPU runtime 14 and later) and those of its
 * documented limitations that can be seen in the file; tensors must be static and 8-bit (int32 biases and int32
 * shape/axis constants aside). The compiler maps ops in execution order up to the first one it cannot take; the rest
 * runs on the CPU. This is a prediction: the compiler itself may still refuse an op (e.g. a resize it judges too lossy).
 */
public final class EdgeTpuCheck {
    private EdgeTpuCheck() {}

    /** TFLite builtins on Coral's supported-operations list. */
    public static final Set<Integer> SUPPORTED = Set.of(
            BuiltinOperator.ADD, BuiltinOperator.AVERAGE_POOL_2D, BuiltinOperator.CONCATENATION, BuiltinOperator.CONV_2D,
            BuiltinOperator.DEPTHWISE_CONV_2D, BuiltinOperator.EXPAND_DIMS, BuiltinOperator.FULLY_CONNECTED,
            BuiltinOperator.L2_NORMALIZATION, BuiltinOperator.LOGISTIC, BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM,
            BuiltinOperator.MAXIMUM, BuiltinOperator.MAX_POOL_2D, BuiltinOperator.MEAN, BuiltinOperator.MINIMUM, BuiltinOperator.MUL,
            BuiltinOperator.PACK, BuiltinOperator.PAD, BuiltinOperator.PRELU, BuiltinOperator.QUANTIZE, BuiltinOperator.REDUCE_MAX,
            BuiltinOperator.REDUCE_MIN, BuiltinOperator.RELU, BuiltinOperator.RELU6, BuiltinOperator.RELU_N1_TO_1, BuiltinOperator.RESHAPE,
            BuiltinOperator.RESIZE_BILINEAR, BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, BuiltinOperator.RSQRT, BuiltinOperator.SLICE,
            BuiltinOperator.SOFTMAX, BuiltinOperator.SPACE_TO_DEPTH, BuiltinOperator.SPLIT, BuiltinOperator.SQUEEZE,
            BuiltinOperator.STRIDED_SLICE, BuiltinOperator.SUB, BuiltinOperator.SUM, BuiltinOperator.SQUARED_DIFFERENCE,
            BuiltinOperator.TANH, BuiltinOperator.TRANSPOSE, BuiltinOperator.TRANSPOSE_CONV);

    /**
     * @param ops        operators in the model
     * @param mapped     how many ops, from the first in execution order, would map to the Edge TPU
     * @param firstStop  why op {@code mapped} would not (null when all map)
     * @param problems   every op, tensor or limitation problem found
     */
    public record Report(int ops, int mapped, String firstStop, List<String> problems) {
        public String summary() {
            return mapped == ops ? "edgetpu: all " + ops + " ops would map to the Edge TPU"
                    : "edgetpu: " + mapped + " of " + ops + " ops would map to the Edge TPU; the first that would not: " + firstStop
                            + " (it and the ops after it would run on the CPU)";
        }
    }

    public static Report check(byte[] bytes) {
        Model m = Model.getRootAsModel(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
        SubGraph g = m.subgraphs(0);
        List<String> problems = new ArrayList<>();
        Set<Integer> constants = new HashSet<>();
        for (int i = 0; i < g.tensorsLength(); i++) {
            Tensor t = g.tensors(i);
            ByteBuffer data = m.buffers((int) t.buffer()).dataAsByteBuffer();
            if (t.buffer() != 0 && data != null && data.remaining() > 0) constants.add(i);
        }
        int mapped = -1;
        String first = null;
        for (int k = 0; k < g.operatorsLength(); k++) {
            Operator op = g.operators(k);
            String why = opProblem(m, g, op, constants);
            if (why != null) {
                String what = "op " + k + " " + TfliteQuantizer.opName(TfliteQuantCheck.builtin(m, op)) + " ('"
                        + (op.outputsLength() > 0 && op.outputs(0) >= 0 ? g.tensors(op.outputs(0)).name() : "?") + "'): " + why;
                problems.add(what);
                if (mapped < 0) { mapped = k; first = what; }
            }
        }
        for (int i = 0; i < g.tensorsLength(); i++) {
            Tensor t = g.tensors(i);
            for (int d = 0; d < t.shapeSignatureLength(); d++)
                if (t.shapeSignature(d) < 0) { problems.add("tensor '" + t.name() + "': dynamic shape"); break; }
            byte ty = t.type();
            boolean ok = ty == TensorType.INT8 || ty == TensorType.UINT8 || ty == TensorType.INT32 && constants.contains(i);
            if (!ok) problems.add("tensor '" + t.name() + "': " + TfliteQuantCheck.typeName(ty) + (constants.contains(i) ? " constant" : ""));
        }
        if (mapped < 0) mapped = g.operatorsLength();
        return new Report(g.operatorsLength(), mapped, first, problems);
    }

    private static String opProblem(Model m, SubGraph g, Operator op, Set<Integer> constants) {
        int b = TfliteQuantCheck.builtin(m, op);
        if (!SUPPORTED.contains(b)) return "not on the Edge TPU's supported-operations list";
        for (int i = 0; i < op.inputsLength(); i++) {
            int t = op.inputs(i);
            if (t < 0) continue;
            byte ty = g.tensors(t).type();
            if (ty == TensorType.FLOAT32 || ty == TensorType.FLOAT16) return "float input '" + g.tensors(t).name() + "'";
        }
        for (int i = 0; i < op.outputsLength(); i++) {
            Tensor t = g.tensors(op.outputs(i));
            if (t.type() == TensorType.FLOAT32) return "float output";
            // more than 3 dims: only the 3 innermost may exceed 1
            for (int d = 0; d + 3 < t.shapeLength(); d++)
                if (t.shape(d) > 1) return "output " + dims(t) + " has more than 3 dimensions above 1";
        }
        switch (b) {
            case BuiltinOperator.AVERAGE_POOL_2D, BuiltinOperator.MAX_POOL_2D -> {
                if (op.builtinOptions(new Pool2DOptions()) instanceof Pool2DOptions p && p.fusedActivationFunction() != ActivationFunctionType.NONE)
                    return "fused activation on pooling";
            }
            case BuiltinOperator.CONCATENATION -> {
                if (op.builtinOptions(new ConcatenationOptions()) instanceof ConcatenationOptions c
                        && c.fusedActivationFunction() != ActivationFunctionType.NONE) return "fused activation on concatenation";
                for (int i = 0; i < op.inputsLength(); i++)
                    if (constants.contains(op.inputs(i)) && op.inputsLength() != 2) return "a constant input among more than 2";
            }
            case BuiltinOperator.SOFTMAX -> {
                Tensor x = g.tensors(op.inputs(0));
                long n = 1;
                int big = 0;
                for (int d = 0; d < x.shapeLength(); d++) { n *= x.shape(d); if (x.shape(d) > 1) big++; }
                if (big > 1) return "input " + dims(x) + " is not 1-D";
                if (n > 16000) return "more than 16000 elements";
            }
            case BuiltinOperator.MEAN, BuiltinOperator.SUM, BuiltinOperator.REDUCE_MAX, BuiltinOperator.REDUCE_MIN -> {
                if (axisZero(m, g, op.inputs(1))) return "reduces over the batch dimension";
            }
            default -> { }
        }
        return null;
    }

    private static boolean axisZero(Model m, SubGraph g, int t) {
        if (t < 0) return false;
        ByteBuffer d = m.buffers((int) g.tensors(t).buffer()).dataAsByteBuffer();
        if (d == null) return false;
        d = d.order(ByteOrder.LITTLE_ENDIAN);
        for (int i = d.position(); i + 4 <= d.limit(); i += 4) if (d.getInt(i) == 0) return true;
        return false;
    }

    private static String dims(Tensor t) {
        StringBuilder b = new StringBuilder("[");
        for (int d = 0; d < t.shapeLength(); d++) b.append(d > 0 ? "," : "").append(t.shape(d));
        return b.append("]").toString();
    }

    static String lower(String s) { return s.toLowerCase(Locale.ROOT); }
}
