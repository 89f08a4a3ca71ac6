package dev.onnxport.backends.tflite;

import dev.onnxport.backends.tflite.TfliteModelBuilder.OptionsWriter;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ops.Shapes;
import tflite.AddOptions;
import tflite.ActivationFunctionType;
import tflite.BuiltinOperator;
import tflite.BuiltinOptions;
import tflite.CastOptions;
import tflite.DivOptions;
import tflite.MulOptions;
import tflite.ReshapeOptions;
import tflite.ShapeOptions;
import tflite.SubOptions;
import tflite.TensorType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Emission helper for the element-wise lowerings of one node: typed tensor handles, scalar constants, casts,
 * and binary/n-ary ops with numpy broadcasting made safe for TFLite 2.6 (whose broadcasting kernels handle at
 * most 4 dimensions: higher ranks are collapsed by merging dims that broadcast alike, or materialised with
 * BROADCAST_TO and flattened). Op versions are the lowest that express the dtypes (TFLite op_version.cc).
 */
final class TfliteElementwiseEmit {
    /** A TFLite tensor with its element type, its (possibly symbolic) shape, and its data when constant. */
    record T(int id, DType dt, Shape shape, Tensor constant) {
        int rank() { return shape.rank(); }
    }

    /** Max rank of TFLite 2.6's broadcasting reference kernels (NdArrayDesc<4>). */
    static final int MAX_BCAST_RANK = 4;

    final LowerContext c;
    final Node n;
    private final Map<String, T> scalars = new HashMap<>();

    TfliteElementwiseEmit(LowerContext c, Node n) {
        this.c = c;
        this.n = n;
    }

    // ------------------------------------------------------------------ handles

    T in(int i) {
        Value v = n.input(i);
        if (v == null) throw new ConversionException("input " + i + " is missing");
        return new T(c.tensor(v), v.dtype(), Shapes.requireShape(v), v.constant());
    }

    T out(int i) {
        Value v = n.output(i);
        return new T(c.tensor(v), v.dtype(), Shapes.requireShape(v), null);
    }

    Value outValue() { return n.output(0); }

    boolean isGraphOutput(Value v) { return n.graph() != null && n.graph().outputs().contains(v); }

    T temp(DType dt, Shape s, String hint) {
        return new T(c.temp(dt, staticDims(s), n.name() + "_" + hint), dt, s, null);
    }

    static long[] staticDims(Shape s) {
        long[] r = new long[s.rank()];
        for (int i = 0; i < r.length; i++) r[i] = s.dim(i).isKnown() ? s.dim(i).value() : 1;
        return r;
    }

    T constant(Tensor t, String hint) { return new T(c.constant(t, n.name() + "_" + hint), t.dtype(), Shape.of(t.shape()), t); }

    /** A rank-0 constant of the given type (cached per node). */
    T scalar(DType dt, double v) {
        String key = dt + ":" + Double.doubleToLongBits(v);
        T t = scalars.get(key);
        if (t == null) {
            Tensor x = dt.isFloat() ? Tensor.fromDoubles(dt, new long[0], new double[] {v}) : Tensor.fromLongs(dt, new long[0], new long[] {(long) v});
            t = constant(x, "c");
            scalars.put(key, t);
        }
        return t;
    }

    T f(double v) { return scalar(DType.FLOAT32, v); }

    // ------------------------------------------------------------------ dtype checks

    /** Throws for element types that TFLite 2.6 kernels and this converter cannot handle at all. */
    static void requireSupported(DType t, String what) {
        switch (t) {
            case FLOAT32, INT32, INT64, INT16, INT8, UINT8, BOOL -> { }
            case FLOAT16 -> throw new ConversionException(what + ": float16 activations are not supported by the TFLite 2.6 kernels");
            case FLOAT64 -> throw new ConversionException(what + ": float64 is not supported by the TFLite 2.6 kernels");
            case BFLOAT16 -> throw new ConversionException(what + ": bfloat16 is not supported by TFLite");
            case STRING -> throw new ConversionException(what + ": string tensors are not supported");
            default -> throw new ConversionException(what + ": " + t + " tensors are not supported by the TFLite 2.6 kernels");
        }
    }

