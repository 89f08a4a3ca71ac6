package dev.onnxport.backends.tflite;

import dev.onnxport.ir.DType;
import tflite.BuiltinOperator;
import tflite.BuiltinOptions;
import tflite.CastOptions;
import tflite.ReshapeOptions;
import tflite.TransposeOptions;

import java.util.ArrayList;
import java.util.List;

/** Small emission helpers shared by the op families: each writes one TFLite op into a new temporary tensor. */
public final class Emit {
    private Emit() {}

    /** RESHAPE in to the static shape (new_shape given as a constant input). */
    public static int reshape(LowerContext c, int in, DType dt, long[] shape, String hint) {
        int out = c.temp(dt, shape, hint);
        reshapeInto(c, in, out, shape);
        return out;
    }

    public static void reshapeInto(LowerContext c, int in, int out, long[] shape) {
        int[] s = LowerContext.toInt(shape);
        int sh = c.constInt32(c.model().tensor(out).name() + "_shape", s);
        c.op(BuiltinOperator.RESHAPE, 1, new int[] {in, sh}, new int[] {out}, BuiltinOptions.ReshapeOptions,
                b -> ReshapeOptions.createReshapeOptions(b, ReshapeOptions.createNewShapeVector(b, s)));
    }

    /** TRANSPOSE by perm; inShape is the input's static shape. */
    public static int transpose(LowerContext c, int in, DType dt, long[] inShape, int[] perm, String hint) {
        long[] os = new long[perm.length];
        for (int i = 0; i < perm.length; i++) os[i] = inShape[perm[i]];
        int out = c.temp(dt, os, hint);
        transposeInto(c, in, out, perm, dt);
        return out;
    }

    public static void transposeInto(LowerContext c, int in, int out, int[] perm, DType dt) {
        int p = c.constInt32(c.model().tensor(out).name() + "_perm", perm);
        // TRANSPOSE v1: float32/uint8/int32/int64 up to rank 4; v2 adds int8; v3 bool; v4 rank 5 (TFLite op_version)
        int version = perm.length > 4 ? 4 : dt == DType.BOOL ? 3 : dt == DType.INT8 ? 2 : 1;
        c.op(BuiltinOperator.TRANSPOSE, version, new int[] {in, p}, new int[] {out}, BuiltinOptions.TransposeOptions,
                b -> { TransposeOptions.startTransposeOptions(b); return TransposeOptions.endTransposeOptions(b); });
    }

    /** CAST from one element type to another. */
    public static int cast(LowerContext c, int in, DType to, long[] shape, String hint) {
        int out = c.temp(to, shape, hint);
        castInto(c, in, out);
        return out;
    }

    public static void castInto(LowerContext c, int in, int out) {
        c.op(BuiltinOperator.CAST, 1, new int[] {in}, new int[] {out}, BuiltinOptions.CastOptions,
                b -> { CastOptions.startCastOptions(b); return CastOptions.endCastOptions(b); });
    }

    /**
     * Merges adjacent dims of equal broadcast kind (a full or 1, b full or 1); size-1 dims of both are dropped. TFLite 2.6
     * broadcasting kernels abort above rank 4, so binary ops reshape their operands to these merged shapes first.
     */
    static long[][] collapseBroadcast(long[] a, long[] b) {
        List<Long> ra = new ArrayList<>(), rb = new ArrayList<>();
        int prev = -1;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == 1 && b[i] == 1) continue;
            int kind = (a[i] == 1 ? 1 : 0) | (b[i] == 1 ? 2 : 0);
            if (kind == prev) {
                ra.set(ra.size() - 1, ra.get(ra.size() - 1) * a[i]);
                rb.set(rb.size() - 1, rb.get(rb.size() - 1) * b[i]);
            } else {
                ra.add(a[i]);
                rb.add(b[i]);
                prev = kind;
            }
        }
        if (ra.isEmpty()) { ra.add(1L); rb.add(1L); }
        return new long[][] {ra.stream().mapToLong(Long::longValue).toArray(), rb.stream().mapToLong(Long::longValue).toArray()};
    }
}
