package dev.onnxport.backends.tflite;

import tflite.ActivationFunctionType;
import tflite.BuiltinOperator;
import tflite.ConcatenationOptions;
import tflite.Conv2DOptions;
import tflite.DepthwiseConv2DOptions;
import tflite.FullyConnectedOptions;
import tflite.FullyConnectedOptionsWeightsFormat;
import tflite.Model;
import tflite.Operator;
import tflite.PackOptions;
import tflite.Pool2DOptions;
import tflite.QuantizationParameters;
import tflite.SqueezeOptions;
import tflite.StridedSliceOptions;
import tflite.SubGraph;
import tflite.Tensor;
import tflite.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the Edge TPU compiler (edgetpu_compiler 16, Edge TPU runtime 14) would make of a full-integer TFLite model.
 *
 * <p>Sources, as far as the stored copies reached (the compiler itself is not run here, nor is coral.ai fetched live):
 * <ul>
 *   <li>[T1] Coral's "Supported operations" table of coral.ai/docs/edgetpu/models-intro as it stood for compilers 1.x/2.x,
 *       mirrored verbatim in github.com/dgist-datalab/Datalab_Intern, Edge_TPU/convert_model_for_Edge_TPU.md, with its
 *       general requirements (8-bit tensors, static sizes, constant parameters such as biases, at most the 3 innermost
 *       dimensions above 1);</li>
 *   <li>[T2] Coral's current table (runtime 13/14 rows) as reproduced for the Edge-TPU-based ARTPEC-7 DLPU at
 *       developer.axis.com/computer-vision/on-device/system-on-chip/artpec-7/supported-ops; the stored copy reads only
 *       the rows Add .. ResizeBilinear;</li>
 *   <li>[I] google-coral/edgetpu issues: #342 (compiler 15: TRANSPOSE "Operation not supported") against #433
 *       (compiler 16: TRANSPOSE "otherwise supported"); #684 (the table lists TransposeConv); #45, #147, #384 (an op
 *       version newer than the compiler's TFLite build makes the whole compilation fail: "Didn't find op for builtin
 *       opcode").</li>
 * </ul>
 * Rows of {@link #TABLE} whose source is {@link #UNCONFIRMED} were kept from the earlier (memory-typed) list but are in
 * none of the stored copies; the report names them when a model relies on them.
 *
 * <p>The compiler maps ops in execution order up to the first one it cannot take; that op and all after it run on the
 * CPU. This is a prediction: the compiler can still keep an op on the CPU for reasons Coral does not publish (a resize
 * it judges too lossy, "certain reshapes ... for large tensor sizes", on-chip memory), and op versions are not compared
 * with the compiler's (unpublished) TFLite build.
 */
public final class EdgeTpuCheck {
    private EdgeTpuCheck() {}

    static final String T1 = "Coral table (compiler 2.x) [T1]";
    static final String T2 = "Coral table (runtime 13/14) [T2]";
    static final String T1_T2 = "Coral table [T1][T2]";
    static final String COMPILER_16 = "compiler 16 only [I: edgetpu#342, #433]";
    static final String LISTED = "listed by Coral per edgetpu#684 [I]";
    public static final String UNCONFIRMED = "not in the stored copies of Coral's table";

    /** One row of Coral's table: its name there, the published limitation (empty: none) and where we read it. */
    public record Row(String coralName, String limitation, String source) {}

    /** TFLite builtin -> Coral's row, for every op on Coral's supported-operations list. */
    public static final Map<Integer, Row> TABLE;
    static {
        Map<Integer, Row> t = new LinkedHashMap<>();
        t.put(BuiltinOperator.ADD, new Row("Add", "", T1_T2));
        t.put(BuiltinOperator.AVERAGE_POOL_2D, new Row("AveragePool2d", "No fused activation function.", T1_T2));
        t.put(BuiltinOperator.CONCATENATION, new Row("Concatenation", "No fused activation function. If any input is a compile-time "
                + "constant tensor, there must be only 2 inputs, and this constant tensor must be all zeroes.", T1_T2));
        t.put(BuiltinOperator.CONV_2D, new Row("Conv2d", "Must use the same dilation in x and y dimensions.", T2));
        t.put(BuiltinOperator.DEPTHWISE_CONV_2D, new Row("DepthwiseConv2d", "Must use the same dilation in x and y dimensions.", T2));
        t.put(BuiltinOperator.EXPAND_DIMS, new Row("ExpandDims", "", T2));
        t.put(BuiltinOperator.FULLY_CONNECTED, new Row("FullyConnected",
                "Only the default format is supported for fully-connected weights. Output tensor is one-dimensional.", T1_T2));
        t.put(BuiltinOperator.L2_NORMALIZATION, new Row("L2Normalization", "", T1_T2));
        t.put(BuiltinOperator.LOGISTIC, new Row("Logistic", "", T1_T2));
        t.put(BuiltinOperator.LSTM, new Row("LSTM", "Unidirectional LSTM only.", T2));
        t.put(BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM, new Row("LSTM", "Unidirectional LSTM only.", T2));
        t.put(BuiltinOperator.MAXIMUM, new Row("Maximum", "", T1_T2));
        t.put(BuiltinOperator.MAX_POOL_2D, new Row("MaxPool2d", "No fused activation function.", T1_T2));
        t.put(BuiltinOperator.MEAN, new Row("Mean", "No reduction in batch dimension. If a z-reduction, the z-dimension must be "
                + "multiple of 4.", T2));
        t.put(BuiltinOperator.MINIMUM, new Row("Minimum", "", T1_T2));
        t.put(BuiltinOperator.MUL, new Row("Mul", "", T1_T2));
        t.put(BuiltinOperator.PACK, new Row("Pack", "No packing in batch dimension.", T2));
        t.put(BuiltinOperator.PAD, new Row("Pad", "No padding in batch dimension.", T2));
        t.put(BuiltinOperator.PRELU, new Row("PReLU", "Alpha must be 1-dimensional (only the innermost dimension can be >1 size).", T2));
        t.put(BuiltinOperator.QUANTIZE, new Row("Quantize", "", T2));
        t.put(BuiltinOperator.REDUCE_MAX, new Row("ReduceMax", "Cannot operate on the batch dimension.", T2));
        t.put(BuiltinOperator.REDUCE_MIN, new Row("ReduceMin", "Cannot operate on the batch dimension.", T2));
        t.put(BuiltinOperator.RELU, new Row("ReLU", "", T1_T2));
        t.put(BuiltinOperator.RELU6, new Row("ReLU6", "", T1_T2));
        t.put(BuiltinOperator.RELU_N1_TO_1, new Row("ReLUN1To1", "", T1_T2));
        t.put(BuiltinOperator.RESHAPE, new Row("Reshape", "Certain reshapes might not be mapped for large tensor sizes.", T2));
        t.put(BuiltinOperator.RESIZE_BILINEAR, new Row("ResizeBilinear", "Input/output is a 3-dimensional tensor. Depending on "
                + "input/output size, this operation might not be mapped to the Edge TPU to avoid loss in precision.", T1_T2));
        t.put(BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, new Row("ResizeNearestNeighbor", "Input/output is a 3-dimensional tensor. "
                + "Depending on input/output size, this operation may not be mapped to the Edge TPU to avoid loss in precision.", T1));
        t.put(BuiltinOperator.RSQRT, new Row("Rsqrt", "", UNCONFIRMED));
        t.put(BuiltinOperator.SLICE, new Row("Slice", "", T1));
        t.put(BuiltinOperator.SOFTMAX, new Row("Softmax", "Supports only 1-D input tensor with a max of 16,000 elements.", T1));
        t.put(BuiltinOperator.SPACE_TO_DEPTH, new Row("SpaceToDepth", "", T1));
        t.put(BuiltinOperator.SPLIT, new Row("Split", "", T1));
        t.put(BuiltinOperator.SQUARED_DIFFERENCE, new Row("SquaredDifference", "", UNCONFIRMED));
        t.put(BuiltinOperator.SQUEEZE, new Row("Squeeze", "Supported only when input tensor dimensions that have leading 1s "
                + "(that is, no relayout needed).", T1));
        t.put(BuiltinOperator.STRIDED_SLICE, new Row("StridedSlice", "Supported only when all strides are equal to 1, and with "
                + "ellipsis-axis-mask == 0, and new-axis-mask == 0.", T1));
        t.put(BuiltinOperator.SUB, new Row("Sub", "", T1));
        t.put(BuiltinOperator.SUM, new Row("Sum", "", UNCONFIRMED));
        t.put(BuiltinOperator.TANH, new Row("Tanh", "", T1));
        t.put(BuiltinOperator.TRANSPOSE, new Row("Transpose", "", COMPILER_16));
        t.put(BuiltinOperator.TRANSPOSE_CONV, new Row("TransposeConv", "", LISTED));
        TABLE = Collections.unmodifiableMap(t);
    }

    /** TFLite builtins on Coral's supported-operations list. */
    public static final Set<Integer> SUPPORTED = TABLE.keySet();

    /**
     * @param ops         operators in the model
     * @param mapped      how many ops, from the first in execution order, would map to the Edge TPU
     * @param firstStop   why op {@code mapped} would not (null when all map)
     * @param problems    every op, tensor or limitation problem found
     * @param unconfirmed the ops among the first {@code mapped} that are on the list only by a row not found in the
     *                    stored copies of Coral's table
     */
    public record Report(int ops, int mapped, String firstStop, List<String> problems, Set<String> unconfirmed) {
        public String summary() {
            String s = mapped == ops ? "edgetpu: all " + ops + " ops would map to the Edge TPU"
                    : "edgetpu: " + mapped + " of " + ops + " ops would map to the Edge TPU; the first that would not: " + firstStop
                            + " (it and the ops after it would run on the CPU)";
            return unconfirmed.isEmpty() ? s : s + "; " + String.join(", ", unconfirmed) + " counted as mapped by a row not confirmed in Coral's table";
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
        Ctx c = new Ctx(m, g, constants);
        int mapped = -1;
        String first = null;
        Set<String> unconfirmed = new TreeSet<>();
        for (int k = 0; k < g.operatorsLength(); k++) {
            Operator op = g.operators(k);
            int b = TfliteQuantCheck.builtin(m, op);
            String why = opProblem(c, op, b);
            if (why != null) {
                String what = "op " + k + " " + TfliteQuantizer.opName(b) + " ('"
                        + (op.outputsLength() > 0 && op.outputs(0) >= 0 ? g.tensors(op.outputs(0)).name() : "?") + "'): " + why;
                problems.add(what);
                if (mapped < 0) { mapped = k; first = what; }
            } else if (mapped < 0 && TABLE.get(b).source().equals(UNCONFIRMED)) {
                unconfirmed.add(TfliteQuantizer.opName(b));
            }
        }
        for (int i = 0; i < g.tensorsLength(); i++) {
            Tensor t = g.tensors(i);
            if (dynamic(t)) problems.add("tensor '" + t.name() + "': dynamic shape");
            byte ty = t.type();
            boolean ok = ty == TensorType.INT8 || ty == TensorType.UINT8 || ty == TensorType.INT32 && constants.contains(i);
            if (!ok) problems.add("tensor '" + t.name() + "': " + TfliteQuantCheck.typeName(ty) + (constants.contains(i) ? " constant" : ""));
        }
        if (mapped < 0) mapped = g.operatorsLength();
        return new Report(g.operatorsLength(), mapped, first, problems, unconfirmed);
    }

    private record Ctx(Model m, SubGraph g, Set<Integer> constants) {
        Tensor t(int i) { return g.tensors(i); }
        boolean constant(int i) { return constants.contains(i); }

        /** The data of constant int32/int64 tensor i, or null. */
        int[] ints(int i) {
            if (i < 0 || !constant(i)) return null;
            byte ty = t(i).type();
            if (ty != TensorType.INT32 && ty != TensorType.INT64) return null;
            int w = ty == TensorType.INT32 ? 4 : 8;
            ByteBuffer d = m.buffers((int) t(i).buffer()).dataAsByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            int[] r = new int[d.remaining() / w];
            for (int k = 0; k < r.length; k++) r[k] = w == 4 ? d.getInt(d.position() + 4 * k) : (int) d.getLong(d.position() + 8 * k);
            return r;
        }
    }

    private static String opProblem(Ctx c, Operator op, int b) {
        Row row = TABLE.get(b);
        if (row == null) return "not on Coral's supported-operations list";
        // general requirements [T1]: 8-bit tensors (int32 only as compile-time constants such as biases), static sizes,
        // and in a tensor of more than 3 dimensions only the 3 innermost may exceed 1 (activations; weights are exempt)
        List<int[]> tensors = new ArrayList<>(); // {tensor, 0 input / 1 output}
        for (int i = 0; i < op.inputsLength(); i++) if (op.inputs(i) >= 0) tensors.add(new int[] {op.inputs(i), 0});
        for (int i = 0; i < op.outputsLength(); i++) tensors.add(new int[] {op.outputs(i), 1});
        for (int[] t : tensors) {
            String p = typeProblem(c, t[0], t[1] == 0 ? "input" : "output");
            if (p != null) return p;
        }
        String p = limitation(c, op, b);
        if (p != null) return p + " (" + row.coralName() + ": \"" + row.limitation() + "\")";
        for (int[] t : tensors) {
            Tensor x = c.t(t[0]);
            if (c.constant(t[0])) continue;
            for (int d = 0; d + 3 < x.shapeLength(); d++)
                if (x.shape(d) > 1) return (t[1] == 0 ? "input " : "output ") + dims(x) + " has more than the 3 innermost dimensions above 1";
        }
        return null;
    }

    private static String typeProblem(Ctx c, int i, String role) {
        Tensor t = c.t(i);
        byte ty = t.type();
        if (ty == TensorType.FLOAT32 || ty == TensorType.FLOAT16) return "float " + role + " '" + t.name() + "'";
        if (!(ty == TensorType.INT8 || ty == TensorType.UINT8 || ty == TensorType.INT32 && c.constant(i)))
            return role + " '" + t.name() + "' is " + TfliteQuantCheck.typeName(ty) + " (only 8-bit tensors, int32 only for constants)";
        if (dynamic(t)) return role + " '" + t.name() + "' has a dynamic shape";
        return null;
    }

    /** The op-specific limitation it breaks (without the quote), or null. */
    private static String limitation(Ctx c, Operator op, int b) {
        switch (b) {
            case BuiltinOperator.AVERAGE_POOL_2D, BuiltinOperator.MAX_POOL_2D -> {
                if (op.builtinOptions(new Pool2DOptions()) instanceof Pool2DOptions o && o.fusedActivationFunction() != ActivationFunctionType.NONE)
                    return "fused activation";
            }
            case BuiltinOperator.CONCATENATION -> {
                if (op.builtinOptions(new ConcatenationOptions()) instanceof ConcatenationOptions o
                        && o.fusedActivationFunction() != ActivationFunctionType.NONE) return "fused activation";
                for (int i = 0; i < op.inputsLength(); i++) {
                    int t = op.inputs(i);
                    if (!c.constant(t)) continue;
                    if (op.inputsLength() != 2) return "constant input '" + c.t(t).name() + "' among " + op.inputsLength() + " inputs";
                    if (!allZero(c, t)) return "constant input '" + c.t(t).name() + "' is not all zeroes";
                }
            }
            case BuiltinOperator.CONV_2D -> {
                if (op.builtinOptions(new Conv2DOptions()) instanceof Conv2DOptions o && o.dilationHFactor() != o.dilationWFactor())
                    return "dilation " + o.dilationHFactor() + "x" + o.dilationWFactor();
                return weightsProblem(c, op, 1, 2);
            }
            case BuiltinOperator.DEPTHWISE_CONV_2D -> {
                if (op.builtinOptions(new DepthwiseConv2DOptions()) instanceof DepthwiseConv2DOptions o && o.dilationHFactor() != o.dilationWFactor())
                    return "dilation " + o.dilationHFactor() + "x" + o.dilationWFactor();
                return weightsProblem(c, op, 1, 2);
            }
            case BuiltinOperator.TRANSPOSE_CONV -> { return weightsProblem(c, op, 1, 3); }
            case BuiltinOperator.FULLY_CONNECTED -> {
                if (op.builtinOptions(new FullyConnectedOptions()) instanceof FullyConnectedOptions o
                        && o.weightsFormat() != FullyConnectedOptionsWeightsFormat.DEFAULT) return "shuffled weights format";
                Tensor y = c.t(op.outputs(0));
                if (above1(y) > 1) return "output " + dims(y) + " is not one-dimensional";
                return weightsProblem(c, op, 1, 2);
            }
            case BuiltinOperator.MEAN, BuiltinOperator.SUM, BuiltinOperator.REDUCE_MAX, BuiltinOperator.REDUCE_MIN -> {
                Tensor x = c.t(op.inputs(0));
                int[] axes = c.ints(op.inputs(1));
                if (axes == null) return "axes are not a compile-time constant";
                int rank = x.shapeLength();
                for (int a : axes) {
                    int ax = a < 0 ? a + rank : a;
                    if (ax < rank - 3) return "reduces over the batch dimension of " + dims(x);
                    if (b == BuiltinOperator.MEAN && ax == rank - 1 && x.shape(ax) % 4 != 0)
                        return "z-reduction over " + x.shape(ax) + " channels (not a multiple of 4)";
                }
            }
            case BuiltinOperator.PACK -> {
                Tensor y = c.t(op.outputs(0));
                int rank = y.shapeLength();
                int a = op.builtinOptions(new PackOptions()) instanceof PackOptions o ? o.axis() : 0;
                if ((a < 0 ? a + rank : a) < rank - 3) return "packs along the batch dimension of " + dims(y);
            }
            case BuiltinOperator.PAD -> {
                Tensor x = c.t(op.inputs(0));
                int[] pads = c.ints(op.inputs(1));
                if (pads == null) return "paddings are not a compile-time constant";
                int rank = x.shapeLength();
                for (int d = 0; d < rank - 3 && 2 * d + 1 < pads.length; d++)
                    if (pads[2 * d] != 0 || pads[2 * d + 1] != 0) return "pads the batch dimension of " + dims(x);
            }
            case BuiltinOperator.PRELU -> {
                int a = op.inputs(1);
                Tensor alpha = c.t(a);
                for (int d = 0; d + 1 < alpha.shapeLength(); d++)
                    if (alpha.shape(d) > 1) return "alpha " + dims(alpha) + " is not 1-dimensional";
            }
            case BuiltinOperator.RESIZE_BILINEAR, BuiltinOperator.RESIZE_NEAREST_NEIGHBOR -> {
                Tensor x = c.t(op.inputs(0));
                if (x.shapeLength() == 4 && x.shape(0) != 1) return "input " + dims(x) + " is not 3-dimensional (batch " + x.shape(0) + ")";
            }
            case BuiltinOperator.SOFTMAX -> {
                Tensor x = c.t(op.inputs(0));
                long n = 1;
                for (int d = 0; d < x.shapeLength(); d++) n *= x.shape(d);
                if (above1(x) > 1) return "input " + dims(x) + " is not 1-D";
                if (n > 16000) return "input " + dims(x) + " has more than 16,000 elements";
            }
            case BuiltinOperator.SQUEEZE -> {
                Tensor x = c.t(op.inputs(0));
                int rank = x.shapeLength();
                int firstBig = 0;
                while (firstBig < rank && x.shape(firstBig) == 1) firstBig++;
                SqueezeOptions o = op.builtinOptions(new SqueezeOptions()) instanceof SqueezeOptions so ? so : null;
                if (o == null || o.squeezeDimsLength() == 0) {
                    for (int d = firstBig; d < rank; d++) if (x.shape(d) == 1) return "squeezes a non-leading 1 of " + dims(x);
                } else {
                    for (int k = 0; k < o.squeezeDimsLength(); k++) {
                        int d = o.squeezeDims(k) < 0 ? o.squeezeDims(k) + rank : o.squeezeDims(k);
                        if (d >= firstBig) return "squeezes dimension " + d + " of " + dims(x) + ", after a dimension above 1";
                    }
                }
            }
            case BuiltinOperator.STRIDED_SLICE -> {
                if (op.builtinOptions(new StridedSliceOptions()) instanceof StridedSliceOptions o) {
                    if (o.ellipsisMask() != 0) return "ellipsis mask " + o.ellipsisMask();
                    if (o.newAxisMask() != 0) return "new-axis mask " + o.newAxisMask();
                }
                int[] strides = c.ints(op.inputsLength() > 3 ? op.inputs(3) : -1);
                if (strides == null) return "strides are not a compile-time constant";
                for (int s : strides) if (s != 1) return "stride " + s;
            }
            default -> { }
        }
        return null;
    }

    /** Weights (input w) and bias (input bias, if present) must be compile-time constants [T1]. */
    private static String weightsProblem(Ctx c, Operator op, int w, int bias) {
        if (w < op.inputsLength() && op.inputs(w) >= 0 && !c.constant(op.inputs(w))) return "weights '" + c.t(op.inputs(w)).name() + "' are not constant";
        if (bias < op.inputsLength() && op.inputs(bias) >= 0 && !c.constant(op.inputs(bias)))
            return "bias '" + c.t(op.inputs(bias)).name() + "' is not constant";
        return null;
    }

    /** Every element of constant 8-bit tensor t is its zero point (0.0). */
    private static boolean allZero(Ctx c, int t) {
        Tensor x = c.t(t);
        if (x.type() != TensorType.INT8 && x.type() != TensorType.UINT8) return false;
        QuantizationParameters q = x.quantization();
        long zp = q != null && q.zeroPointLength() > 0 ? q.zeroPoint(0) : 0;
        ByteBuffer d = c.m().buffers((int) x.buffer()).dataAsByteBuffer();
        for (int i = d.position(); i < d.limit(); i++) {
            int v = x.type() == TensorType.INT8 ? d.get(i) : d.get(i) & 0xff;
            if (v != zp) return false;
        }
        return true;
    }

    private static boolean dynamic(Tensor t) {
        for (int d = 0; d < t.shapeSignatureLength(); d++) if (t.shapeSignature(d) < 0) return true;
        return false;
    }

    private static int above1(Tensor t) {
        int n = 0;
        for (int d = 0; d < t.shapeLength(); d++) if (t.shape(d) > 1) n++;
        return n;
    }

    private static String dims(Tensor t) {
        StringBuilder s = new StringBuilder("[");
        for (int d = 0; d < t.shapeLength(); d++) s.append(d > 0 ? "," : "").append(t.shape(d));
        return s.append("]").toString();
    }
}