    static void requireFloat(DType t, String what) {
        requireSupported(t, what);
        if (t != DType.FLOAT32) throw new ConversionException(what + ": TFLite has no " + t + " kernel for this op (float32 only)");
    }

    // ------------------------------------------------------------------ op emission

    void op(int builtin, int version, T[] ins, T out) { op(builtin, version, ins, out, (byte) 0, null); }

    void op(int builtin, int version, T[] ins, T out, byte optType, OptionsWriter w) {
        int[] ii = new int[ins.length];
        for (int i = 0; i < ins.length; i++) ii[i] = ins[i] == null ? -1 : ins[i].id;
        c.op(builtin, version, ii, new int[] {out.id}, optType, w);
    }

    /** Unary op into dst (a new temp of x's type and shape when dst is null). */
    T unary(int builtin, T x, T dst) { return unary(builtin, x, dst, (byte) 0, null); }

    T unary(int builtin, T x, T dst, byte optType, OptionsWriter w) {
        T o = dst != null ? dst : temp(x.dt, x.shape, opName(builtin));
        op(builtin, version(builtin, x.dt, o.dt), new T[] {x}, o, optType, w);
        return o;
    }

    /** CAST to dt (constants are converted at conversion time; same type returns x). */
    T cast(T x, DType dt) {
        if (x.dt == dt) return x;
        if (x.constant != null) return constant(x.constant.cast(dt), "cast");
        return castInto(x, temp(dt, x.shape, "cast"));
    }

    /**
     * CAST x into dst. TFLite 2.6's CAST has no int8 kernel (int8 came with CAST v3 in 2.7), so int8 goes through
     * DEQUANTIZE/QUANTIZE with scale 1 and zero point 0, which is exact for every int8 value; values stored into
     * int8 wrap modulo 256 first, as a C cast does.
     */
    T castInto(T x, T dst) {
        if (x.dt == DType.INT8 && dst.dt != DType.INT8) {
            T q = quantizedView(x);
            T f = dst.dt == DType.FLOAT32 ? dst : temp(DType.FLOAT32, x.shape, "deq");
            op(BuiltinOperator.DEQUANTIZE, 2, new T[] {q}, f);
            if (f == dst) return dst;
            if (dst.dt == DType.INT32 || dst.dt == DType.BOOL) return castInto(f, dst);
            return castInto(castInto(f, temp(DType.INT32, x.shape, "cast")), dst);
        }
        if (dst.dt == DType.INT8 && x.dt != DType.INT8) {
            T v = x;
            if (x.dt != DType.BOOL) {
                if (x.dt != DType.INT32) v = castInto(x, temp(DType.INT32, x.shape, "cast"));
                // wrap to [-128, 127]: ((v + 128) floor_mod 256) - 128
                T m = binary(BuiltinOperator.FLOOR_MOD, add(v, scalar(DType.INT32, 128), null), scalar(DType.INT32, 256), null);
                v = sub(m, scalar(DType.INT32, 128), null);
            }
            T f = castInto(v, temp(DType.FLOAT32, x.shape, "f"));
            T q = new T(c.model().addTensor(n.name() + "_q", TensorType.INT8, LowerContext.toInt(staticDims(x.shape)), null, null, UNIT_QUANT),
                    DType.INT8, x.shape, null);
            op(BuiltinOperator.QUANTIZE, 1, new T[] {f}, q);
            copyInto(q, dst);
            return dst;
        }
        byte it = LowerContext.tfliteType(x.dt), ot = LowerContext.tfliteType(dst.dt);
        op(BuiltinOperator.CAST, version(BuiltinOperator.CAST, x.dt, dst.dt), new T[] {x}, dst, BuiltinOptions.CastOptions,
                b -> CastOptions.createCastOptions(b, it, ot));
        return dst;
    }

    private static final TfliteModelBuilder.Quant UNIT_QUANT = new TfliteModelBuilder.Quant(new float[] {1f}, new long[] {0}, 0);

    /** x's int8 data in a tensor that carries scale 1 / zero point 0 (a RESHAPE copy), for DEQUANTIZE. */
    private T quantizedView(T x) {
        T q = new T(c.model().addTensor(n.name() + "_q", TensorType.INT8, LowerContext.toInt(staticDims(x.shape)), null, null, UNIT_QUANT),
                DType.INT8, x.shape, null);
        copyInto(x, q);
        return q;
    }

