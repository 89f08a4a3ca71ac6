package dev.onnxport.ir.ops;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Exact data movement on constant tensors of any element type (bytes are copied, never converted): the kernels
 * behind the shape family's evaluators. Every op here is an "axis-map gather": output axis a walks source axis
 * srcAxis[a] (or none, -1) through a coordinate map; a coordinate of -1 selects the fill value.
 */
public final class ShapeOpsKernels {
    private ShapeOpsKernels() {}

    /** Evaluators give up (leave the node to run time) above this many output elements. */
    public static final long MAX_EVAL_ELEMENTS = 1L << 22;

    /**
     * out[o_0..o_{r-1}] = src[...] where output axis a contributes coordinate maps[a][o_a] to source axis
     * srcAxis[a] (srcAxis -1: contributes nothing, maps may be null); a coordinate of -1 anywhere selects fill.
     */
    public static Tensor axisMapGather(Tensor src, long[] outShape, int[] srcAxis, long[][] maps, Tensor fill) {
        long n = Tensor.numel(outShape);
        if (n > MAX_EVAL_ELEMENTS) throw new ConversionException("constant too large to evaluate");
        long[] ss = src.shape();
        long[] stride = new long[ss.length];
        long acc = 1;
        for (int i = ss.length - 1; i >= 0; i--) { stride[i] = acc; acc *= ss[i]; }
        int r = outShape.length;
        long[][] off = new long[r][];
        for (int a = 0; a < r; a++) {
            off[a] = new long[(int) outShape[a]];
            for (int o = 0; o < outShape[a]; o++) {
                long c = maps == null || maps[a] == null ? o : maps[a][o];
                off[a][o] = c < 0 ? -1 : (srcAxis[a] < 0 ? 0 : c * stride[srcAxis[a]]);
            }
        }
        int cnt = Math.toIntExact(n);
        long[] idx = new long[cnt];
        if (cnt > 0) {
            int[] pos = new int[r];
            for (int i = 0; i < cnt; i++) {
                long f = 0;
                for (int a = 0; a < r; a++) {
                    long o = off[a][pos[a]];
                    if (o < 0) { f = -1; break; }
                    f += o;
                }
                idx[i] = f;
                for (int a = r - 1; a >= 0; a--) {
                    if (++pos[a] < outShape[a]) break;
                    pos[a] = 0;
                }
            }
        }
        return gatherFlat(src, outShape, idx, fill);
    }

    /** out[i] = src.flat[idx[i]], or the fill value (zero when null) where idx[i] is -1. */
    public static Tensor gatherFlat(Tensor src, long[] outShape, long[] idx, Tensor fill) {
        if (src.dtype() == DType.STRING) {
            List<String> s = src.strings(), o = new ArrayList<>(idx.length);
            String f = fill == null ? "" : fill.strings().get(0);
            for (long i : idx) o.add(i < 0 ? f : s.get((int) i));
            return Tensor.ofStrings(outShape, o);
        }
        int es = src.dtype().size();
        ByteBuffer in = src.data();
        byte[] fb = new byte[es];
        if (fill != null) {
            Tensor fc = fill.dtype() == src.dtype() ? fill : fill.cast(src.dtype());
            fc.data().get(fb);
        }
        ByteBuffer out = Tensor.alloc((long) idx.length * es);
        byte[] tmp = new byte[es];
        for (long i : idx) {
            if (i < 0) out.put(fb);
            else {
                in.position(Math.toIntExact(i * es));
                in.get(tmp);
                out.put(tmp);
            }
        }
        return Tensor.of(src.dtype(), outShape, out.flip());
    }

    public static Tensor transpose(Tensor t, int[] perm) {
        long[] s = t.shape();
        long[] os = new long[perm.length];
        for (int i = 0; i < perm.length; i++) os[i] = s[perm[i]];
        return axisMapGather(t, os, perm, null, null);
    }

    /** Full-rank strided slice: per axis start, step and count (already normalised). */
    public static Tensor slice(Tensor t, long[] start, long[] step, long[] count) {
        int r = t.rank();
        int[] ax = identity(r);
        long[][] maps = new long[r][];
        for (int a = 0; a < r; a++) {
            maps[a] = new long[(int) count[a]];
            for (int o = 0; o < count[a]; o++) maps[a][o] = start[a] + o * step[a];
        }
        return axisMapGather(t, count, ax, maps, null);
    }

    /** Numpy broadcast of t to outShape (t's shape right-aligned). */
    public static Tensor expand(Tensor t, long[] outShape) {
        long[] s = t.shape();
        int r = outShape.length, off = r - s.length;
        if (off < 0) throw new ConversionException("cannot broadcast " + Arrays.toString(s) + " to " + Arrays.toString(outShape));
        int[] ax = new int[r];
        long[][] maps = new long[r][];
        for (int a = 0; a < r; a++) {
            int sa = a - off;
            ax[a] = sa;
            if (sa < 0) continue;
            maps[a] = new long[(int) outShape[a]];
            if (s[sa] == 1) continue; // all zeros
            if (s[sa] != outShape[a]) throw new ConversionException("cannot broadcast " + Arrays.toString(s) + " to " + Arrays.toString(outShape));
            for (int o = 0; o < outShape[a]; o++) maps[a][o] = o;
        }
        return axisMapGather(t, outShape, ax, maps, null);
    }

