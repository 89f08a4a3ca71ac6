package dev.onnxport.backends.tflite;

import dev.onnxport.backends.tflite.TfliteNnEmit.T;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import tflite.BuiltinOperator;
import tflite.BuiltinOptions;
import tflite.GatherOptions;

import java.util.ArrayList;
import java.util.List;

import static dev.onnxport.backends.tflite.TfliteNnEmit.*;

/**
 * TFLite lowerings of RotaryEmbedding and AffineGrid (nn family).
 * <p>
 * RotaryEmbedding follows its ONNX function body: the input as [B, H, S, D] (4-D) or [B, S, H, D] (3-D with
 * num_heads), cos/sin = cache[position_ids] (GATHER) or the caches themselves, cut to rotary_dim / 2 and
 * broadcast over the heads; x1/x2 are the two halves (or the even/odd elements when interleaved) of the first
 * rotary_dim channels; real = cos x1 - sin x2, imag = sin x1 + cos x2, written back as halves (or interleaved
 * pairs) followed by the unrotated channels.
 * <p>
 * AffineGrid: grid[n, ..., i] = sum_k base[..., k] theta[n, i, k] with base = (x, y[, z], 1) at the normalised
 * pixel coordinates (a constant), computed as a broadcast MUL and a SUM over k.
 */
final class TfliteNnRotary {
    private TfliteNnRotary() {}

    static void register(TfliteOps r) {
        r.register("RotaryEmbedding", TfliteNnRotary::rotary);
        r.register("AffineGrid", TfliteNnRotary::affineGrid);
    }

    static void rotary(Node n, LowerContext c) {
        T x = in(c, n, 0);
        requireFloat(x, "RotaryEmbedding");
        T cosC = in(c, n, 1), sinC = in(c, n, 2);
        requireFloat(cosC, "RotaryEmbedding cos_cache");
        requireFloat(sinC, "RotaryEmbedding sin_cache");
        boolean inter = n.attrs().getInt("interleaved", 0) != 0;
        long heads = n.attrs().getInt("num_heads", 0);
        long[] xs = x.shape();
        long b, h, s, d;
        T x4;
        boolean three = xs.length == 3;
        if (three) {
            if (heads <= 0) throw new ConversionException("RotaryEmbedding: a 3-D input needs num_heads");
            b = xs[0];
            s = xs[1];
            h = heads;
            if (xs[2] % heads != 0) throw new ConversionException("RotaryEmbedding: hidden size " + xs[2] + " is not a multiple of num_heads " + heads);
            d = xs[2] / heads;
            x4 = reshape(c, x, new long[] {b, s, h, d}, null);
        } else if (xs.length == 4) {
            b = xs[0];
            h = xs[1];
            s = xs[2];
            d = xs[3];
            x4 = x;
        } else throw new ConversionException("RotaryEmbedding: input of rank " + xs.length);
        long rot = n.attrs().getInt("rotary_embedding_dim", 0);
        if (rot == 0) rot = d;
        if (rot % 2 != 0 || rot > d) throw new ConversionException("RotaryEmbedding: rotary_embedding_dim " + rot + " for head size " + d);
        long half = rot / 2;

        // cos / sin as [B, S, half], then shaped to broadcast against x4
        T cs = cacheRows(c, n, cosC, b, s, half, "cos"), sn = cacheRows(c, n, sinC, b, s, half, "sin");
        long[] bs = three ? new long[] {b, s, 1, half} : new long[] {b, 1, s, half};
        cs = reshape(c, cs, bs, null);
        sn = reshape(c, sn, bs, null);

        long[] x4s = x4.shape();
        long[] z = new long[4], e = x4s.clone(), one = {1, 1, 1, 1};
        T x1, x2;
        if (inter) {
            e[3] = rot;
            x1 = stridedSlice(c, x4, z, e, new long[] {1, 1, 1, 2}, null);
            x2 = stridedSlice(c, x4, new long[] {0, 0, 0, 1}, e, new long[] {1, 1, 1, 2}, null);
        } else {
            x1 = sliceAxis(c, x4, 3, 0, half, null);
            x2 = sliceAxis(c, x4, 3, half, half, null);
        }
        T real = sub(c, mul(c, cs, x1, null), mul(c, sn, x2, null), null);
        T imag = add(c, mul(c, sn, x1, null), mul(c, cs, x2, null), null);
        long[] rs = x4s.clone();
        rs[3] = rot;
        T rotated;
        if (inter) {
            long m = b * h * s;
            T re = reshape(c, real, new long[] {m, half, 1}, null), im = reshape(c, imag, new long[] {m, half, 1}, null);
            rotated = reshape(c, concat(c, List.of(re, im), 2, null), rs, null);
        } else rotated = concat(c, List.of(real, imag), 3, null);
        T o = out(c, n, 0);
        List<T> parts = new ArrayList<>(List.of(rotated));
        if (rot < d) parts.add(sliceAxis(c, x4, 3, rot, d - rot, null));
        if (three) reshape(c, concat(c, parts, 3, null), o.shape(), o);
        else concat(c, parts, 3, o);
    }