    /** RESHAPE x to a static shape (constants are reshaped at conversion time). */
    T reshape(T x, long[] shape) {
        if (Arrays.equals(staticOrNull(x.shape), shape)) return x;
        if (x.constant != null) return constant(x.constant.reshape(shape), "r");
        T o = temp(x.dt, Shape.of(shape), "reshape");
        reshapeInto(x, o, shape);
        return o;
    }

    void reshapeInto(T x, T dst, long[] shape) {
        int[] s = LowerContext.toInt(shape);
        T sh = constant(Tensor.ofInts(new long[] {s.length}, s), "shape");
        op(BuiltinOperator.RESHAPE, 1, new T[] {x, sh}, dst, BuiltinOptions.ReshapeOptions,
                b -> ReshapeOptions.createReshapeOptions(b, ReshapeOptions.createNewShapeVector(b, s)));
    }

    /**
     * A copy of x into dst that TFLite accepts as an operator: RESHAPE to its own shape, given as a constant (with -1
     * for a single symbolic dim) so that TFLite knows the output shape before the run; only with several symbolic
     * dims is the shape taken from SHAPE(x) at run time.
     */
    void copyInto(T x, T dst) {
        long[] s = staticOrNull(dst.shape);
        if (s != null) {
            reshapeInto(x, dst, s);
            return;
        }
        int unknown = 0;
        long[] withMinus = new long[dst.rank()];
        for (int i = 0; i < withMinus.length; i++) {
            if (dst.shape.dim(i).isKnown()) withMinus[i] = dst.shape.dim(i).value();
            else { withMinus[i] = -1; unknown++; }
        }
        if (unknown == 1) {
            int[] si = new int[withMinus.length];
            for (int i = 0; i < si.length; i++) si[i] = (int) withMinus[i];
            T sh = constant(Tensor.ofInts(new long[] {si.length}, si), "shape");
            op(BuiltinOperator.RESHAPE, 1, new T[] {x, sh}, dst, BuiltinOptions.ReshapeOptions,
                    b -> ReshapeOptions.createReshapeOptions(b, ReshapeOptions.createNewShapeVector(b, si)));
            return;
        }
        T shp = temp(DType.INT32, Shape.of(dst.rank()), "shape");
        op(BuiltinOperator.SHAPE, 1, new T[] {x}, shp, BuiltinOptions.ShapeOptions, b -> ShapeOptions.createShapeOptions(b, TensorType.INT32));
        op(BuiltinOperator.RESHAPE, 1, new T[] {x, shp}, dst);
    }

    /** Makes the node's output carry x: an alias when it is internal, a copy when it is a graph output. */
    void result(T x) {
        Value o = outValue();
        if (!isGraphOutput(o) && !c.hasTensor(o) && x.constant == null) {
            c.alias(o, x.id);
            return;
        }
        copyInto(x, out(0));
    }

    static long[] staticOrNull(Shape s) { return s.isStatic() ? s.toArray() : null; }

    // ------------------------------------------------------------------ broadcasting ops

    /** Binary op with numpy broadcasting; dst null = new temp of type outDt. */
    T binary(int builtin, T a, T b, DType outDt, T dst) { return nary(builtin, List.of(a, b), outDt, dst, (byte) 0, null); }

    T binary(int builtin, T a, T b, T dst) { return binary(builtin, a, b, a.dt, dst); }

    T add(T a, T b, T dst) {
        return nary(BuiltinOperator.ADD, List.of(a, b), a.dt, dst, BuiltinOptions.AddOptions,
                w -> AddOptions.createAddOptions(w, ActivationFunctionType.NONE, true));
    }

    T sub(T a, T b, T dst) {
        return nary(BuiltinOperator.SUB, List.of(a, b), a.dt, dst, BuiltinOptions.SubOptions,
                w -> SubOptions.createSubOptions(w, ActivationFunctionType.NONE, true));
    }

    T mul(T a, T b, T dst) {
        return nary(BuiltinOperator.MUL, List.of(a, b), a.dt, dst, BuiltinOptions.MulOptions,
                w -> MulOptions.createMulOptions(w, ActivationFunctionType.NONE));
    }

