package dev.onnxport.backends.tflite;

import dev.onnxport.backends.tflite.TfliteModelBuilder.OptionsWriter;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import tflite.ActivationFunctionType;
import tflite.AddOptions;
import tflite.BuiltinOperator;
import tflite.BuiltinOptions;
import tflite.ConcatenationOptions;
import tflite.DivOptions;
import tflite.GatherNdOptions;
import tflite.GatherOptions;
import tflite.MulOptions;
import tflite.ReducerOptions;
import tflite.ScatterNdOptions;
import tflite.SelectOptions;
import tflite.SubOptions;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Small typed emission helpers for the index family's lowerings: every call writes one TFLite op and returns
 * its output as a {@link T} (tensor id, element type, static shape). A non-null {@code dest} makes the op write
 * into that tensor instead of a new temporary (used for the node's final op).
 */
final class TfliteIndexEmit {
    /** A TFLite tensor with its element type and static shape. */
    record T(int id, DType dt, long[] shape) {
        int rank() { return shape.length; }
        long numel() { return Tensor.numel(shape); }
    }

    final LowerContext c;
    final String hint;
    private int counter;

    TfliteIndexEmit(LowerContext c, Node n) {
        this.c = c;
        this.hint = n.output(0).name();
    }

    String name(String what) { return hint + "_" + what + "_" + (counter++); }

    // ------------------------------------------------------------------ tensors

    T in(Node n, int i) {
        Value v = n.input(i);
        return new T(c.in(n, i), v.dtype(), c.shape(v));
    }

    T out(Node n, int i) {
        Value v = n.output(i);
        return new T(c.out(n, i), v.dtype(), c.shape(v));
    }

    T temp(DType dt, long[] shape) { return new T(c.temp(dt, shape, name("t")), dt, shape.clone()); }

    T constant(Tensor t) { return new T(c.constant(t, name("c")), t.dtype(), t.shape()); }

    T i32(long[] shape, int... v) { return constant(Tensor.ofInts(shape, v)); }

    T i32s(int... v) { return i32(new long[] {v.length}, v); }

    T scalarI32(int v) { return i32(new long[0], v); }

    T f32(long[] shape, float... v) { return constant(Tensor.ofFloats(shape, v)); }

    T scalarF32(float v) { return f32(new long[0], v); }

    /** A constant of the given type holding one value (for scalars broadcast against t). */
    T scalar(DType dt, double v) { return constant(Tensor.fromDoubles(dt, new long[0], new double[] {v})); }

    // ------------------------------------------------------------------ op core

    T emit(int builtin, int version, T[] ins, T dest, DType dt, long[] shape, byte optType, OptionsWriter w) {
        T o = dest != null ? dest : temp(dt, shape);
        int[] ids = new int[ins.length];
        for (int i = 0; i < ins.length; i++) ids[i] = ins[i] == null ? -1 : ins[i].id();
        c.op(builtin, version, ids, new int[] {o.id()}, optType, w);
        return o;
    }

    static long[] broadcast(long[] a, long[] b) {
        int r = Math.max(a.length, b.length);
        long[] o = new long[r];
        for (int i = 0; i < r; i++) {
            int ia = i - (r - a.length), ib = i - (r - b.length);
            long da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
            if (da != db && da != 1 && db != 1) throw new ConversionException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
            o[i] = da == 1 ? db : da;
        }
        return o;
    }

    static boolean needsBroadcast(T a, T b) { return !Arrays.equals(a.shape(), b.shape()); }

    /** A binary op on two operands that already broadcast within TFLite 2.6's 4-D kernels. */
    interface Binary { T apply(T a, T b, T dest); }

    /**
     * Runs a broadcasting binary op so that TFLite 2.6 can execute it: its broadcast kernels (FLOOR_MOD, ADD, MUL,
     * comparisons, ...) extend shapes to 4 dims with a CHECK that aborts the interpreter above that. Operands of
     * different shapes and output rank > 4 are reshaped with runs of dims that broadcast alike merged, the op is
     * applied at that rank (<= 4 when the operands allow) and its result reshaped back.
     */
    T bcast(T a, T b, T dest, Binary op) {
        long[] os = broadcast(a.shape(), b.shape());
        if (!needsBroadcast(a, b) || os.length <= 4) return op.apply(a, b, dest);
        long[][] cs = Emit.collapseBroadcast(pad1(a.shape(), os.length), pad1(b.shape(), os.length));
        if (cs[0].length > 4) throw new ConversionException("broadcasting " + Arrays.toString(a.shape()) + " with "
                + Arrays.toString(b.shape()) + " needs more than 4 dims (TFLite 2.6 broadcast kernels)");
        return reshape(op.apply(reshape(a, cs[0]), reshape(b, cs[1]), null), os, dest);
    }

    private static long[] pad1(long[] s, int r) {
        long[] o = new long[r];
        Arrays.fill(o, 1);
        System.arraycopy(s, 0, o, r - s.length, s.length);
        return o;
    }

    static int maxRank(T a, T b) { return Math.max(a.rank(), b.rank()); }

    // ------------------------------------------------------------------ arithmetic

    T add(T a, T b) { return add(a, b, null); }

    T add(T a, T b, T dest) { return bcast(a, b, dest, this::add4); }

    private T add4(T a, T b, T dest) {
        int v = a.dt() == DType.INT64 ? 4 : a.dt() == DType.INT8 ? 2 : 1;
        return emit(BuiltinOperator.ADD, v, new T[] {a, b}, dest, a.dt(), broadcast(a.shape(), b.shape()), BuiltinOptions.AddOptions,
                fb -> AddOptions.createAddOptions(fb, ActivationFunctionType.NONE, false));
    }

    T sub(T a, T b) { return sub(a, b, null); }

    T sub(T a, T b, T dest) { return bcast(a, b, dest, this::sub4); }

    private T sub4(T a, T b, T dest) {
        int v = a.dt() == DType.INT64 ? 4 : needsBroadcast(a, b) && maxRank(a, b) > 4 ? 3 : a.dt() == DType.INT8 ? 2 : 1;
        return emit(BuiltinOperator.SUB, v, new T[] {a, b}, dest, a.dt(), broadcast(a.shape(), b.shape()), BuiltinOptions.SubOptions,
                fb -> SubOptions.createSubOptions(fb, ActivationFunctionType.NONE, false));
    }

    T mul(T a, T b) { return mul(a, b, null); }

    T mul(T a, T b, T dest) { return bcast(a, b, dest, this::mul4); }

    private T mul4(T a, T b, T dest) {
        int v = a.dt() == DType.INT64 ? 5 : a.dt() == DType.INT8 ? 2 : 1;
        return emit(BuiltinOperator.MUL, v, new T[] {a, b}, dest, a.dt(), broadcast(a.shape(), b.shape()), BuiltinOptions.MulOptions,
                fb -> MulOptions.createMulOptions(fb, ActivationFunctionType.NONE));
    }

    T div(T a, T b) { return bcast(a, b, null, this::div4); }

    private T div4(T a, T b, T dest) {
        int v = needsBroadcast(a, b) && maxRank(a, b) > 4 ? 2 : 1;
        return emit(BuiltinOperator.DIV, v, new T[] {a, b}, dest, a.dt(), broadcast(a.shape(), b.shape()), BuiltinOptions.DivOptions,
                fb -> DivOptions.createDivOptions(fb, ActivationFunctionType.NONE));
    }

    T floorMod(T a, T b) {
        return bcast(a, b, null, (x, y, d) -> emit(BuiltinOperator.FLOOR_MOD, 1, new T[] {x, y}, d, x.dt(), broadcast(x.shape(), y.shape()), (byte) 0, null));
    }

    T maximum(T a, T b) { return minMax(BuiltinOperator.MAXIMUM, a, b, null); }

    T minimum(T a, T b) { return minMax(BuiltinOperator.MINIMUM, a, b, null); }

    T minMax(int op, T a, T b, T dest) { return bcast(a, b, dest, (x, y, d) -> minMax4(op, x, y, d)); }

    private T minMax4(int op, T a, T b, T dest) {
        int v = needsBroadcast(a, b) && maxRank(a, b) > 4 ? 3 : a.dt() == DType.INT8 ? 2 : 1;
        return emit(op, v, new T[] {a, b}, dest, a.dt(), broadcast(a.shape(), b.shape()), (byte) 0, null);
    }

    /** clamp(a, lo, hi) with scalar bounds of a's type. */
    T clamp(T a, double lo, double hi) { return minimum(maximum(a, scalar(a.dt(), lo)), scalar(a.dt(), hi)); }

    T compare(int op, T a, T b) { return bcast(a, b, null, (x, y, d) -> compare4(op, x, y, d)); }

    private T compare4(int op, T a, T b, T dest) {
        int v = a.dt() == DType.INT8 ? 2 : 1;
        return emit(op, v, new T[] {a, b}, dest, DType.BOOL, broadcast(a.shape(), b.shape()), (byte) 0, null);
    }

    T less(T a, T b) { return compare(BuiltinOperator.LESS, a, b); }

    T logicalAnd(T a, T b) {
        return bcast(a, b, null, (x, y, d) -> emit(BuiltinOperator.LOGICAL_AND, 1, new T[] {x, y}, d, DType.BOOL, broadcast(x.shape(), y.shape()), (byte) 0, null));
    }

    T unary(int op, T a) { return emit(op, 1, new T[] {a}, null, a.dt(), a.shape(), (byte) 0, null); }

    T floor(T a) { return unary(BuiltinOperator.FLOOR, a); }

    T neg(T a) { return unary(BuiltinOperator.NEG, a); }

    T abs(T a) { return unary(BuiltinOperator.ABS, a); }

    T cast(T a, DType to) { return cast(a, to, null); }

    T cast(T a, DType to, T dest) {
        if (a.dt() == to && dest == null) return a;
        T o = dest != null ? dest : temp(to, a.shape());
        Emit.castInto(c, a.id(), o.id());
        return o;
    }

    // ------------------------------------------------------------------ data movement

    T reshape(T a, long[] shape) { return reshape(a, shape, null); }

    T reshape(T a, long[] shape, T dest) {
        if (dest == null && Arrays.equals(a.shape(), shape)) return a;
        T o = dest != null ? dest : temp(a.dt(), shape);
        Emit.reshapeInto(c, a.id(), o.id(), shape);
        return o;
    }

    T transpose(T a, int[] perm) { return transpose(a, perm, null); }

    T transpose(T a, int[] perm, T dest) {
        boolean id = true;
        for (int i = 0; i < perm.length; i++) id &= perm[i] == i;
        if (id && dest == null) return a;
        long[] os = new long[perm.length];
        for (int i = 0; i < perm.length; i++) os[i] = a.shape()[perm[i]];
        T o = dest != null ? dest : temp(a.dt(), os);
        if (perm.length > 5) throw new ConversionException("TFLite 2.6 TRANSPOSE supports at most 5 dimensions");
        Emit.transposeInto(c, a.id(), o.id(), perm, a.dt());
        return o;
    }

    static int gatherVersion(DType dt) {
        return switch (dt) {
            case INT8 -> 2;
            case BOOL -> 3;
            case INT16 -> 4;
            default -> 1;
        };
    }

    static void checkGatherType(DType dt) {
        switch (dt) {
            case FLOAT32, UINT8, INT8, INT16, INT32, INT64, BOOL, STRING -> { }
            default -> throw new ConversionException("TFLite GATHER does not support " + dt + " data");
        }
    }

    /** GATHER along axis; the result shape is data[:axis] + idx + data[axis+1:]. */
    T gather(T data, T idx, int axis, T dest) {
        checkGatherType(data.dt());
        long[] ds = data.shape(), is = idx.shape();
        long[] os = new long[ds.length - 1 + is.length];
        System.arraycopy(ds, 0, os, 0, axis);
        System.arraycopy(is, 0, os, axis, is.length);
        System.arraycopy(ds, axis + 1, os, axis + is.length, ds.length - axis - 1);
        return emit(BuiltinOperator.GATHER, gatherVersion(data.dt()), new T[] {data, idx}, dest, data.dt(), os, BuiltinOptions.GatherOptions,
                fb -> GatherOptions.createGatherOptions(fb, axis, 0));
    }

    T gather(T data, T idx, int axis) { return gather(data, idx, axis, null); }

    T gatherNd(T data, T idx, T dest) {
        if (data.dt() == DType.BOOL || data.dt() == DType.UINT16) return cast(gatherNd(cast(data, DType.INT32), idx, null), data.dt(), dest);
        int v = switch (data.dt()) {
            case FLOAT32, UINT8, INT8, INT32, INT64 -> 1;
            case STRING -> 2;
            case INT16 -> 3;
            default -> throw new ConversionException("TFLite GATHER_ND does not support " + data.dt() + " data");
        };
        long[] is = idx.shape();
        int m = (int) is[is.length - 1];
        long[] ds = data.shape();
        long[] os = new long[is.length - 1 + ds.length - m];
        System.arraycopy(is, 0, os, 0, is.length - 1);
        System.arraycopy(ds, m, os, is.length - 1, ds.length - m);
        return emit(BuiltinOperator.GATHER_ND, v, new T[] {data, idx}, dest, data.dt(), os, BuiltinOptions.GatherNdOptions,
                fb -> { GatherNdOptions.startGatherNdOptions(fb); return GatherNdOptions.endGatherNdOptions(fb); });
    }

    /** SCATTER_ND: zeros of shape with updates added at int32 indices (duplicates sum). */
    T scatterNd(T idx, T updates, long[] shape) {
        switch (updates.dt()) {
            case FLOAT32, UINT8, INT8, INT32, INT64 -> { }
            default -> throw new ConversionException("TFLite SCATTER_ND does not support " + updates.dt() + " updates");
        }
        T sh = i32s(LowerContext.toInt(shape));
        return emit(BuiltinOperator.SCATTER_ND, 1, new T[] {idx, updates, sh}, null, updates.dt(), shape, BuiltinOptions.ScatterNdOptions,
                fb -> { ScatterNdOptions.startScatterNdOptions(fb); return ScatterNdOptions.endScatterNdOptions(fb); });
    }

    /** SELECT(cond, a, b) with all three of the same shape. */
    T select(T cond, T a, T b, T dest) {
        int v = a.rank() > 4 ? 3 : a.dt() == DType.INT8 ? 2 : 1;
        return emit(BuiltinOperator.SELECT, v, new T[] {cond, a, b}, dest, a.dt(), a.shape(), BuiltinOptions.SelectOptions,
                fb -> { SelectOptions.startSelectOptions(fb); return SelectOptions.endSelectOptions(fb); });
    }

    T concat(List<T> parts, int axis, T dest) {
        if (parts.size() == 1 && dest == null) return parts.get(0);
        long[] os = parts.get(0).shape().clone();
        os[axis] = 0;
        for (T p : parts) os[axis] += p.shape()[axis];
        DType dt = parts.get(0).dt();
        int v = dt == DType.INT8 ? 2 : dt == DType.INT16 ? 3 : 1;
        return emit(BuiltinOperator.CONCATENATION, v, parts.toArray(new T[0]), dest, dt, os, BuiltinOptions.ConcatenationOptions,
                fb -> ConcatenationOptions.createConcatenationOptions(fb, axis, ActivationFunctionType.NONE));
    }

    /** A reduction (SUM, REDUCE_MIN, REDUCE_MAX) over the given axes. */
    T reduce(int op, T a, int[] axes, boolean keep) {
        List<Long> os = new ArrayList<>();
        for (int i = 0; i < a.rank(); i++) {
            boolean r = false;
            for (int x : axes) r |= x == i;
            if (!r) os.add(a.shape()[i]); else if (keep) os.add(1L);
        }
        long[] s = os.stream().mapToLong(Long::longValue).toArray();
        T ax = i32s(axes);
        int v = a.dt() == DType.INT8 ? 2 : 1;
        return emit(op, v, new T[] {a, ax}, null, a.dt(), s, BuiltinOptions.ReducerOptions,
                fb -> ReducerOptions.createReducerOptions(fb, keep));
    }

    // ------------------------------------------------------------------ index helpers

    /**
     * Indices as int32 with negative entries wrapped by dim (i + dim for i < 0), via FLOOR_MOD; for in-range
     * indices (the only defined ones) this is exact.
     */
    T wrapIndices(T idx, long dim) {
        T i = idx.dt() == DType.INT32 ? idx : cast(idx, DType.INT32);
        return floorMod(i, scalarI32(Math.toIntExact(dim)));
    }

    /** Per-component wrapping of an index tensor whose last axis holds coordinates into dims. */
    T wrapIndices(T idx, long[] dims) {
        T i = idx.dt() == DType.INT32 ? idx : cast(idx, DType.INT32);
        int[] d = LowerContext.toInt(dims);
        return floorMod(i, i32(new long[] {d.length}, d));
    }
}
