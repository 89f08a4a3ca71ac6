package dev.onnxport.ir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable constant: element type, static shape and little-endian raw data (for STRING, a list of strings).
 * The data buffer may be a slice of a memory-mapped file; it is never written to.
 */
public final class Tensor {
    private final DType dtype;
    private final long[] shape;
    private final ByteBuffer data;
    private final List<String> strings;

    private Tensor(DType dtype, long[] shape, ByteBuffer data, List<String> strings) {
        this.dtype = dtype;
        this.shape = shape.clone();
        this.data = data == null ? null : data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        this.strings = strings == null ? null : List.copyOf(strings);
    }

    /** Wraps raw little-endian bytes; the length must match dtype and shape. */
    public static Tensor of(DType dtype, long[] shape, ByteBuffer data) {
        long n = numel(shape);
        if (dtype == DType.STRING) throw new IllegalArgumentException("use ofStrings for STRING tensors");
        if ((long) data.remaining() != n * dtype.size())
            throw new IllegalArgumentException("tensor data has " + data.remaining() + " bytes, shape " + Arrays.toString(shape)
                    + " of " + dtype + " needs " + n * dtype.size());
        return new Tensor(dtype, shape, data.slice(), null);
    }

    public static Tensor ofStrings(long[] shape, List<String> values) {
        if (values.size() != numel(shape)) throw new IllegalArgumentException("string count does not match shape");
        return new Tensor(DType.STRING, shape, null, values);
    }

    public static Tensor ofFloats(long[] shape, float... v) {
        ByteBuffer b = alloc(v.length * 4L);
        for (float f : v) b.putFloat(f);
        return of(DType.FLOAT32, shape, b.flip());
    }

    public static Tensor ofLongs(long[] shape, long... v) {
        ByteBuffer b = alloc(v.length * 8L);
        for (long f : v) b.putLong(f);
        return of(DType.INT64, shape, b.flip());
    }

    public static Tensor ofInts(long[] shape, int... v) {
        ByteBuffer b = alloc(v.length * 4L);
        for (int f : v) b.putInt(f);
        return of(DType.INT32, shape, b.flip());
    }

    public static Tensor scalarFloat(float v) { return ofFloats(new long[0], v); }

    public static Tensor scalarLong(long v) { return ofLongs(new long[0], v); }

    /** A tensor of the given type whose elements are set from doubles (rounded toward zero for integers). */
    public static Tensor fromDoubles(DType dtype, long[] shape, double[] v) {
        ByteBuffer b = alloc(v.length * (long) dtype.size());
        for (double d : v) put(b, dtype, d);
        return of(dtype, shape, b.flip());
    }

    /** A tensor of the given type whose elements are set from longs. */
    public static Tensor fromLongs(DType dtype, long[] shape, long[] v) {
        ByteBuffer b = alloc(v.length * (long) dtype.size());
        for (long d : v) {
            if (dtype.isFloat()) put(b, dtype, (double) d); else putLong(b, dtype, d);
        }
        return of(dtype, shape, b.flip());
    }