    T div(T a, T b, T dst) {
        return nary(BuiltinOperator.DIV, List.of(a, b), a.dt, dst, BuiltinOptions.DivOptions,
                w -> DivOptions.createDivOptions(w, ActivationFunctionType.NONE));
    }

    T max(T a, T b, T dst) { return binary(BuiltinOperator.MAXIMUM, a, b, dst); }

    T min(T a, T b, T dst) { return binary(BuiltinOperator.MINIMUM, a, b, dst); }

    T cmp(int builtin, T a, T b, T dst) { return binary(builtin, a, b, DType.BOOL, dst); }

    T select(T cond, T x, T y, T dst) { return nary(BuiltinOperator.SELECT_V2, List.of(cond, x, y), x.dt, dst, (byte) 0, null); }

    /**
     * An element-wise TFLite op over broadcast inputs. Up to rank 4 TFLite broadcasts itself; beyond, dims that
     * broadcast alike are merged (RESHAPE) and, if that is still above rank 4, inputs are materialised with
     * BROADCAST_TO and flattened.
     */
    T nary(int builtin, List<T> ins, DType outDt, T dst, byte optType, OptionsWriter w) {
        Shape outShape = null;
        for (T t : ins) outShape = outShape == null ? t.shape : Shapes.broadcast(outShape, t.shape);
        if (dst != null && dst.rank() != outShape.rank()) throw new IllegalStateException("broadcast rank mismatch");
        T o = dst != null ? dst : temp(outDt, outShape, opName(builtin));
        int version = version(builtin, ins.get(builtin == BuiltinOperator.SELECT_V2 ? 1 : 0).dt, outDt);
        boolean allSame = true;
        for (T t : ins) allSame &= t.shape.equals(outShape);
        boolean static_ = outShape.isStatic();
        for (T t : ins) static_ &= t.shape.isStatic();
        if (outShape.rank() <= MAX_BCAST_RANK || (!static_ && allSame && builtin != BuiltinOperator.PRELU)) {
            op(builtin, version, ins.toArray(new T[0]), o, optType, w);
            return o;
        }
        if (!static_) throw new ConversionException("broadcasting above rank 4 needs static shapes, got " + outShape);
        long[] out = outShape.toArray();
        List<long[]> padded = new ArrayList<>();
        for (T t : ins) padded.add(pad(t.shape.toArray(), out.length));
        // group consecutive dims by which inputs are broadcast along them (dims of size 1 are dropped)
        List<long[]> groups = new ArrayList<>(); // per group: out size, then per input its size
        int prevMask = -1;
        for (int d = 0; d < out.length; d++) {
            if (out[d] == 1) continue;
            int mask = 0;
            for (int k = 0; k < ins.size(); k++) if (padded.get(k)[d] != 1) mask |= 1 << k;
            if (mask == prevMask) {
                long[] g = groups.get(groups.size() - 1);
                g[0] *= out[d];
                for (int k = 0; k < ins.size(); k++) g[k + 1] *= padded.get(k)[d];
            } else {
                long[] g = new long[ins.size() + 1];
                g[0] = out[d];
                for (int k = 0; k < ins.size(); k++) g[k + 1] = padded.get(k)[d];
                groups.add(g);
                prevMask = mask;
            }
        }
        if (groups.isEmpty()) groups.add(filled(ins.size() + 1, 1));
        int r = groups.size();
        long[] cout = new long[r];
        for (int i = 0; i < r; i++) cout[i] = groups.get(i)[0];
        List<T> cins = new ArrayList<>();
        if (r <= MAX_BCAST_RANK) {
            for (int k = 0; k < ins.size(); k++) {
                long[] cs = new long[r];
                for (int i = 0; i < r; i++) cs[i] = groups.get(i)[k + 1];
                cins.add(reshape(ins.get(k), cs));
            }
        } else {
            long numel = Tensor.numel(cout);
            for (int k = 0; k < ins.size(); k++) {
                long[] cs = new long[r];
                for (int i = 0; i < r; i++) cs[i] = groups.get(i)[k + 1];
                T x = reshape(ins.get(k), cs);
                if (!Arrays.equals(cs, cout)) x = broadcastTo(x, cout);
                cins.add(reshape(x, new long[] {numel}));
            }
            cout = new long[] {numel};
        }
        T tmp = temp(outDt, Shape.of(cout), opName(builtin));
        op(builtin, version, cins.toArray(new T[0]), tmp, optType, w);
        reshapeInto(tmp, o, out);
        return o;
    }

