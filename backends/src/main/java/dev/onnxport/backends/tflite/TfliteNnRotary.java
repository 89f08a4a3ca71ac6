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
        if (size == null) { affineGridDynamic(n, c, theta); return; }
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

    /**
     * AffineGrid with a run-time size (its output shape is known only when the model runs): the P = prod(spatial)
     * points are RANGE(P), split into per-axis pixel indices with FLOOR_DIV / FLOOR_MOD, normalised, and combined
     * with theta's columns by broadcasting ([N, 1, k] x [1, P, 1]); a RESHAPE to [N, (D,) H, W, k] built from size
     * gives the output its run-time shape.
     */
    private static void affineGridDynamic(Node n, LowerContext c, T theta) {
        long[] ss = c.shape(n.input(1));
        int sd = (int) ss[0] - 2;
        if (sd != 2 && sd != 3) throw new ConversionException("AffineGrid: size of length " + ss[0]);
        if (theta.rank() != 3 || theta.dim(1) != sd || theta.dim(2) != sd + 1)
            throw new ConversionException("AffineGrid: theta of shape " + java.util.Arrays.toString(theta.shape()));
        boolean align = n.attrs().getInt("align_corners", 0) != 0;
        long nb = theta.dim(0);
        T size = in(c, n, 1);
        int sz = size.dt() == DType.INT32 ? size.id() : Emit.cast(c, size.id(), DType.INT32, ss, hint(c, "size_i32"));
        // the spatial sizes as int32 scalars
        int[] dims = new int[sd];
        for (int j = 0; j < sd; j++) {
            int v = c.temp(DType.INT32, new long[] {1}, hint(c, "dim" + j));
            c.op(BuiltinOperator.STRIDED_SLICE, 1, new int[] {sz, c.constInt32(hint(c, "b"), 2 + j), c.constInt32(hint(c, "e"), 3 + j), c.constInt32(hint(c, "s"), 1)},
                    new int[] {v}, BuiltinOptions.StridedSliceOptions, fb -> tflite.StridedSliceOptions.createStridedSliceOptions(fb, 0, 0, 0, 0, 0, false));
            dims[j] = Emit.reshape(c, v, DType.INT32, new long[0], hint(c, "dim_s" + j));
        }
        int p = dims[0];
        for (int j = 1; j < sd; j++) p = bin(c, BuiltinOperator.MUL, p, dims[j], DType.INT32, new long[0], "points");
        int r = c.temp(DType.INT32, new long[] {1}, hint(c, "iota"));
        c.op(BuiltinOperator.RANGE, 1, new int[] {c.constInt32(hint(c, "zero"), new long[0], 0), p, c.constInt32(hint(c, "one"), new long[0], 1)},
                new int[] {r}, BuiltinOptions.RangeOptions, fb -> { tflite.RangeOptions.startRangeOptions(fb); return tflite.RangeOptions.endRangeOptions(fb); });
        // theta columns as [N, 1, sd]; the bias column starts the sum
        long[] col = {nb, 1, sd};
        int acc = Emit.reshape(c, sliceCol(c, theta, sd).id(), DType.FLOAT32, col, hint(c, "bias"));
        int rest = r; // running index: the last spatial axis (x) varies fastest
        for (int j = 0; j < sd; j++) {
            int axis = sd - 1 - j; // x, y, z come from the last, middle, first spatial dims
            int len = dims[axis];
            int idx = j == sd - 1 ? rest : bin(c, BuiltinOperator.FLOOR_MOD, rest, len, DType.INT32, new long[] {1}, "idx" + j);
            if (j < sd - 1) rest = bin(c, BuiltinOperator.FLOOR_DIV, rest, len, DType.INT32, new long[] {1}, "rest" + j);
            int fi = Emit.cast(c, idx, DType.FLOAT32, new long[] {1}, hint(c, "fidx" + j));
            int fl = Emit.cast(c, len, DType.FLOAT32, new long[0], hint(c, "flen" + j));
            int coord;
            int one = c.constant(Tensor.scalarFloat(1f), hint(c, "f1"));
            int two = c.constant(Tensor.scalarFloat(2f), hint(c, "f2"));
            if (align) {
                // 1 - 2 (n - 1 - i) / max(n - 1, 1): -1 + 2 i / (n - 1), and 1 for n = 1 as onnxruntime (Eigen's LinSpaced)
                int nm1 = bin(c, BuiltinOperator.SUB, fl, one, DType.FLOAT32, new long[0], "nm1_" + j);
                int rem = bin(c, BuiltinOperator.SUB, nm1, fi, DType.FLOAT32, new long[] {1}, "rem" + j);
                int den = bin(c, BuiltinOperator.MAXIMUM, nm1, one, DType.FLOAT32, new long[0], "den" + j);
                int q = bin(c, BuiltinOperator.DIV, bin(c, BuiltinOperator.MUL, rem, two, DType.FLOAT32, new long[] {1}, "r2_" + j), den, DType.FLOAT32, new long[] {1}, "q" + j);
                coord = bin(c, BuiltinOperator.SUB, one, q, DType.FLOAT32, new long[] {1}, "coord" + j);
            } else {
                // (2 i + 1) / n - 1
                int t = bin(c, BuiltinOperator.ADD, bin(c, BuiltinOperator.MUL, fi, two, DType.FLOAT32, new long[] {1}, "i2_" + j), one, DType.FLOAT32, new long[] {1}, "i21_" + j);
                coord = bin(c, BuiltinOperator.SUB, bin(c, BuiltinOperator.DIV, t, fl, DType.FLOAT32, new long[] {1}, "q" + j), one, DType.FLOAT32, new long[] {1}, "coord" + j);
            }
            int cp = c.temp(DType.FLOAT32, new long[] {1, 1, 1}, hint(c, "coord3_" + j));
            int shp = c.constInt32(hint(c, "c3shape"), 1, -1, 1);
            c.op(BuiltinOperator.RESHAPE, 1, new int[] {coord, shp}, new int[] {cp}, BuiltinOptions.ReshapeOptions,
                    fb -> tflite.ReshapeOptions.createReshapeOptions(fb, tflite.ReshapeOptions.createNewShapeVector(fb, new int[] {1, -1, 1})));
            int th = Emit.reshape(c, sliceCol(c, theta, j).id(), DType.FLOAT32, col, hint(c, "theta" + j));
            acc = bin(c, BuiltinOperator.ADD, acc, bin(c, BuiltinOperator.MUL, th, cp, DType.FLOAT32, col, "term" + j), DType.FLOAT32, col, "acc" + j);
        }
        // output shape [N, spatial..., sd] from size
        int lead = c.temp(DType.INT32, new long[] {1}, hint(c, "n"));
        c.op(BuiltinOperator.STRIDED_SLICE, 1, new int[] {sz, c.constInt32(hint(c, "b"), 0), c.constInt32(hint(c, "e"), 1), c.constInt32(hint(c, "s"), 1)},
                new int[] {lead}, BuiltinOptions.StridedSliceOptions, fb -> tflite.StridedSliceOptions.createStridedSliceOptions(fb, 0, 0, 0, 0, 0, false));
        int sp = c.temp(DType.INT32, new long[] {sd}, hint(c, "spatial"));
        c.op(BuiltinOperator.STRIDED_SLICE, 1, new int[] {sz, c.constInt32(hint(c, "b"), 2), c.constInt32(hint(c, "e"), 2 + sd), c.constInt32(hint(c, "s"), 1)},
                new int[] {sp}, BuiltinOptions.StridedSliceOptions, fb -> tflite.StridedSliceOptions.createStridedSliceOptions(fb, 0, 0, 0, 0, 0, false));
        int shape = c.temp(DType.INT32, new long[] {sd + 2}, hint(c, "out_shape"));
        c.op(BuiltinOperator.CONCATENATION, 1, new int[] {lead, sp, c.constInt32(hint(c, "k"), sd)}, new int[] {shape}, BuiltinOptions.ConcatenationOptions,
                fb -> tflite.ConcatenationOptions.createConcatenationOptions(fb, 0, tflite.ActivationFunctionType.NONE));
        c.op(BuiltinOperator.RESHAPE, 1, new int[] {acc, shape}, new int[] {c.out(n, 0)});
    }

    /** theta[:, :, j] as [N, sd, 1]. */
    private static T sliceCol(LowerContext c, T theta, int j) { return sliceAxis(c, theta, 2, j, 1, null); }

    /** A binary op on tensor ids with a declared (possibly placeholder) output shape; TFLite resizes at run time. */
    private static int bin(LowerContext c, int op, int a, int b, DType dt, long[] shape, String h) {
        int o = c.temp(dt, shape, hint(c, h));
        switch (op) {
            case BuiltinOperator.ADD -> c.op(op, 1, new int[] {a, b}, new int[] {o}, BuiltinOptions.AddOptions,
                    fb -> tflite.AddOptions.createAddOptions(fb, tflite.ActivationFunctionType.NONE, false));
            case BuiltinOperator.SUB -> c.op(op, 1, new int[] {a, b}, new int[] {o}, BuiltinOptions.SubOptions,
                    fb -> tflite.SubOptions.createSubOptions(fb, tflite.ActivationFunctionType.NONE, false));
            case BuiltinOperator.MUL -> c.op(op, 1, new int[] {a, b}, new int[] {o}, BuiltinOptions.MulOptions,
                    fb -> tflite.MulOptions.createMulOptions(fb, tflite.ActivationFunctionType.NONE));
            case BuiltinOperator.DIV -> c.op(op, 1, new int[] {a, b}, new int[] {o}, BuiltinOptions.DivOptions,
                    fb -> tflite.DivOptions.createDivOptions(fb, tflite.ActivationFunctionType.NONE));
            default -> c.op(op, 1, new int[] {a, b}, new int[] {o});
        }
        return o;
    }

    /** The normalised coordinate of pixel i of n along one axis. */
    private static float coord(long i, long n, boolean align) {
        if (align) return n == 1 ? 1f : (float) (-1.0 + 2.0 * i / (n - 1)); // n = 1 gives 1 in onnxruntime (Eigen's LinSpaced)
        return (float) ((2.0 * i + 1) / n - 1);
    }
}
