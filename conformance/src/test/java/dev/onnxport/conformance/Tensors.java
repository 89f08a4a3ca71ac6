package dev.onnxport.conformance;

import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;

import java.nio.ByteBuffer;

/** Tensor helpers for the tests: axis permutation (numpy.transpose semantics). */
public final class Tensors {
    private Tensors() {}

    /** Result axis i is axis perm[i] of t (as numpy.transpose(t, perm)); null perm returns t. */
    public static Tensor transpose(Tensor t, int[] perm) {
        if (perm == null) return t;
        long[] s = t.shape();
        int r = s.length;
        if (perm.length != r) throw new IllegalArgumentException("perm of rank " + perm.length + " for a rank-" + r + " tensor");
        boolean identity = true;
        for (int i = 0; i < r; i++) identity &= perm[i] == i;
        if (identity) return t;
        if (t.dtype() == DType.STRING) throw new IllegalArgumentException("cannot transpose STRING tensors");
        int es = t.dtype().size();
        long[] os = new long[r];
        for (int i = 0; i < r; i++) os[i] = s[perm[i]];
        long[] inStride = new long[r];
        long st = 1;
        for (int i = r - 1; i >= 0; i--) { inStride[i] = st; st *= s[i]; }
        long[] step = new long[r]; // input stride of each output axis
        for (int i = 0; i < r; i++) step[i] = inStride[perm[i]];
        long n = t.numel();
        ByteBuffer src = t.data();
        ByteBuffer dst = Tensor.alloc(n * es);
        long[] idx = new long[r];
        long off = 0;
        byte[] el = new byte[es];
        for (long k = 0; k < n; k++) {
            src.get(Math.toIntExact(off * es), el);
            dst.put(el);
            for (int a = r - 1; a >= 0; a--) {
                idx[a]++;
                off += step[a];
                if (idx[a] < os[a]) break;
                off -= step[a] * os[a];
                idx[a] = 0;
            }
        }
        return Tensor.of(t.dtype(), os, dst.flip());
    }
}