    T broadcastTo(T x, long[] shape) {
        int[] s = LowerContext.toInt(shape);
        T sh = constant(Tensor.ofInts(new long[] {s.length}, s), "bshape");
        T o = temp(x.dt, Shape.of(shape), "bcast");
        op(BuiltinOperator.BROADCAST_TO, version(BuiltinOperator.BROADCAST_TO, x.dt, x.dt), new T[] {x, sh}, o);
        return o;
    }

    private static long[] pad(long[] s, int r) {
        long[] p = filled(r, 1);
        System.arraycopy(s, 0, p, r - s.length, s.length);
        return p;
    }

    private static long[] filled(int n, long v) {
        long[] a = new long[n];
        Arrays.fill(a, v);
        return a;
    }

    // ------------------------------------------------------------------ versions

    /** The lowest TFLite builtin version for these input/output types (after TFLite's op_version.cc). */
    static int version(int op, DType in, DType out) {
        switch (op) {
            case BuiltinOperator.ADD:
            case BuiltinOperator.SUB:
                return in == DType.INT64 ? 4 : in == DType.INT8 ? 2 : 1;
            case BuiltinOperator.MUL:
                return in == DType.INT64 ? 5 : in == DType.INT16 ? 4 : in == DType.INT8 ? 2 : 1;
            case BuiltinOperator.MAXIMUM:
            case BuiltinOperator.MINIMUM:
                return in == DType.INT16 ? 4 : in == DType.INT8 ? 2 : 1;
            case BuiltinOperator.EQUAL:
                return in == DType.INT16 ? 4 : in == DType.STRING ? 3 : in == DType.INT8 ? 2 : 1;
            case BuiltinOperator.NOT_EQUAL:
                return in == DType.STRING ? 3 : in == DType.INT8 ? 2 : 1;
            case BuiltinOperator.LESS:
            case BuiltinOperator.GREATER_EQUAL:
                return in == DType.INT16 ? 3 : in == DType.INT8 ? 2 : 1;
            case BuiltinOperator.GREATER:
            case BuiltinOperator.LESS_EQUAL:
                return in == DType.INT8 ? 2 : 1;
            case BuiltinOperator.CAST:
                if (in == DType.UINT16 || out == DType.UINT16) return 4;
                if (in == DType.INT8 || out == DType.INT8) return 3;
                if (in == DType.UINT32 || out == DType.UINT32) return 2;
                return 1;
            case BuiltinOperator.FLOOR_DIV:
                return in == DType.INT8 || in == DType.INT16 ? 3 : in == DType.FLOAT32 ? 2 : 1;
            case BuiltinOperator.FLOOR_MOD:
                return in == DType.INT8 || in == DType.INT16 ? 2 : 1;
            case BuiltinOperator.BROADCAST_TO:
                return in == DType.INT8 || in == DType.INT16 ? 3 : 2;
            case BuiltinOperator.RELU:
                return in == DType.INT16 ? 3 : in == DType.INT8 || in == DType.UINT8 ? 2 : 1;
            case BuiltinOperator.ABS:
                return in == DType.INT32 ? 5 : in == DType.INT16 ? 4 : in == DType.INT8 || in == DType.UINT8 ? 2 : 1;
            case BuiltinOperator.TANH:
            case BuiltinOperator.LOGISTIC:
            case BuiltinOperator.RELU6:
            case BuiltinOperator.RSQRT:
                return in == DType.INT16 ? 3 : in == DType.INT8 ? 2 : 1;
            case BuiltinOperator.LEAKY_RELU:
                return in == DType.INT16 ? 2 : 1;
            case BuiltinOperator.SELECT_V2:
                return in == DType.UINT32 ? 2 : 1;
            case BuiltinOperator.EXP:
            case BuiltinOperator.LOG:
                return in == DType.INT8 || in == DType.INT16 ? 2 : 1;
            default:
                return 1;
        }
    }

    static String opName(int builtin) {
        String s = builtin >= 0 && builtin < BuiltinOperator.names.length ? BuiltinOperator.names[builtin] : "op";
        return s.toLowerCase(java.util.Locale.ROOT);
    }
}