    /** cache[position_ids] ([B, S, W]) or the [B, S, W] cache itself, cut to the first half entries. */
    private static T cacheRows(LowerContext c, Node n, T cache, long b, long s, long half, String what) {
        T rows;
        if (n.inputCount() > 3 && n.input(3) != null) {
            T pos = in(c, n, 3);
            if (cache.rank() != 2) throw new ConversionException("RotaryEmbedding: " + what + "_cache of rank " + cache.rank() + " with position_ids");
            T p32 = pos.dt() == DType.INT32 ? pos : new T(Emit.cast(c, pos.id(), DType.INT32, pos.shape(), hint(c, "pos_i32")), DType.INT32, pos.shape());
            long[] os = {p32.dim(0), p32.dim(1), cache.dim(1)};
            rows = new T(c.temp(DType.FLOAT32, os, hint(c, what + "_rows")), DType.FLOAT32, os);
            c.op(BuiltinOperator.GATHER, 1, new int[] {cache.id(), p32.id()}, new int[] {rows.id()}, BuiltinOptions.GatherOptions,
                    fb -> GatherOptions.createGatherOptions(fb, 0, 0));
        } else {
            if (cache.rank() != 3) throw new ConversionException("RotaryEmbedding: " + what + "_cache of rank " + cache.rank() + " without position_ids");
            rows = cache;
        }
        if (rows.dim(0) != b || rows.dim(1) != s) throw new ConversionException("RotaryEmbedding: " + what + " rows " + java.util.Arrays.toString(rows.shape()));
        if (rows.dim(2) < half) throw new ConversionException("RotaryEmbedding: " + what + "_cache has " + rows.dim(2) + " entries per position, needs " + half);
        return rows.dim(2) == half ? rows : sliceAxis(c, rows, 2, 0, half, null);
    }

    static void affineGrid(Node n, LowerContext c) {
        T theta = in(c, n, 0);
        requireFloat(theta, "AffineGrid");
        Tensor size = n.constInput(1);
        if (size == null) throw new ConversionException("AffineGrid: size must be a constant");
        long[] sz = size.toLongs();
        boolean align = n.attrs().getInt("align_corners", 0) != 0;
        int sd = sz.length - 2; // 2 or 3 spatial dims
        if (sd != 2 && sd != 3) throw new ConversionException("AffineGrid: size of length " + sz.length);
        long nb = sz[0];
        long[] sp = java.util.Arrays.copyOfRange(sz, 2, sz.length); // (H, W) or (D, H, W)
        long pts = 1;
        for (long v : sp) pts *= v;
        // base[p, k]: k = 0 is x (the last spatial dim), 1 is y, 2 is z, then 1
        int k = sd + 1;
        float[] base = new float[Math.toIntExact(pts * k)];
        long[] idx = new long[sd];
        for (long p = 0; p < pts; p++) {
            for (int j = 0; j < sd; j++) {
                int dim = sd - 1 - j; // x from the last dim
                base[(int) (p * k + j)] = coord(idx[dim], sp[dim], align);
            }
            base[(int) (p * k + sd)] = 1f;
            for (int a = sd - 1; a >= 0; a--) { if (++idx[a] < sp[a]) break; idx[a] = 0; }
        }
        if (theta.rank() != 3 || theta.dim(0) != nb || theta.dim(1) != sd || theta.dim(2) != k)
            throw new ConversionException("AffineGrid: theta of shape " + java.util.Arrays.toString(theta.shape()) + " for size " + java.util.Arrays.toString(sz));
        T bt = constant(c, Tensor.ofFloats(new long[] {1, pts, 1, k}, base), "base_grid");
        T th = reshape(c, theta, new long[] {nb, 1, sd, k}, null);
        T prod = mul(c, bt, th, null); // [N, pts, sd, k]
        T o = out(c, n, 0);
        T sum = reduce(c, BuiltinOperator.SUM, prod, new int[] {3}, false, null); // [N, pts, sd]
        reshape(c, sum, o.shape(), o);
    }

    /** The normalised coordinate of pixel i of n along one axis. */
    private static float coord(long i, long n, boolean align) {
        if (align) return n == 1 ? 0f : (float) (-1.0 + 2.0 * i / (n - 1));
        return (float) ((2.0 * i + 1) / n - 1);
    }
}
