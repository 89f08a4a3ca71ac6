package dev.onnxport.backends.tflite;

import dev.onnxport.backends.tflite.TfliteModelBuilder.OptionsWriter;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Provenance;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import tflite.BuiltinOperator;
import tflite.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * What a {@link TfliteLowering} sees: TFLite tensors for IR values (created on first use; constants get their
 * buffer), temporaries, constants and operators. Float32 constants become float16 plus DEQUANTIZE when the
 * options ask for fp16, without the lowering having to know.
 */
public final class LowerContext {
    private final TfliteModelBuilder mb;
    private final TfliteOptions options;
    private final Map<Value, Integer> tensors = new IdentityHashMap<>();
    private Node current;

    LowerContext(TfliteModelBuilder mb, TfliteOptions options) {
        this.mb = mb;
        this.options = options;
    }

    public TfliteOptions options() { return options; }

    public TfliteModelBuilder model() { return mb; }

    void setCurrent(Node n) { this.current = n; }

    /** The TFLite tensor of node input i, or -1 when that optional input is absent. */
    public int in(Node n, int i) {
        Value v = n.input(i);
        return v == null ? -1 : tensor(v);
    }

    /** The TFLite tensor of node output i. */
    public int out(Node n, int i) { return tensor(n.output(i)); }

    /** The TFLite tensor carrying IR value v (created on first use). */
    public int tensor(Value v) {
        Integer t = tensors.get(v);
        if (t != null) return t;
        int idx = v.isConstant() ? constant(v.constant(), v.name()) : activation(v);
        tensors.put(v, idx);
        record(v, idx);
        return idx;
    }

    /** Notes in the model which ONNX tensor (and axis order) tensor idx carries, from v's provenance. */
    void record(Value v, int idx) {
        Provenance p = v.provenance();
        if (p != null && p.onnxName() != null) mb.recordProvenance(idx, p.onnxName(), p.isIdentity() ? null : p.perm());
    }

    /** Makes v be carried by an existing tensor (for ops that are no-ops in TFLite). */
    public void alias(Value v, int tensor) {
        if (tensors.containsKey(v)) throw new ConversionException("value '" + v.name() + "' already has a tensor");
        tensors.put(v, tensor);
        record(v, tensor);
    }

    public boolean hasTensor(Value v) { return tensors.containsKey(v); }

    /** Every IR value that has a tensor, with its tensor index. */
    Map<Value, Integer> valueTensors() { return java.util.Collections.unmodifiableMap(tensors); }

    private int activation(Value v) {
        if (v.shape() == null) throw new ConversionException("value '" + v.name() + "' has unknown shape");
        return mb.addTensor(v.name(), tfliteType(v.dtype()), staticShape(v.shape()), signature(v.shape()), null, null);
    }

    /** A new constant tensor holding t (float32 data is stored as float16 behind a DEQUANTIZE in fp16 mode). */
    public int constant(Tensor t, String hint) {
        DType dt = t.dtype();
        int[] shape = toInt(t.shape());
        if (dt == DType.STRING) throw new ConversionException("string constants are not supported by TFLite");
        if (options.fp16() && dt == DType.FLOAT32 && t.numel() >= 2) {
            ByteBuffer half = ByteBuffer.allocate(Math.toIntExact(t.numel() * 2)).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < t.numel(); i++) half.putShort(dev.onnxport.ir.Half.fromFloat((float) t.getDouble(i)));
            half.flip();
            int h = mb.addTensor(hint + "_fp16", TensorType.FLOAT16, shape, null, half, null);
            int f = mb.addTensor(hint, TensorType.FLOAT32, shape, null, null, null);
            mb.addOp(BuiltinOperator.DEQUANTIZE, 3, new int[] {h}, new int[] {f}, (byte) 0, null);
            return f;
        }
        return mb.addTensor(hint, tfliteType(dt), shape, null, t.data(), null);
    }

    public int constInt32(String hint, int... values) {
        return constant(Tensor.ofInts(new long[] {values.length}, values), hint);
    }

    public int constInt32(String hint, long[] shape, int... values) {
        return constant(Tensor.ofInts(shape, values), hint);
    }

    public int constFloat(String hint, long[] shape, float... values) {
        return constant(Tensor.ofFloats(shape, values), hint);
    }

    public int scalarFloat(String hint, float value) { return constFloat(hint, new long[0], value); }

    /**
     * A new intermediate tensor. A negative dim is only known at run time: it is written as 1 with -1 in the
     * shape signature (current LiteRT trusts a static shape that is declared without a signature).
     */
    public int temp(DType dtype, long[] shape, String hint) {
        int[] s = new int[shape.length];
        int[] sig = null;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                if (sig == null) sig = toInt(shape);
                s[i] = 1;
                sig[i] = -1;
            } else {
                s[i] = Math.toIntExact(shape[i]);
            }
        }
        return mb.addTensor(hint, tfliteType(dtype), s, sig, null, null);
    }

    public void op(int builtin, int version, int[] inputs, int[] outputs) { op(builtin, version, inputs, outputs, (byte) 0, null); }

    public void op(int builtin, int version, int[] inputs, int[] outputs, byte optionsType, OptionsWriter options) {
        mb.addOp(builtin, version, inputs, outputs, optionsType, options);
    }

    /** The static shape of v; throws a clear error when some dim is symbolic. */
    public long[] shape(Value v) {
        Shape s = v.shape();
        if (s == null) throw new ConversionException("shape of '" + v.name() + "' is unknown");
        if (!s.isStatic()) throw new ConversionException("shape of '" + v.name() + "' is dynamic " + s + "; fix it with --input-shape or --batch");
        return s.toArray();
    }

    /** The node being lowered (for naming helpers). */
    public Node current() { return current; }

    public static byte tfliteType(DType t) {
        return switch (t) {
            case FLOAT32 -> TensorType.FLOAT32;
            case FLOAT16 -> TensorType.FLOAT16;
            case INT32 -> TensorType.INT32;
            case UINT8 -> TensorType.UINT8;
            case INT64 -> TensorType.INT64;
            case BOOL -> TensorType.BOOL;
            case INT16 -> TensorType.INT16;
            case INT8 -> TensorType.INT8;
            case FLOAT64 -> TensorType.FLOAT64;
            case UINT64 -> TensorType.UINT64;
            case UINT32 -> TensorType.UINT32;
            case UINT16 -> TensorType.UINT16;
            case STRING -> TensorType.STRING;
            case BFLOAT16 -> throw new ConversionException("bfloat16 tensors are not supported by TFLite");
        };
    }

    static int[] staticShape(Shape s) {
        int[] r = new int[s.rank()];
        for (int i = 0; i < r.length; i++) {
            Dim d = s.dim(i);
            r[i] = d.isKnown() ? Math.toIntExact(d.value()) : 1;
        }
        return r;
    }

    static int[] signature(Shape s) {
        if (s.isStatic()) return null;
        int[] r = new int[s.rank()];
        for (int i = 0; i < r.length; i++) {
            Dim d = s.dim(i);
            r[i] = d.isKnown() ? Math.toIntExact(d.value()) : -1;
        }
        return r;
    }

    public static int[] toInt(long[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) r[i] = Math.toIntExact(a[i]);
        return r;
    }
}
