package dev.onnxport.backends.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.onnxport.backends.quant.Range;
import dev.onnxport.backends.tflite.TfliteModelBuilder.OpDef;
import dev.onnxport.backends.tflite.TfliteModelBuilder.Quant;
import dev.onnxport.backends.tflite.TfliteModelBuilder.TensorDef;
import dev.onnxport.ir.ConversionException;
import tflite.AddOptions;
import tflite.BuiltinOperator;
import tflite.BuiltinOptions;
import tflite.DivOptions;
import tflite.MulOptions;
import tflite.SubOptions;
import tflite.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Full-integer quantization of an emitted float32 TFLite model, after the TFLite int8 quantization spec: a new model
 * description is built from the float one (whose bytes are not changed), with
 * <ul>
 * <li>int8 activations, asymmetric per tensor, from the calibrated ranges (widened to include 0);</li>
 * <li>int8 symmetric weights (zero point 0, values in [-127, 127]), per channel along CONV_2D axis 0,
 * DEPTHWISE_CONV_2D axis 3 and TRANSPOSE_CONV axis 0, per tensor for FULLY_CONNECTED (per channel by option);</li>
 * <li>int32 biases with scale = input scale x weight scale, zero point 0;</li>
 * <li>the input's scale and zero point on the outputs of ops that move data without rescaling it (pooling,
 * reshape, transpose, pad, slice, gather, resize, ...), one shared scale on all inputs and the output of
 * CONCATENATION, PACK, MAXIMUM and MINIMUM (producers are given that range when they feed only this op, else the
 * input is requantized), and the fixed output scales of LOGISTIC and SOFTMAX (1/256, -128), TANH (1/128, 0),
 * LOG_SOFTMAX (16/256, 127) and L2_NORMALIZATION (1/128, 0);</li>
 * <li>the int8 op versions of TFLite's op_version rules (never lower than the float version);</li>
 * <li>DIV by a constant rewritten as MUL by its reciprocal (TFLite has no int8 DIV).</li>
 * </ul>
 * Ops without an int8 kernel (or whose tensors have no calibrated range) stay float32 between DEQUANTIZE and
 * QUANTIZE. Graph inputs and outputs are float32 (QUANTIZE/DEQUANTIZE at the boundary), int8 or uint8.
 * <p>
 * The 16x8 variant ({@link Options#int16Activations()}) follows the spec's int16 rules: activations int16,
 * symmetric (zero point 0) per tensor, scale = max(|min|, |max|) / 32767; weights int8 as above; int64 biases;
 * LOGISTIC, SOFTMAX and TANH outputs (1/32768, 0); ADD / SUB with pot_scale_int16 = false; the int16 op versions;
 * ops in {@link #INT16_OPS} only, float32 I/O only.
 */
public final class TfliteQuantizer {
    public enum IoType { FLOAT32, INT8, UINT8 }

    /**
     * @param perChannel   per-channel weights for CONV_2D, DEPTHWISE_CONV_2D and TRANSPOSE_CONV (else per tensor)
     * @param fcPerChannel per-channel weights for FULLY_CONNECTED
     * @param io           the type of the model's float inputs and outputs
     * @param integerOnly  fail instead of leaving an op in float32 (for targets that need every op in int8)
     * @param floatHead    keep the model's final LOGISTIC / SOFTMAX / TANH / LOG_SOFTMAX ops (those whose outputs reach
     *                     graph outputs only through data-movement ops), and those ops, in float32: their int8 outputs
     *                     have fixed 1/256 or 1/128 steps, too coarse for small probabilities (float32 I/O only)
     * @param int16Activations the 16x8 variant: int16 activations (symmetric, zero point 0, per tensor), int8 weights as
     *                     above, int64 biases; ops without an int16 kernel in TFLite 2.6 stay float32 (float32 I/O only)
     */
    public record Options(boolean perChannel, boolean fcPerChannel, IoType io, boolean integerOnly, boolean floatHead,
                          boolean int16Activations) {
        public static final Options DEFAULT = new Options(true, false, IoType.FLOAT32, false, false, false);

        public Options(boolean perChannel, boolean fcPerChannel, IoType io, boolean integerOnly) {
            this(perChannel, fcPerChannel, io, integerOnly, false, false);
        }

        public Options(boolean perChannel, boolean fcPerChannel, IoType io, boolean integerOnly, boolean floatHead) {
            this(perChannel, fcPerChannel, io, integerOnly, floatHead, false);
        }

        /** The 16x8 variant of these options. */
        public Options withInt16Activations() { return new Options(perChannel, fcPerChannel, io, integerOnly, floatHead, true); }
    }

    /** The quantized model, and which ops stayed float (by op name, with the reason of the first one). */
    public record Result(TfliteModelBuilder model, int[] inputs, int[] outputs, int int8Ops, int totalOps, Map<String, Integer> floatOps,
                         Map<String, String> floatReasons, int biasCorrected) {
        public Result(TfliteModelBuilder model, int[] inputs, int[] outputs, int int8Ops, int totalOps, Map<String, Integer> floatOps,
                      Map<String, String> floatReasons) {
            this(model, inputs, outputs, int8Ops, totalOps, floatOps, floatReasons, 0);
        }

        public byte[] finish() { return TfliteBackend.finish(model, inputs, outputs); }
    }

    enum Kind { WEIGHTED, FREE, SAME, UNIFY, FIXED, ARG }

    static final Map<Integer, Kind> KINDS = new HashMap<>();
    static final Map<Integer, Quant> FIXED_PARAMS = new HashMap<>();

    private static void kind(Kind k, int... ops) { for (int o : ops) KINDS.put(o, k); }

    static {
        kind(Kind.WEIGHTED, BuiltinOperator.CONV_2D, BuiltinOperator.DEPTHWISE_CONV_2D, BuiltinOperator.FULLY_CONNECTED,
                BuiltinOperator.TRANSPOSE_CONV);
        kind(Kind.FREE, BuiltinOperator.ADD, BuiltinOperator.SUB, BuiltinOperator.MUL, BuiltinOperator.DIV, BuiltinOperator.MEAN,
                BuiltinOperator.SUM, BuiltinOperator.HARD_SWISH, BuiltinOperator.RELU, BuiltinOperator.RELU6, BuiltinOperator.RELU_N1_TO_1,
                BuiltinOperator.LEAKY_RELU, BuiltinOperator.PRELU, BuiltinOperator.SQUARED_DIFFERENCE);
        kind(Kind.SAME, BuiltinOperator.RESHAPE, BuiltinOperator.SQUEEZE, BuiltinOperator.EXPAND_DIMS, BuiltinOperator.TRANSPOSE,
                BuiltinOperator.MAX_POOL_2D, BuiltinOperator.AVERAGE_POOL_2D, BuiltinOperator.PAD, BuiltinOperator.PADV2,
                BuiltinOperator.MIRROR_PAD, BuiltinOperator.STRIDED_SLICE, BuiltinOperator.SLICE, BuiltinOperator.GATHER,
                BuiltinOperator.SPLIT, BuiltinOperator.SPLIT_V, BuiltinOperator.RESIZE_BILINEAR, BuiltinOperator.RESIZE_NEAREST_NEIGHBOR,
                BuiltinOperator.DEPTH_TO_SPACE, BuiltinOperator.SPACE_TO_DEPTH, BuiltinOperator.REDUCE_MAX, BuiltinOperator.REDUCE_MIN,
                BuiltinOperator.UNPACK, BuiltinOperator.TILE, BuiltinOperator.BROADCAST_TO, BuiltinOperator.SPACE_TO_BATCH_ND,
                BuiltinOperator.BATCH_TO_SPACE_ND);
        kind(Kind.UNIFY, BuiltinOperator.CONCATENATION, BuiltinOperator.PACK, BuiltinOperator.MAXIMUM, BuiltinOperator.MINIMUM);
        kind(Kind.FIXED, BuiltinOperator.LOGISTIC, BuiltinOperator.SOFTMAX, BuiltinOperator.TANH, BuiltinOperator.LOG_SOFTMAX,
                BuiltinOperator.L2_NORMALIZATION);
        kind(Kind.ARG, BuiltinOperator.ARG_MAX, BuiltinOperator.ARG_MIN);
        FIXED_PARAMS.put(BuiltinOperator.LOGISTIC, q(1.0 / 256, -128));
        FIXED_PARAMS.put(BuiltinOperator.SOFTMAX, q(1.0 / 256, -128));
        FIXED_PARAMS.put(BuiltinOperator.TANH, q(1.0 / 128, 0));
        FIXED_PARAMS.put(BuiltinOperator.LOG_SOFTMAX, q(16.0 / 256, 127));
        FIXED_PARAMS.put(BuiltinOperator.L2_NORMALIZATION, q(1.0 / 128, 0));
    }

    /**
     * The 16x8 variant: the ops that run with int16 activations in TFLite 2.6 (the others stay float32), each loaded and
     * checked against float32 in the 2.6 interpreter by Int16OpsTest. Left out, as 2.6 rejects them: PRELU, TILE (no
     * int16 at Invoke), DEPTH_TO_SPACE, SPACE_TO_DEPTH (Prepare), MIRROR_PAD (version 3 not registered); and those that
     * TF's quantizer does not quantize to int16 (operator_property.cc quantizable_int16 = false) or that no test
     * reaches: HARD_SWISH, LOG_SOFTMAX, L2_NORMALIZATION, SUM, SQUARED_DIFFERENCE, ARG_MAX / ARG_MIN, PACK, UNPACK,
     * SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND. The fixed int16 output parameters are operator_property.cc's
     * restricted_value_int16 (1/32768, 0), which the kernels' Prepare checks.
     */
    static final Set<Integer> INT16_OPS = new HashSet<>();
    static final Map<Integer, Quant> FIXED_PARAMS_INT16 = new HashMap<>();

    static {
        for (int o : new int[] {BuiltinOperator.CONV_2D, BuiltinOperator.DEPTHWISE_CONV_2D, BuiltinOperator.FULLY_CONNECTED,
                BuiltinOperator.TRANSPOSE_CONV, BuiltinOperator.ADD, BuiltinOperator.SUB, BuiltinOperator.MUL, BuiltinOperator.DIV,
                BuiltinOperator.MEAN, BuiltinOperator.LEAKY_RELU, BuiltinOperator.RELU, BuiltinOperator.RELU6,
                BuiltinOperator.RESHAPE, BuiltinOperator.SQUEEZE, BuiltinOperator.EXPAND_DIMS, BuiltinOperator.TRANSPOSE,
                BuiltinOperator.MAX_POOL_2D, BuiltinOperator.AVERAGE_POOL_2D, BuiltinOperator.PAD, BuiltinOperator.PADV2,
                BuiltinOperator.STRIDED_SLICE, BuiltinOperator.SLICE, BuiltinOperator.GATHER,
                BuiltinOperator.SPLIT, BuiltinOperator.SPLIT_V, BuiltinOperator.RESIZE_BILINEAR, BuiltinOperator.RESIZE_NEAREST_NEIGHBOR,
                BuiltinOperator.REDUCE_MAX, BuiltinOperator.REDUCE_MIN, BuiltinOperator.BROADCAST_TO,
                BuiltinOperator.CONCATENATION, BuiltinOperator.MAXIMUM, BuiltinOperator.MINIMUM, BuiltinOperator.LOGISTIC,
                BuiltinOperator.SOFTMAX, BuiltinOperator.TANH})
            INT16_OPS.add(o);
        FIXED_PARAMS_INT16.put(BuiltinOperator.LOGISTIC, q(1.0 / 32768, 0));
        FIXED_PARAMS_INT16.put(BuiltinOperator.SOFTMAX, q(1.0 / 32768, 0));
        FIXED_PARAMS_INT16.put(BuiltinOperator.TANH, q(1.0 / 32768, 0));
    }

    static Quant q(double scale, long zp) { return new Quant(new float[] {(float) scale}, new long[] {zp}, 0); }

    /** Symmetric int16 parameters for a range (16x8): scale = max(|min|, |max|) / 32767, zero point 0. */
    public static Quant params16(Range r) {
        double m = Math.max(Math.abs(r.min()), Math.abs(r.max()));
        if (!(m > 1e-9)) m = 1e-9 * 32767;
        return q(m / 32767, 0);
    }

    /** The activation parameters for a range: int8 asymmetric, or int16 symmetric (16x8). */
    Quant act(Range r) { return a16 ? params16(r) : params(r); }

    /** The fixed output parameters of a FIXED op in this variant. */
    Quant fixed(int b) { return a16 ? FIXED_PARAMS_INT16.get(b) : FIXED_PARAMS.get(b); }

    /** Asymmetric int8 parameters for a range (widened to include 0). */
    public static Quant params(Range r) {
        double lo = Math.min(r.min(), 0), hi = Math.max(r.max(), 0);
        if (!(hi - lo > 1e-9)) hi = lo + 1e-9 * 255;
        double scale = (hi - lo) / 255;
        long zp = Math.round(-128 - lo / scale);
        zp = Math.max(-128, Math.min(127, zp));
        return q(scale, zp);
    }

    /** The data input of a SAME op (SPLIT takes the axis first). */
    static int dataInput(int builtin) { return builtin == BuiltinOperator.SPLIT ? 1 : 0; }

    // ------------------------------------------------------------------------------------------------ state

    private final TfliteModelBuilder src;
    private final int[] srcInputs, srcOutputs;
    private final Map<Integer, Range> ranges;
    private final Options opt;
    /** 16x8: int16 activations. */
    private final boolean a16;
    /** The type of quantized activations: INT8, or INT16 (16x8). */
    private final byte actType;
    private final TfliteModelBuilder dst = new TfliteModelBuilder();
    private final List<OpDef> ops;
    private final List<int[]> opcodes;
    private final int[] producer;
    private final List<List<Integer>> consumers = new ArrayList<>();
    private final Set<Integer> graphOutputs = new HashSet<>(), graphInputs = new HashSet<>();
    private final Set<String> srcNames = new HashSet<>();

    private final boolean[] int8Op;
    private final Map<Integer, Range> override = new HashMap<>();
    /** int8 parameters of tensors whose int8 version is produced by an int8 op (or is an int8/uint8 graph input). */
    private final Map<Integer, Quant> assigned = new HashMap<>();
    private final Map<Integer, Quant> unifyParams = new HashMap<>();

    private final int[] fT, qT;
    private final Map<String, Integer> cache = new HashMap<>();
    private final Map<String, Integer> floatOps = new TreeMap<>();
    private final Map<String, String> floatReasons = new TreeMap<>();
    /** Per-channel means of activation tensors (bias correction); empty: no correction. */
    private final Map<Integer, double[]> channelMeans;
    private int biasCorrected;

    private TfliteQuantizer(TfliteModelBuilder src, int[] inputs, int[] outputs, Map<Integer, Range> ranges, Options opt) {
        this(src, inputs, outputs, ranges, Map.of(), opt);
    }

    private TfliteQuantizer(TfliteModelBuilder src, int[] inputs, int[] outputs, Map<Integer, Range> ranges,
                            Map<Integer, double[]> channelMeans, Options opt) {
        this.channelMeans = channelMeans;
        this.src = src;
        this.srcInputs = inputs;
        this.srcOutputs = outputs;
        this.ranges = ranges;
        this.opt = opt;
        this.a16 = opt.int16Activations();
        this.actType = a16 ? TensorType.INT16 : TensorType.INT8;
        if (a16 && opt.io() != IoType.FLOAT32) throw new ConversionException("int16 activations take float32 I/O only");
        this.ops = src.operators();
        this.opcodes = src.opcodes();
        int n = src.tensorCount();
        producer = new int[n];
        Arrays.fill(producer, -1);
        for (int i = 0; i < n; i++) {
            consumers.add(new ArrayList<>());
            srcNames.add(src.tensor(i).name());
        }
        for (int k = 0; k < ops.size(); k++) {
            for (int t : ops.get(k).outputs()) if (t >= 0) producer[t] = k;
            for (int t : ops.get(k).inputs()) if (t >= 0 && !consumers.get(t).contains(k)) consumers.get(t).add(k);
        }
        for (int t : outputs) graphOutputs.add(t);
        for (int t : inputs) graphInputs.add(t);
        int8Op = new boolean[ops.size()];
        fT = new int[n];
        qT = new int[n];
        Arrays.fill(fT, -1);
        Arrays.fill(qT, -1);
    }

    public static Result quantize(TfliteBackend.Emitted em, Map<Integer, Range> ranges, Options o) {
        return quantize(em.model(), em.inputs(), em.outputs(), ranges, o);
    }

    public static Result quantize(TfliteModelBuilder src, int[] inputs, int[] outputs, Map<Integer, Range> ranges, Options o) {
        return new TfliteQuantizer(src, inputs, outputs, ranges, o).run();
    }

    /**
     * As above with bias correction: channelMeans holds, by activation tensor, the per-channel mean (last axis) of
     * the calibration data. For each CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED whose input has one, the
     * expected shift that weight rounding causes, sum over (W_int8 - W) * mean(input), is taken off the bias
     * (Nagel et al. 2019, "Data-Free Quantization Through Weight Equalization and Bias Correction", section 4.2).
     */
    public static Result quantize(TfliteBackend.Emitted em, Map<Integer, Range> ranges, Map<Integer, double[]> channelMeans, Options o) {
        return new TfliteQuantizer(em.model(), em.inputs(), em.outputs(), ranges, channelMeans, o).run();
    }

    /**
     * The activation tensors whose per-channel means bias correction uses: the data input of each CONV_2D and
     * FULLY_CONNECTED. DEPTHWISE_CONV_2D is left out: the correction assumes every kernel tap sees the channel's mean,
     * which zero padding breaks on the small 3x3/5x5 windows over 7x7..14x14 maps of late depthwise stages (measured
     * on pplcnet-orientation in TFLite 2.6, coco20: cosine 0.9810 uncorrected, 0.9874 with CONV_2D and
     * FULLY_CONNECTED corrected, 0.9762 with depthwise corrected as well).
     */
    public static java.util.Set<Integer> biasCorrectionInputs(TfliteModelBuilder mb) {
        java.util.Set<Integer> r = new java.util.LinkedHashSet<>();
        List<int[]> codes = mb.opcodes();
        for (OpDef op : mb.operators()) {
            int b = codes.get(op.opcodeIndex())[0];
            if ((b == BuiltinOperator.CONV_2D || b == BuiltinOperator.FULLY_CONNECTED) && op.inputs().length > 1 && op.inputs()[0] >= 0)
                r.add(op.inputs()[0]);
        }
        return r;
    }

    /**
     * Dynamic-range quantization: int8 symmetric weights, float32 activations. CONV_2D (per channel: version 5),
     * DEPTHWISE_CONV_2D (version 6) and FULLY_CONNECTED (per tensor, version 3) run as TFLite hybrid kernels; other
     * float32 constants of 1024 elements or more are stored as int8 and dequantized by a DEQUANTIZE op.
     */
    public static Result dynamicRange(TfliteModelBuilder src, int[] inputs, int[] outputs, Options o) {
        TfliteQuantizer q = new TfliteQuantizer(src, inputs, outputs, Map.of(), o);
        return q.runDynamic();
    }

    private Result runDynamic() {
        newInputs = new int[srcInputs.length];
        for (int i = 0; i < srcInputs.length; i++) newInputs[i] = same(srcInputs[i]);
        int hybrid = 0;
        for (int k = 0; k < ops.size(); k++) {
            int b = builtin(k);
            OpDef op = ops.get(k);
            int[] src = op.inputs();
            int[] in = new int[src.length];
            int version = version(k);
            boolean weighted = (b == BuiltinOperator.CONV_2D || b == BuiltinOperator.DEPTHWISE_CONV_2D || b == BuiltinOperator.FULLY_CONNECTED)
                    && src.length > 1 && src[1] >= 0 && isConst(src[1]) && isFloat(src[1]) && isFloatAct(src[0]);
            for (int i = 0; i < src.length; i++) {
                int t = src[i];
                if (t < 0) { in[i] = t; continue; }
                if (weighted && i == 1) {
                    int axis = b == BuiltinOperator.CONV_2D ? (opt.perChannel() ? 0 : -1)
                            : b == BuiltinOperator.DEPTHWISE_CONV_2D ? (opt.perChannel() ? 3 : -1) : -1;
                    in[i] = weights(t, axis);
                    version = Math.max(version, switch (b) {
                        case BuiltinOperator.CONV_2D -> axis >= 0 ? 5 : 2;
                        case BuiltinOperator.DEPTHWISE_CONV_2D -> axis >= 0 ? 6 : 4;
                        default -> 3;
                    });
                } else if (isConst(t) && isFloat(t) && Tensor.numel(t(t).shape()) >= 1024) {
                    in[i] = dequantized(t);
                } else {
                    in[i] = same(t);
                }
            }
            if (weighted) hybrid++;
            int[] out = new int[op.outputs().length];
            for (int i = 0; i < out.length; i++) out[i] = same(op.outputs()[i]);
            dst.addOp(b, version, in, out, op.optionsType(), op.options());
        }
        newOutputs = new int[srcOutputs.length];
        for (int i = 0; i < srcOutputs.length; i++) newOutputs[i] = same(srcOutputs[i]);
        copyProvenance();
        return new Result(dst, newInputs, newOutputs, hybrid, ops.size(), Map.of(), Map.of());
    }

    /** A large float32 constant stored as int8 (symmetric, per tensor) behind a DEQUANTIZE. */
    private int dequantized(int t) {
        String key = "dq:" + t;
        Integer c = cache.get(key);
        if (c != null) return c;
        int w = weights(t, -1);
        TensorDef d = t(t);
        int out = dst.addTensor(d.name(), TensorType.FLOAT32, d.shape(), d.shapeSignature(), null, null);
        dst.addOp(BuiltinOperator.DEQUANTIZE, 2, new int[] {w}, new int[] {out}, (byte) 0, null);
        cache.put(key, out);
        return out;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    int builtin(int op) { return opcodes.get(ops.get(op).opcodeIndex())[0]; }

    int version(int op) { return opcodes.get(ops.get(op).opcodeIndex())[1]; }

    TensorDef t(int i) { return src.tensor(i); }

    boolean isConst(int i) { return t(i).buffer() != 0; }

    boolean isFloat(int i) { return t(i).type() == TensorType.FLOAT32; }

    boolean isFloatAct(int i) { return isFloat(i) && !isConst(i); }

    Range range(int i) {
        Range r = override.get(i);
        return r != null ? r : ranges.get(i);
    }

    float[] floats(int i) {
        ByteBuffer b = src.bufferData(t(i).buffer());
        float[] r = new float[b.remaining() / 4];
        b.asFloatBuffer().get(r);
        return r;
    }

    Range constRange(int i) {
        float[] v = floats(i);
        double lo = 0, hi = 0;
        for (float f : v) { lo = Math.min(lo, f); hi = Math.max(hi, f); }
        return new Range(lo, hi);
    }

    static String opName(int builtin) {
        return builtin >= 0 && builtin < BuiltinOperator.names.length ? BuiltinOperator.name(builtin) : "op" + builtin;
    }

    // ------------------------------------------------------------------------------------------------ planning

    /** Carries the float model's provenance over to every version (int8, float, uint8 boundary) of each tensor. */
    private void copyProvenance() {
        for (dev.onnxport.backends.check.ProvenanceMetadata.Entry e : src.provenance().entries) {
            int t = e.tensor();
            if (t < 0 || t >= fT.length) continue;
            if (fT[t] >= 0) dst.recordProvenance(fT[t], e.onnxName(), e.perm());
            if (qT[t] >= 0) dst.recordProvenance(qT[t], e.onnxName(), e.perm());
        }
    }

    private Result run() {
        plan();
        emit();
        copyProvenance();
        int n8 = 0;
        for (boolean b : int8Op) if (b) n8++;
        return new Result(dst, newInputs, newOutputs, n8, ops.size(), floatOps, floatReasons, biasCorrected);
    }

    /** Why op k cannot run in int8, or null when it can. */
    private String ineligible(int k) {
        int b = builtin(k);
        OpDef op = ops.get(k);
        boolean anyFloat = false;
        for (int t : op.inputs()) if (t >= 0 && isFloat(t)) anyFloat = true;
        for (int t : op.outputs()) if (t >= 0 && isFloat(t)) anyFloat = true;
        if (!anyFloat) return "";
        Kind kind = KINDS.get(b);
        if (kind == null) return "no int8 kernel in TFLite";
        if (a16 && !INT16_OPS.contains(b)) return "no int16 kernel in TFLite 2.6";
        for (int t : op.inputs()) {
            if (t < 0) continue;
            if (isFloatAct(t) && !assigned.containsKey(t) && range(t) == null) return "input '" + t(t).name() + "' has no calibrated range";
            if (!isFloat(t) && t(t).type() != TensorType.INT32 && t(t).type() != TensorType.INT64) return "a " + typeName(t) + " input";
        }
        for (int t : op.outputs()) {
            if (t < 0) continue;
            if (kind == Kind.ARG) continue;
            if (!isFloat(t)) return "a " + typeName(t) + " output";
            if ((kind == Kind.FREE || kind == Kind.WEIGHTED || kind == Kind.UNIFY) && range(t) == null)
                return "output '" + t(t).name() + "' has no calibrated range";
        }
        int[] in = op.inputs();
        switch (kind) {
            case WEIGHTED -> {
                int w = b == BuiltinOperator.TRANSPOSE_CONV ? in[1] : in[1];
                int x = b == BuiltinOperator.TRANSPOSE_CONV ? in[2] : in[0];
                if (!isConst(w) || !isFloat(w)) return "weights are not a float32 constant";
                if (!isFloatAct(x)) return "input is not a float32 activation";
                int bias = b == BuiltinOperator.TRANSPOSE_CONV ? (in.length > 3 ? in[3] : -1) : (in.length > 2 ? in[2] : -1);
                if (bias >= 0 && (!isConst(bias) || !isFloat(bias))) return "bias is not a float32 constant";
            }
            case FREE -> {
                if (b == BuiltinOperator.DIV) {
                    if (!isConst(in[1]) || !isFloat(in[1])) return "DIV by a tensor (no int8 DIV in TFLite)";
                    for (float f : floats(in[1])) if (f == 0 || !Float.isFinite(1 / f)) return "DIV by zero";
                }
                if (binary(b) && in.length >= 2 && !Arrays.equals(t(in[0]).shape(), t(in[1]).shape())
                        && Math.max(t(in[0]).shape().length, t(in[1]).shape().length) > 4)
                    return "broadcast over more than 4 dims";
                for (int t : in) if (t >= 0 && isFloat(t) && isConst(t) && t(t).shape().length > 0 && Tensor.numel(t(t).shape()) == 0)
                    return "an empty constant";
            }
            case SAME -> {
                int d = in[dataInput(b)];
                if (!isFloat(d)) return "a " + typeName(d) + " data input";
                if (b == BuiltinOperator.TILE && !a16 && !isConst(in[1])) return "TILE with run-time multiples (no int8 TILE in TFLite 2.6)";
            }
            default -> { }
        }
        return null;
    }

    static boolean binary(int b) {
        return b == BuiltinOperator.ADD || b == BuiltinOperator.SUB || b == BuiltinOperator.MUL || b == BuiltinOperator.DIV
                || b == BuiltinOperator.SQUARED_DIFFERENCE || b == BuiltinOperator.MAXIMUM || b == BuiltinOperator.MINIMUM;
    }

    String typeName(int t) {
        byte ty = t(t).type();
        return ty >= 0 && ty < TensorType.names.length ? TensorType.name(ty).toLowerCase(java.util.Locale.ROOT) : "type-" + ty;
    }

    private final Set<Integer> head = new HashSet<>();

    /** The ops that end the model after a fixed-scale activation (see Options.floatHead). */
    private void findHead() {
        for (int out : srcOutputs) {
            List<Integer> path = new ArrayList<>();
            Set<Integer> reached = new HashSet<>();
            reached.add(out);
            int cur = out;
            boolean fixed = false;
            while (true) {
                int p = producer[cur];
                if (p < 0 || ops.get(p).outputs().length != 1) break;
                Kind kind = KINDS.get(builtin(p));
                if (kind != Kind.SAME && kind != Kind.FIXED) break;
                boolean onlyHead = graphOutputs.contains(cur) ? consumers.get(cur).stream().allMatch(path::contains)
                        : consumers.get(cur).stream().allMatch(path::contains) && !consumers.get(cur).isEmpty();
                if (!onlyHead && cur != out) break;
                if (cur == out && !consumers.get(cur).isEmpty()) break;
                path.add(p);
                if (kind == Kind.FIXED) { fixed = true; break; }
                int d = ops.get(p).inputs()[dataInput(builtin(p))];
                if (d < 0 || !isFloatAct(d) || graphInputs.contains(d)) break;
                cur = d;
            }
            if (fixed) head.addAll(path);
        }
    }

    private void plan() {
        if (opt.floatHead() && opt.io() == IoType.FLOAT32) findHead();
        // graph inputs that are int8/uint8 themselves
        if (opt.io() != IoType.FLOAT32) {
            for (int t : srcInputs) {
                if (!isFloatAct(t)) continue;
                Range r = range(t);
                if (r == null) throw new ConversionException("input '" + t(t).name() + "' has no calibrated range");
                assigned.put(t, params(r));
            }
        }
        // an input read only by an activation needs no range beyond where the activation is flat: RELU (< 0),
        // RELU6 (< 0, > 6), RELU_N1_TO_1, HARD_SWISH (< -3), and where LOGISTIC's (|x| > 6.24 at 1/256) and TANH's
        // (|x| > 3.1 at 1/128) int8 outputs saturate; the narrower range gives finer steps
        for (int k = 0; k < ops.size(); k++) {
            int b = builtin(k);
            double[] lim = switch (b) {
                case BuiltinOperator.RELU -> new double[] {0, Double.POSITIVE_INFINITY};
                case BuiltinOperator.RELU6 -> new double[] {0, 6};
                case BuiltinOperator.RELU_N1_TO_1 -> new double[] {-1, 1};
                case BuiltinOperator.HARD_SWISH -> new double[] {-3, Double.POSITIVE_INFINITY};
                case BuiltinOperator.LOGISTIC -> new double[] {-6.5, 6.5};
                case BuiltinOperator.TANH -> new double[] {-3.25, 3.25};
                default -> null;
            };
            if (lim == null) continue;
            // 16x8: the int16 LOGISTIC / TANH kernels saturate by themselves and 1/32768 steps need no narrower input
            if (a16 && (b == BuiltinOperator.LOGISTIC || b == BuiltinOperator.TANH)) continue;
            int x = ops.get(k).inputs()[0];
            if (x >= 0 && isFloatAct(x)) clipBack(x, lim[0], lim[1]);
        }
        // one range for every input and the output of CONCATENATION/PACK/MAXIMUM/MINIMUM; producers that feed only
        // such an op take that range, so that no requantization is needed
        for (int k = 0; k < ops.size(); k++) {
            if (KINDS.get(builtin(k)) != Kind.UNIFY) continue;
            Range u = null;
            boolean ok = true;
            for (int t : ops.get(k).inputs()) {
                if (t < 0 || !isFloat(t)) continue;
                Range r = isConst(t) ? constRange(t) : range(t);
                if (r == null) { ok = false; break; }
                u = r.union(u);
            }
            for (int t : ops.get(k).outputs()) if (t >= 0 && range(t) != null) u = range(t).union(u);
            if (!ok || u == null) continue;
            for (int t : ops.get(k).inputs()) if (t >= 0 && isFloatAct(t)) propagateBack(t, u, k);
            for (int t : ops.get(k).outputs()) if (t >= 0) override.put(t, u);
        }
        for (int k = 0; k < ops.size(); k++) {
            String why = head.contains(k) ? "float head" : ineligible(k);
            if (why == null) {
                int8Op[k] = true;
                assignOutputs(k);
            } else if (!why.isEmpty() && !head.contains(k)) {
                String name = opName(builtin(k));
                if (opt.integerOnly())
                    throw new ConversionException("op " + k + " (" + name + ") cannot be quantized to int8: " + why);
                floatOps.merge(name, 1, Integer::sum);
                floatReasons.putIfAbsent(name, why);
            }
        }
    }

    /** Narrows t's range (and, through ops that keep their input's scale, its sources') to [lo, hi]. */
    private void clipBack(int t, double lo, double hi) {
        if (graphOutputs.contains(t) || graphInputs.contains(t) || consumers.get(t).size() != 1) return;
        Range r = range(t);
        if (r == null) return;
        double a = Math.max(r.min(), lo), b = Math.min(r.max(), hi);
        if (b < a) return;
        override.put(t, new Range(a, b));
        int p = producer[t];
        if (p >= 0 && KINDS.get(builtin(p)) == Kind.SAME && ops.get(p).outputs().length == 1) {
            int d = ops.get(p).inputs()[dataInput(builtin(p))];
            if (d >= 0 && isFloatAct(d)) clipBack(d, lo, hi);
        }
    }

    /** Gives t (and, through ops that keep their input's scale, its sources) the shared range u of consumer k. */
    private void propagateBack(int t, Range u, int k) {
        if (graphOutputs.contains(t) || graphInputs.contains(t) || consumers.get(t).size() != 1) return;
        int p = producer[t];
        if (p < 0) return;
        Kind kind = KINDS.get(builtin(p));
        if (kind == Kind.FREE || kind == Kind.WEIGHTED) {
            override.put(t, u);
        } else if (kind == Kind.SAME && ops.get(p).outputs().length == 1) {
            int d = ops.get(p).inputs()[dataInput(builtin(p))];
            if (d >= 0 && isFloatAct(d)) propagateBack(d, u, p);
        }
    }

    /** The int8 parameters of a float activation t as its int8 consumers see it. */
    Quant paramsOf(int t) {
        Quant q = assigned.get(t);
        if (q != null) return q;
        Range r = range(t);
        if (r == null) throw new IllegalStateException("no range for tensor '" + t(t).name() + "'");
        return act(r);
    }

    private void assignOutputs(int k) {
        int b = builtin(k);
        OpDef op = ops.get(k);
        Kind kind = KINDS.get(b);
        for (int t : op.outputs()) {
            if (t < 0 || !isFloat(t)) continue;
            Quant q = switch (kind) {
                case FIXED -> fixed(b);
                case SAME -> {
                    int d = op.inputs()[dataInput(b)];
                    yield isConst(d) ? act(constRange(d)) : paramsOf(d);
                }
                case UNIFY -> {
                    Range u = range(t);
                    Quant p = act(u);
                    unifyParams.put(k, p);
                    yield p;
                }
                default -> act(range(t));
            };
            assigned.put(t, q);
        }
    }

    // ------------------------------------------------------------------------------------------------ emission

    private int[] newInputs, newOutputs;

    /** Which version of t carries its name: the one at the boundary, or the one its producer writes. */
    private byte namedVersion(int t) {
        boolean boundary = graphOutputs.contains(t) || graphInputs.contains(t);
        if (boundary && isFloatAct(t)) {
            return switch (opt.io()) {
                case FLOAT32 -> TensorType.FLOAT32;
                case INT8 -> TensorType.INT8;
                case UINT8 -> TensorType.UINT8;
            };
        }
        return assigned.containsKey(t) ? actType : t(t).type();
    }

    private String nameFor(int t, byte type) {
        String n = t(t).name();
        if (namedVersion(t) == type) return n;
        String suffix = switch (type) {
            case TensorType.INT8 -> "_int8";
            case TensorType.INT16 -> "_int16";
            case TensorType.UINT8 -> "_uint8";
            default -> assigned.containsKey(t) ? "_dequant" : "_float";
        };
        String c = n + suffix;
        while (srcNames.contains(c)) c = c + "_";
        return c;
    }

    private int newTensor(int t, byte type, Quant q) {
        TensorDef d = t(t);
        return dst.addTensor(nameFor(t, type), type, d.shape(), d.shapeSignature(), null, q);
    }

    private static Quant uint8(Quant q) { return new Quant(q.scale(), new long[] {q.zeroPoint()[0] + 128}, 0); }

    private void emit() {
        newInputs = new int[srcInputs.length];
        for (int i = 0; i < srcInputs.length; i++) {
            int t = srcInputs[i];
            if (!isFloatAct(t) || opt.io() == IoType.FLOAT32) {
                newInputs[i] = same(t);
            } else if (opt.io() == IoType.INT8) {
                qT[t] = newTensor(t, TensorType.INT8, assigned.get(t));
                newInputs[i] = qT[t];
            } else {
                int u = newTensor(t, TensorType.UINT8, uint8(assigned.get(t)));
                qT[t] = newTensor(t, TensorType.INT8, assigned.get(t));
                dst.addOp(BuiltinOperator.QUANTIZE, 1, new int[] {u}, new int[] {qT[t]}, (byte) 0, null);
                newInputs[i] = u;
            }
        }
        for (int k = 0; k < ops.size(); k++) {
            if (int8Op[k]) emitInt8(k);
            else emitFloat(k);
        }
        newOutputs = new int[srcOutputs.length];
        for (int i = 0; i < srcOutputs.length; i++) {
            int t = srcOutputs[i];
            if (!isFloatAct(t)) {
                newOutputs[i] = same(t);
                continue;
            }
            newOutputs[i] = switch (opt.io()) {
                case FLOAT32 -> f(t);
                case INT8 -> q(t);
                case UINT8 -> {
                    String key = "u8:" + t;
                    Integer c = cache.get(key);
                    if (c != null) yield c;
                    int u = newTensor(t, TensorType.UINT8, uint8(paramsOf(t)));
                    dst.addOp(BuiltinOperator.QUANTIZE, 1, new int[] {q(t)}, new int[] {u}, (byte) 0, null);
                    cache.put(key, u);
                    yield u;
                }
            };
        }
    }

    /** t in its own (non-quantized) form: a copy of the tensor (constants keep their data). */
    int same(int t) {
        if (t < 0) return t;
        if (fT[t] >= 0) return fT[t];
        if (assigned.containsKey(t) && !isConst(t)) return f(t);
        TensorDef d = t(t);
        ByteBuffer data = d.buffer() != 0 ? src.bufferData(d.buffer()) : null;
        fT[t] = dst.addTensor(nameFor(t, d.type()), d.type(), d.shape(), d.shapeSignature(), data, d.quant());
        return fT[t];
    }

    /** The float32 version of activation t (DEQUANTIZE of its int8 version when an int8 op writes it). */
    int f(int t) {
        if (fT[t] >= 0) return fT[t];
        if (!assigned.containsKey(t)) return same(t);
        int qi = q(t);
        int out = newTensor(t, TensorType.FLOAT32, null);
        dst.addOp(BuiltinOperator.DEQUANTIZE, a16 ? 3 : 2, new int[] {qi}, new int[] {out}, (byte) 0, null);
        fT[t] = out;
        return out;
    }

    /** The int8 version of activation t (QUANTIZE of its float version when a float op writes it). */
    int q(int t) {
        if (qT[t] >= 0) return qT[t];
        if (assigned.containsKey(t)) {
            // written by its int8 producer (created on first use, before or at the producer)
            qT[t] = newTensor(t, actType, assigned.get(t));
            return qT[t];
        }
        int fi = same(t);
        int out = newTensor(t, actType, paramsOf(t));
        dst.addOp(BuiltinOperator.QUANTIZE, a16 ? 2 : 1, new int[] {fi}, new int[] {out}, (byte) 0, null);
        qT[t] = out;
        return out;
    }

    /** The int8 version of t with parameters p (requantized when its own differ). */
    int qWith(int t, Quant p) {
        if (isConst(t)) return constQ(t, p);
        if (sameParams(paramsOf(t), p)) return q(t);
        String key = "rq:" + t + ":" + p.scale()[0] + ":" + p.zeroPoint()[0];
        Integer c = cache.get(key);
        if (c != null) return c;
        TensorDef d = t(t);
        String n = d.name() + "_requant";
        while (srcNames.contains(n)) n += "_";
        int out = dst.addTensor(n, actType, d.shape(), d.shapeSignature(), null, p);
        dst.addOp(BuiltinOperator.QUANTIZE, a16 ? 2 : 1, new int[] {q(t)}, new int[] {out}, (byte) 0, null);
        cache.put(key, out);
        return out;
    }

    static boolean sameParams(Quant a, Quant b) {
        return a.scale()[0] == b.scale()[0] && a.zeroPoint()[0] == b.zeroPoint()[0];
    }

    private void emitFloat(int k) {
        OpDef op = ops.get(k);
        int[] in = new int[op.inputs().length];
        for (int i = 0; i < in.length; i++) {
            int t = op.inputs()[i];
            in[i] = t < 0 ? t : isFloatAct(t) ? f(t) : same(t);
        }
        int[] out = new int[op.outputs().length];
        for (int i = 0; i < out.length; i++) out[i] = same(op.outputs()[i]);
        dst.addOp(builtin(k), version(k), in, out, op.optionsType(), op.options());
    }

    private void emitInt8(int k) {
        int b = builtin(k);
        OpDef op = ops.get(k);
        Kind kind = KINDS.get(b);
        int[] src = op.inputs();
        int[] in = new int[src.length];
        byte optionsType = op.optionsType();
        TfliteModelBuilder.OptionsWriter options = op.options();
        int emitted = b;
        switch (kind) {
            case WEIGHTED -> {
                boolean tconv = b == BuiltinOperator.TRANSPOSE_CONV;
                int xi = tconv ? 2 : 0, wi = 1, bi = tconv ? 3 : 2;
                int x = src[xi];
                in[xi] = q(x);
                int axis = switch (b) {
                    case BuiltinOperator.CONV_2D, BuiltinOperator.TRANSPOSE_CONV -> opt.perChannel() ? 0 : -1;
                    case BuiltinOperator.DEPTHWISE_CONV_2D -> opt.perChannel() ? 3 : -1;
                    default -> opt.fcPerChannel() ? 0 : -1;
                };
                in[wi] = weights(src[wi], axis);
                float[] ws = dst.tensor(in[wi]).quant().scale();
                if (tconv) in[0] = same(src[0]);
                double[] shift = tconv ? null : weightRoundingShift(b, x, src[wi], in[wi]);
                if (shift != null) {
                    boolean has = src.length > bi && src[bi] >= 0;
                    float[] bv = has ? floats(src[bi]) : new float[shift.length];
                    if (bv.length == shift.length) {
                        for (int o = 0; o < bv.length; o++) bv[o] = (float) (bv[o] - shift[o]);
                        if (in.length <= bi) in = Arrays.copyOf(in, bi + 1);
                        String name = has ? t(src[bi]).name() : t(src[wi]).name() + "_bias";
                        in[bi] = bias(bv, name + "_corrected", new int[] {bv.length}, paramsOf(x).scale()[0], ws);
                        biasCorrected++;
                    } else if (src.length > bi) {
                        in[bi] = src[bi] < 0 ? src[bi] : bias(src[bi], paramsOf(x).scale()[0], ws);
                    }
                } else if (src.length > bi) {
                    in[bi] = src[bi] < 0 ? src[bi] : bias(src[bi], paramsOf(x).scale()[0], ws);
                }
                for (int i = 0; i < src.length; i++) if (i != xi && i != wi && i != bi && !(tconv && i == 0)) in[i] = same(src[i]);
            }
            case UNIFY -> {
                Quant p = unifyParams.get(k);
                for (int i = 0; i < src.length; i++) {
                    int t = src[i];
                    in[i] = t < 0 ? t : isFloat(t) ? qWith(t, p) : same(t);
                }
            }
            case SAME -> {
                int d = dataInput(b);
                Quant p = isConst(src[d]) ? act(constRange(src[d])) : paramsOf(src[d]);
                for (int i = 0; i < src.length; i++) {
                    int t = src[i];
                    in[i] = t < 0 ? t : isFloat(t) ? (isConst(t) ? constQ(t, p) : i == d ? q(t) : qWith(t, p)) : same(t);
                }
            }
            default -> {
                for (int i = 0; i < src.length; i++) {
                    int t = src[i];
                    if (b == BuiltinOperator.DIV && i == 1) continue;
                    in[i] = t < 0 ? t : !isFloat(t) ? same(t) : isConst(t) ? constQ(t, null) : q(t);
                }
                if (a16 && (b == BuiltinOperator.ADD || b == BuiltinOperator.SUB)) {
                    // 16x8: general (not power-of-two) int16 scales; TFLite 2.6's SUB needs this flag for them, and
                    // TF's quantizer sets it on both (op version ADD 3, SUB 5)
                    byte act = op.options() == null ? 0 : b == BuiltinOperator.ADD
                            ? AddOptions.getRootAsAddOptions(options(op)).fusedActivationFunction()
                            : SubOptions.getRootAsSubOptions(options(op)).fusedActivationFunction();
                    optionsType = b == BuiltinOperator.ADD ? BuiltinOptions.AddOptions : BuiltinOptions.SubOptions;
                    options = b == BuiltinOperator.ADD ? w -> AddOptions.createAddOptions(w, act, false)
                            : w -> SubOptions.createSubOptions(w, act, false);
                }
                if (b == BuiltinOperator.DIV) {
                    // x / c = x * (1 / c): TFLite has no int8 DIV
                    in[1] = reciprocal(src[1]);
                    emitted = BuiltinOperator.MUL;
                    byte act = DivOptions.getRootAsDivOptions(options(op)).fusedActivationFunction();
                    optionsType = BuiltinOptions.MulOptions;
                    options = w -> MulOptions.createMulOptions(w, act);
                }
            }
        }
        int[] out = new int[op.outputs().length];
        for (int i = 0; i < out.length; i++) {
            int t = op.outputs()[i];
            out[i] = t < 0 ? t : isFloat(t) ? q(t) : same(t);
        }
        if (b == BuiltinOperator.TILE && !a16 && isConst(src[1])) {
            tileAsConcat(in[0], constInts(src[1]), out[0]);
            return;
        }
        int version = Math.max(emitted == b ? version(k) : 1, a16 ? int16Version(emitted, in) : int8Version(emitted, in, out));
        dst.addOp(emitted, version, in, out, optionsType, options);
    }

    static ByteBuffer options(OpDef op) {
        FlatBufferBuilder fb = new FlatBufferBuilder(64);
        int off = op.options().write(fb);
        fb.finish(off);
        return fb.dataBuffer();
    }

    /**
     * The 16x8 op version, after TFLite's op_version.cc for int16 inputs and outputs. Its CONV_2D /
     * DEPTHWISE_CONV_2D / FULLY_CONNECTED rules look for int16 weights, which 16x8 does not have; these take the
     * versions that introduced their int16-activation kernels (4, 5, 7). Every version here loads in TFLite 2.6
     * (Int16OpsTest).
     */
    int int16Version(int b, int[] in) {
        return switch (b) {
            case BuiltinOperator.CONV_2D -> 4;
            case BuiltinOperator.DEPTHWISE_CONV_2D -> 5;
            case BuiltinOperator.FULLY_CONNECTED -> 7;
            case BuiltinOperator.TRANSPOSE_CONV -> in.length > 3 && in[3] >= 0 ? 3 : 2;
            case BuiltinOperator.SUB, BuiltinOperator.TRANSPOSE -> 5;
            case BuiltinOperator.MUL, BuiltinOperator.RESIZE_BILINEAR, BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, BuiltinOperator.SLICE,
                    BuiltinOperator.GATHER, BuiltinOperator.SPLIT, BuiltinOperator.MAXIMUM, BuiltinOperator.MINIMUM -> 4;
            case BuiltinOperator.ADD, BuiltinOperator.AVERAGE_POOL_2D, BuiltinOperator.MAX_POOL_2D, BuiltinOperator.PAD,
                    BuiltinOperator.PADV2, BuiltinOperator.CONCATENATION, BuiltinOperator.SOFTMAX, BuiltinOperator.MEAN,
                    BuiltinOperator.REDUCE_MAX, BuiltinOperator.REDUCE_MIN, BuiltinOperator.RELU6, BuiltinOperator.RELU,
                    BuiltinOperator.LOGISTIC, BuiltinOperator.TANH, BuiltinOperator.BROADCAST_TO -> 3;
            case BuiltinOperator.LEAKY_RELU -> 2;
            default -> 1;
        };
    }

    /**
     * int8 TILE as CONCATENATIONs of copies, one per axis with a multiple above 1 (all-ones multiples: one
     * single-input CONCATENATION): TFLite 2.6 has no int8 TILE kernel (TILE version 3 came later), CONCATENATION v2
     * with one scale on every input and the output is exact, and it is on the Edge TPU's list where TILE is not.
     */
    private void tileAsConcat(int x, long[] multiples, int out) {
        TensorDef xd = dst.tensor(x), od = dst.tensor(out);
        int[] shape = xd.shape().clone();
        int cur = x;
        List<Integer> axes = new ArrayList<>();
        for (int a = 0; a < multiples.length; a++) if (multiples[a] > 1) axes.add(a);
        if (axes.isEmpty()) axes.add(0);
        for (int j = 0; j < axes.size(); j++) {
            int a = axes.get(j);
            int m = (int) Math.max(1, multiples[a]);
            int[] copies = new int[m];
            Arrays.fill(copies, cur);
            int next;
            if (j == axes.size() - 1) {
                next = out;
            } else {
                shape[a] *= m;
                String n = od.name() + "_tile" + a;
                while (srcNames.contains(n)) n += "_";
                next = dst.addTensor(n, xd.type(), shape.clone(), null, null, xd.quant());
            }
            final int axis = a;
            dst.addOp(BuiltinOperator.CONCATENATION, 2, copies, new int[] {next}, BuiltinOptions.ConcatenationOptions,
                    w -> tflite.ConcatenationOptions.createConcatenationOptions(w, axis, tflite.ActivationFunctionType.NONE));
            cur = next;
        }
    }

    /** An int32 or int64 constant's values. */
    long[] constInts(int i) {
        ByteBuffer bb = src.bufferData(t(i).buffer()).duplicate().order(ByteOrder.LITTLE_ENDIAN);
        boolean i64 = t(i).type() == TensorType.INT64;
        long[] r = new long[bb.remaining() / (i64 ? 8 : 4)];
        for (int k = 0; k < r.length; k++) r[k] = i64 ? bb.getLong() : bb.getInt();
        return r;
    }

    /** The int8 op version (TFLite op_version.cc) of an op with these dst tensors. */
    int int8Version(int b, int[] in, int[] out) {
        return switch (b) {
            case BuiltinOperator.CONV_2D, BuiltinOperator.DEPTHWISE_CONV_2D -> 3;
            case BuiltinOperator.FULLY_CONNECTED -> 4;
            case BuiltinOperator.TILE, BuiltinOperator.BROADCAST_TO -> 3;
            case BuiltinOperator.MUL -> {
                float s1 = dst.tensor(in[0]).quant().scale()[0], s2 = dst.tensor(in[1]).quant().scale()[0];
                float so = dst.tensor(out[0]).quant().scale()[0];
                yield (double) s1 * s2 / so >= 1.0 ? 3 : 2;
            }
            case BuiltinOperator.TRANSPOSE_CONV, BuiltinOperator.ADD, BuiltinOperator.SUB, BuiltinOperator.AVERAGE_POOL_2D,
                    BuiltinOperator.MAX_POOL_2D, BuiltinOperator.TRANSPOSE, BuiltinOperator.GATHER, BuiltinOperator.SPLIT,
                    BuiltinOperator.SPLIT_V, BuiltinOperator.SLICE, BuiltinOperator.STRIDED_SLICE, BuiltinOperator.PAD,
                    BuiltinOperator.PADV2, BuiltinOperator.MIRROR_PAD, BuiltinOperator.CONCATENATION, BuiltinOperator.SOFTMAX,
                    BuiltinOperator.MEAN, BuiltinOperator.REDUCE_MAX, BuiltinOperator.REDUCE_MIN, BuiltinOperator.RELU6,
                    BuiltinOperator.RSQRT, BuiltinOperator.RELU, BuiltinOperator.LOGISTIC, BuiltinOperator.TANH,
                    BuiltinOperator.ARG_MAX, BuiltinOperator.ARG_MIN, BuiltinOperator.RESIZE_BILINEAR,
                    BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, BuiltinOperator.MAXIMUM, BuiltinOperator.MINIMUM, BuiltinOperator.PACK,
                    BuiltinOperator.UNPACK, BuiltinOperator.SPACE_TO_DEPTH, BuiltinOperator.DEPTH_TO_SPACE, BuiltinOperator.SUM,
                    BuiltinOperator.LOG_SOFTMAX, BuiltinOperator.SQUARED_DIFFERENCE, BuiltinOperator.L2_NORMALIZATION,
                    BuiltinOperator.SPACE_TO_BATCH_ND, BuiltinOperator.BATCH_TO_SPACE_ND, BuiltinOperator.ABS -> 2;
            default -> 1;
        };
    }

    // ------------------------------------------------------------------------------------------------ constants

    /** Symmetric int8 weights, per channel along axis (or per tensor for axis -1). */
    int weights(int w, int axis) {
        String key = "w:" + w + ":" + axis;
        Integer c = cache.get(key);
        TensorDef d = t(w);
        int[] shape = d.shape();
        if (c != null) return c;
        float[] v = floats(w);
        int channels = axis < 0 ? 1 : shape[axis];
        int inner = 1;
        if (axis >= 0) for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
        float[] max = new float[channels];
        for (int i = 0; i < v.length; i++) {
            int ch = axis < 0 ? 0 : (i / inner) % channels;
            max[ch] = Math.max(max[ch], Math.abs(v[i]));
        }
        float[] scales = new float[channels];
        for (int ch = 0; ch < channels; ch++) scales[ch] = max[ch] > 0 ? max[ch] / 127f : 1f;
        ByteBuffer data = ByteBuffer.allocate(v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.length; i++) {
            int ch = axis < 0 ? 0 : (i / inner) % channels;
            long qv = Math.round(v[i] / scales[ch]);
            data.put((byte) Math.max(-127, Math.min(127, qv)));
        }
        data.flip();
        Quant q = new Quant(scales, new long[channels], Math.max(axis, 0));
        String n = d.name() + "_int8";
        while (srcNames.contains(n)) n += "_";
        int r = dst.addTensor(n, TensorType.INT8, shape, d.shapeSignature(), data, q);
        cache.put(key, r);
        return r;
    }

    /**
     * The expected output shift per output channel that rounding the weights of op b (input x, float weights w,
     * int8 weights wq) causes on the calibration data: sum over (dequantized wq - w) * mean(x). Null when x has no
     * measured means or the shapes do not match (grouped convolutions).
     */
    double[] weightRoundingShift(int b, int x, int w, int wq) {
        double[] mu = channelMeans.get(x);
        if (mu == null) return null;
        float[] v = floats(w);
        int[] shape = t(w).shape();
        TensorDef qd = dst.tensor(wq);
        ByteBuffer qb = dst.bufferData(qd.buffer());
        float[] sc = qd.quant().scale();
        int n = v.length;
        if (qb.remaining() != n) return null;
        double[] shift;
        if (b == BuiltinOperator.DEPTHWISE_CONV_2D) {
            // [1, kh, kw, O], O = I * multiplier, channel o reads input channel o / multiplier
            int o = shape[shape.length - 1];
            if (o % mu.length != 0) return null;
            int mult = o / mu.length;
            shift = new double[o];
            for (int i = 0; i < n; i++) {
                int c = i % o;
                double dq = qb.get(qb.position() + i) * sc[sc.length == 1 ? 0 : c];
                shift[c] += (dq - v[i]) * mu[c / mult];
            }
        } else {
            // CONV_2D [O, kh, kw, I], FULLY_CONNECTED [O, K]: the input channel is the last axis
            int o = shape[0], inner = n / o, ic = shape[shape.length - 1];
            if (ic != mu.length) return null;
            shift = new double[o];
            for (int i = 0; i < n; i++) {
                int c = i / inner;
                double dq = qb.get(qb.position() + i) * sc[sc.length == 1 ? 0 : c];
                shift[c] += (dq - v[i]) * mu[i % ic];
            }
        }
        return shift;
    }

    /** int32 bias with scale inScale * wScale[c] per channel, zero point 0. */
    int bias(int b, float inScale, float[] wScales) {
        return bias(floats(b), t(b).name(), t(b).shape(), inScale, wScales);
    }

    /** int32 bias from float values v, named after name (+ "_int32"). */
    int bias(float[] v, String baseName, int[] shape, float inScale, float[] wScales) {
        int n = v.length;
        float[] scales = new float[n];
        for (int i = 0; i < n; i++) scales[i] = inScale * wScales[wScales.length == 1 ? 0 : i];
        String key = "b:" + baseName + ":" + Arrays.hashCode(v) + ":" + Arrays.hashCode(scales);
        Integer c = cache.get(key);
        if (c != null && Arrays.equals(dst.tensor(c).quant().scale(), scales)) return c;
        if (wScales.length != 1 && wScales.length != n)
            throw new ConversionException("bias '" + baseName + "' has " + n + " values for " + wScales.length + " weight channels");
        ByteBuffer data = ByteBuffer.allocate(n * (a16 ? 8 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            double qv = Math.rint(v[i] / (double) scales[i]);
            // 16x8: int64 biases (the int16 CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED / TRANSPOSE_CONV kernels' type)
            if (a16) data.putLong((long) Math.max(-0x1p62, Math.min(0x1p62, qv)));
            else data.putInt((int) Math.max(Integer.MIN_VALUE + 1, Math.min(Integer.MAX_VALUE, qv)));
        }
        data.flip();
        boolean perChannel = wScales.length != 1;
        Quant q = perChannel ? new Quant(scales, new long[n], 0) : new Quant(new float[] {scales[0]}, new long[1], 0);
        String name = baseName + (a16 ? "_int64" : "_int32");
        while (srcNames.contains(name)) name += "_";
        int r = dst.addTensor(name, a16 ? TensorType.INT64 : TensorType.INT32, shape, null, data, q);
        cache.put(key, r);
        return r;
    }

    /** An int8 constant, asymmetric per tensor, with parameters p (or its own range's when p is null). */
    int constQ(int t, Quant p) {
        Quant qp = p != null ? p : act(constRange(t));
        String key = "c:" + t + ":" + qp.scale()[0] + ":" + qp.zeroPoint()[0];
        Integer c = cache.get(key);
        if (c != null) return c;
        float[] v = floats(t);
        ByteBuffer data = quantized(v, qp);
        TensorDef d = t(t);
        String n = d.name() + (a16 ? "_int16" : "_int8");
        while (srcNames.contains(n)) n += "_";
        int r = dst.addTensor(n, actType, d.shape(), d.shapeSignature(), data.capacity() == 0 ? null : data, qp);
        cache.put(key, r);
        return r;
    }

    /** 1 / c as an int8 constant (for DIV by c). */
    int reciprocal(int t) {
        String key = "recip:" + t;
        Integer c = cache.get(key);
        if (c != null) return c;
        float[] v = floats(t);
        double lo = 0, hi = 0;
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) { r[i] = 1f / v[i]; lo = Math.min(lo, r[i]); hi = Math.max(hi, r[i]); }
        Quant qp = act(new Range(lo, hi));
        ByteBuffer data;
        if (a16) {
            data = quantized(r, qp);
        } else {
            data = ByteBuffer.allocate(v.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : r) data.put((byte) Math.max(-128, Math.min(127, Math.round(f / qp.scale()[0]) + qp.zeroPoint()[0])));
            data.flip();
        }
        TensorDef d = t(t);
        String n = d.name() + (a16 ? "_reciprocal_int16" : "_reciprocal_int8");
        while (srcNames.contains(n)) n += "_";
        int res = dst.addTensor(n, actType, d.shape(), d.shapeSignature(), data, qp);
        cache.put(key, res);
        return res;
    }

    /** v quantized with per-tensor parameters p to the activation type (int8, or int16 in [-32767, 32767]). */
    ByteBuffer quantized(float[] v, Quant p) {
        double s = p.scale()[0];
        long zp = p.zeroPoint()[0];
        ByteBuffer data = ByteBuffer.allocate(v.length * (a16 ? 2 : 1)).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            if (a16) data.putShort((short) Math.max(-32767, Math.min(32767, Math.round(f / s))));
            else data.put((byte) Math.max(-128, Math.min(127, Math.round(f / s) + zp)));
        }
        data.flip();
        return data;
    }

    static final class Tensor {
        static long numel(int[] s) {
            long n = 1;
            for (int d : s) n *= d;
            return n;
        }
    }

    /** Debug summary: op counts by (name, int8 or float). */
    public static Map<String, Integer> opSummary(TfliteModelBuilder mb) {
        Map<String, Integer> r = new LinkedHashMap<>();
        List<int[]> codes = mb.opcodes();
        for (OpDef o : mb.operators()) {
            int[] c = codes.get(o.opcodeIndex());
            r.merge(opName(c[0]) + " v" + c[1], 1, Integer::sum);
        }
        return r;
    }
}