    public static ByteBuffer alloc(long bytes) {
        return ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void putLong(ByteBuffer b, DType t, long v) {
        switch (t) {
            case INT8, UINT8, BOOL -> b.put((byte) v);
            case INT16, UINT16 -> b.putShort((short) v);
            case INT32, UINT32 -> b.putInt((int) v);
            case INT64, UINT64 -> b.putLong(v);
            default -> throw new IllegalArgumentException("not an integer type: " + t);
        }
    }

    private static void put(ByteBuffer b, DType t, double v) {
        switch (t) {
            case FLOAT32 -> b.putFloat((float) v);
            case FLOAT64 -> b.putDouble(v);
            case FLOAT16 -> b.putShort(Half.fromFloat((float) v));
            case BFLOAT16 -> b.putShort((short) (Float.floatToIntBits((float) v) >>> 16));
            case BOOL -> b.put((byte) (v != 0 ? 1 : 0));
            default -> putLong(b, t, (long) v);
        }
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public DType dtype() { return dtype; }

    public long[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    public long numel() { return numel(shape); }

    public ValueType type() { return ValueType.of(dtype, shape); }

    /** A read-only little-endian view of the raw bytes, positioned at 0. */
    public ByteBuffer data() {
        if (data == null) throw new IllegalStateException("STRING tensor has no raw data");
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    public List<String> strings() { return strings; }

    public long byteSize() { return data == null ? 0 : data.remaining(); }

    /** Element i as a double (integers and bools converted). */
    public double getDouble(long i) {
        int p = Math.toIntExact(i * dtype.size());
        return switch (dtype) {
            case FLOAT32 -> data.getFloat(p);
            case FLOAT64 -> data.getDouble(p);
            case FLOAT16 -> Half.toFloat(data.getShort(p));
            case BFLOAT16 -> Float.intBitsToFloat((data.getShort(p) & 0xffff) << 16);
            default -> (double) getLong(i);
        };
    }

    /** Element i as a long (floats truncated toward zero). */
    public long getLong(long i) {
        int p = Math.toIntExact(i * dtype.size());
        return switch (dtype) {
            case INT8 -> data.get(p);
            case UINT8 -> data.get(p) & 0xff;
            case BOOL -> data.get(p) != 0 ? 1 : 0;
            case INT16 -> data.getShort(p);
            case UINT16 -> data.getShort(p) & 0xffff;
            case INT32 -> data.getInt(p);
            case UINT32 -> data.getInt(p) & 0xffffffffL;
            case INT64, UINT64 -> data.getLong(p);
            default -> (long) getDouble(i);
        };
    }

    public double[] toDoubles() {
        double[] r = new double[Math.toIntExact(numel())];
        for (int i = 0; i < r.length; i++) r[i] = getDouble(i);
        return r;
    }

    public long[] toLongs() {
        long[] r = new long[Math.toIntExact(numel())];
        for (int i = 0; i < r.length; i++) r[i] = getLong(i);
        return r;
    }

    public float[] toFloats() {
        float[] r = new float[Math.toIntExact(numel())];
        for (int i = 0; i < r.length; i++) r[i] = (float) getDouble(i);
        return r;
    }

    public int[] toInts() {
        int[] r = new int[Math.toIntExact(numel())];
        for (int i = 0; i < r.length; i++) r[i] = Math.toIntExact(getLong(i));
        return r;
    }

    /** Same data, other shape (element count must match). */
    public Tensor reshape(long[] newShape) {
        if (numel(newShape) != numel()) throw new IllegalArgumentException("reshape " + Arrays.toString(shape) + " -> " + Arrays.toString(newShape));
        return dtype == DType.STRING ? ofStrings(newShape, strings) : new Tensor(dtype, newShape, data, null);
    }

    /** Converts to another element type through double (or long for integer targets). */
    public Tensor cast(DType to) {
        if (to == dtype) return this;
        if (to.isFloat() || dtype.isFloat()) {
            if (!to.isFloat() && to != DType.BOOL) {
                double[] d = toDoubles();
                long[] l = new long[d.length];
                for (int i = 0; i < d.length; i++) l[i] = (long) d[i];
                return fromLongs(to, shape, l);
            }
            return fromDoubles(to, shape, toDoubles());
        }
        long[] l = toLongs();
        if (to == DType.BOOL) for (int i = 0; i < l.length; i++) l[i] = l[i] != 0 ? 1 : 0;
        return fromLongs(to, shape, l);
    }

    /** True when every element equals the first one. */
    public boolean isUniform() {
        long n = numel();
        if (n <= 1 || dtype == DType.STRING) return n <= 1;
        double f = getDouble(0);
        for (long i = 1; i < n; i++) if (Double.compare(getDouble(i), f) != 0) return false;
        return true;
    }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder(dtype + Arrays.toString(shape));
        if (numel() <= 8 && dtype != DType.STRING) {
            sb.append(dtype.isFloat() ? Arrays.toString(toDoubles()) : Arrays.toString(toLongs()));
        }
        return sb.toString();
    }
}