    public static Tensor tile(Tensor t, long[] reps) {
        long[] s = t.shape();
        int r = s.length;
        long[] os = new long[r];
        long[][] maps = new long[r][];
        for (int a = 0; a < r; a++) {
            os[a] = s[a] * reps[a];
            maps[a] = new long[(int) os[a]];
            for (int o = 0; o < os[a]; o++) maps[a][o] = o % s[a];
        }
        return axisMapGather(t, os, identity(r), maps, null);
    }

    /** Pad with full-rank pads (before[r], after[r], negative crops) in mode constant/reflect/edge/wrap. */
    public static Tensor pad(Tensor t, long[] pads, String mode, Tensor value) {
        long[] s = t.shape();
        int r = s.length;
        long[] os = new long[r];
        long[][] maps = new long[r][];
        for (int a = 0; a < r; a++) {
            long b = pads[a], e = pads[r + a];
            os[a] = s[a] + b + e;
            if (os[a] < 0) throw new ConversionException("Pad: negative output size");
            maps[a] = new long[(int) os[a]];
            for (int o = 0; o < os[a]; o++) maps[a][o] = padIndex(o - b, s[a], mode);
        }
        return axisMapGather(t, os, identity(r), maps, value);
    }

    /** Source coordinate of padded coordinate i (in [-before, dim+after)) for an axis of size dim; -1 = fill. */
    public static long padIndex(long i, long dim, String mode) {
        if (i >= 0 && i < dim) return i;
        switch (mode) {
            case "constant":
                return -1;
            case "edge":
                if (dim == 0) throw new ConversionException("Pad: edge mode on an empty axis");
                return i < 0 ? 0 : dim - 1;
            case "wrap":
                if (dim == 0) throw new ConversionException("Pad: wrap mode on an empty axis");
                return Math.floorMod(i, dim);
            case "reflect": {
                if (dim == 1) return 0;
                if (dim == 0) throw new ConversionException("Pad: reflect mode on an empty axis");
                long period = 2 * (dim - 1);
                long m = Math.floorMod(i, period);
                return m < dim ? m : period - m;
            }
            default:
                throw new ConversionException("Pad: unknown mode '" + mode + "'");
        }
    }

    public static Tensor concat(List<Tensor> ts, int axis) {
        Tensor first = ts.get(0);
        int r = first.rank();
        long[] os = first.shape();
        long total = 0;
        for (Tensor t : ts) {
            if (t.rank() != r || t.dtype() != first.dtype()) throw new ConversionException("Concat: inputs differ in rank or type");
            long[] s = t.shape();
            for (int i = 0; i < r; i++) if (i != axis && s[i] != os[i]) throw new ConversionException("Concat: shapes differ off the axis");
            total += s[axis];
        }
        os[axis] = total;
        if (Tensor.numel(os) == 0) return first.dtype() == DType.STRING ? Tensor.ofStrings(os, List.of()) : Tensor.of(first.dtype(), os, Tensor.alloc(0));
        long outer = 1;
        for (int i = 0; i < axis; i++) outer *= os[i];
        if (Tensor.numel(os) > MAX_EVAL_ELEMENTS) throw new ConversionException("constant too large to evaluate");
        if (first.dtype() == DType.STRING) {
            List<String> o = new ArrayList<>();
            for (long b = 0; b < outer; b++) {
                for (Tensor t : ts) {
                    int inner = Math.toIntExact(t.numel() / outer);
                    o.addAll(t.strings().subList((int) (b * inner), (int) ((b + 1) * inner)));
                }
            }
            return Tensor.ofStrings(os, o);
        }
        int es = first.dtype().size();
        ByteBuffer out = Tensor.alloc(Tensor.numel(os) * es);
        for (long b = 0; b < outer; b++) {
            for (Tensor t : ts) {
                long inner = t.numel() / outer;
                ByteBuffer d = t.data();
                d.position(Math.toIntExact(b * inner * es));
                d.limit(Math.toIntExact((b + 1) * inner * es));
                out.put(d);
            }
        }
        return Tensor.of(first.dtype(), os, out.flip());
    }

    /** A tensor of shape filled with the single element of value (zero float32 when null). */
    public static Tensor fill(Tensor value, long[] shape) {
        Tensor v = value == null ? Tensor.scalarFloat(0f) : value;
        if (Tensor.numel(shape) > MAX_EVAL_ELEMENTS) throw new ConversionException("constant too large to evaluate");
        long[] idx = new long[Math.toIntExact(Tensor.numel(shape))];
        return gatherFlat(v.reshape(new long[] {v.numel()}), shape, idx, null);
    }

    static int[] identity(int r) {
        int[] p = new int[r];
        for (int i = 0; i < r; i++) p[i] = i;
        return p;
    }
}
