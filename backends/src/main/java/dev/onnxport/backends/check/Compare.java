package dev.onnxport.backends.check;

import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;

import java.util.Arrays;

/** Error statistics between a reference ONNX tensor and a target tensor that carries it. */
public final class Compare {
    private Compare() {}

    /**
     * @param count      elements compared
     * @param maxAbs     max |ref - got|
     * @param meanAbs    mean |ref - got|
     * @param rmse       sqrt(mean (ref - got)^2)
     * @param cosine     cosine similarity of ref and got (1 when both are all zero)
     * @param mismatches elements outside atol + rtol * |ref|
     * @param refMaxAbs  max |ref| (the scale the errors are relative to)
     */
    public record Stats(long count, double maxAbs, double meanAbs, double rmse, double cosine, long mismatches, double refMaxAbs) {
        public boolean pass() { return mismatches == 0; }
    }

    /** A comparison that could not be made (shape mismatch, strings, bad perm). */
    public static final class Mismatch extends RuntimeException {
        public Mismatch(String m) { super(m); }
    }

    /** The target shape a tensor of ONNX shape s has under perm (target axis i = ONNX axis perm[i]). */
    public static long[] permute(long[] s, int[] perm) {
        if (perm == null) return s.clone();
        long[] r = new long[perm.length];
        for (int i = 0; i < perm.length; i++) r[i] = s[perm[i]];
        return r;
    }

    /** The ONNX shape of a target tensor of shape t under perm. */
    public static long[] unpermute(long[] t, int[] perm) {
        if (perm == null) return t.clone();
        long[] r = new long[perm.length];
        for (int i = 0; i < perm.length; i++) r[perm[i]] = t[i];
        return r;
    }

    /** t (in ONNX layout) transposed into the target's layout: result axis i = t's axis perm[i]. */
    public static Tensor toTarget(Tensor t, int[] perm) {
        if (perm == null || isIdentity(perm)) return t;
        long[] s = t.shape();
        if (perm.length != s.length) throw new Mismatch("perm " + Arrays.toString(perm) + " does not fit shape " + Arrays.toString(s));
        long[] out = permute(s, perm);
        long[] strides = strides(s);
        int es = t.dtype().size();
        long n = t.numel();
        java.nio.ByteBuffer src = t.data();
        java.nio.ByteBuffer dst = Tensor.alloc(n * es);
        int r = out.length;
        long[] idx = new long[r];
        for (long k = 0; k < n; k++) {
            long off = 0;
            for (int i = 0; i < r; i++) off += idx[i] * strides[perm[i]];
            for (int b = 0; b < es; b++) dst.put(src.get((int) (off * es + b)));
            for (int i = r - 1; i >= 0; i--) {
                if (++idx[i] < out[i]) break;
                idx[i] = 0;
            }
        }
        dst.flip();
        return Tensor.of(t.dtype(), out, dst);
    }

    static boolean isIdentity(int[] p) {
        for (int i = 0; i < p.length; i++) if (p[i] != i) return false;
        return true;
    }

    static long[] strides(long[] s) {
        long[] st = new long[s.length];
        long acc = 1;
        for (int i = s.length - 1; i >= 0; i--) { st[i] = acc; acc *= s[i]; }
        return st;
    }

    /**
     * Compares ref (ONNX layout) with got (target layout: target axis i is ONNX axis perm[i]; dequantized with quant
     * when got is an integer tensor and ref a float one). When the shapes differ but the element counts agree, the
     * values are compared in order and note[0] says so.
     */
    public static Stats compare(Tensor ref, Tensor got, int[] perm, TfliteFile.Quant quant, double atol, double rtol, String[] note) {
        if (ref.dtype() == DType.STRING || got.dtype() == DType.STRING) throw new Mismatch("string tensors are not compared");
        long[] rs = ref.shape(), gs = got.shape();
        if (perm != null && isIdentity(perm)) perm = null;
        if (perm != null && perm.length != gs.length) throw new Mismatch("rank " + gs.length + " does not fit perm " + Arrays.toString(perm));
        long[] asOnnx = unpermute(gs, perm);
        if (!Arrays.equals(asOnnx, rs)) {
            if (Tensor.numel(gs) != ref.numel())
                throw new Mismatch("shape " + Arrays.toString(asOnnx) + " vs ONNX " + Arrays.toString(rs));
            if (note != null) note[0] = "shape " + Arrays.toString(asOnnx) + " vs ONNX " + Arrays.toString(rs) + ", compared in order";
            perm = null;
        }
        boolean deq = quant != null && quant.scale().length > 0 && !got.dtype().isFloat() && ref.dtype().isFloat();
        long n = got.numel();
        int r = gs.length;
        // onnx flat index of target element idx: sum idx[i] * onnxStride[perm[i]]
        long[] ost = strides(rs.length == r ? rs : gs);
        long[] gStep = new long[r];
        for (int i = 0; i < r; i++) gStep[i] = perm == null ? strides(gs)[i] : ost[perm[i]];
        long[] idx = new long[r];
        double maxAbs = 0, sumAbs = 0, sumSq = 0, dot = 0, na = 0, nb = 0, refMax = 0;
        long bad = 0;
        for (long k = 0; k < n; k++) {
            long o = 0;
            for (int i = 0; i < r; i++) o += idx[i] * gStep[i];
            double a = ref.getDouble(o);
            double b = got.getDouble(k);
            if (deq) {
                int c = 0;
                if (quant.scale().length > 1 && quant.dim() < r) c = (int) idx[quant.dim()];
                long zp = quant.zeroPoint().length == 0 ? 0 : quant.zeroPoint()[Math.min(c, quant.zeroPoint().length - 1)];
                b = (b - zp) * quant.scale()[Math.min(c, quant.scale().length - 1)];
            }
            double d;
            if (Double.isNaN(a) && Double.isNaN(b)) d = 0;
            else if (a == b) d = 0; // also equal infinities
            else d = Math.abs(a - b);
            if (Double.isNaN(d)) d = Double.POSITIVE_INFINITY;
            if (d > maxAbs) maxAbs = d;
            sumAbs += d;
            sumSq += d * d;
            if (d != 0 && !(d <= atol + (rtol == 0 ? 0 : rtol * Math.abs(a)))) bad++;
            if (Double.isFinite(a) && Double.isFinite(b)) {
                dot += a * b;
                na += a * a;
                nb += b * b;
            }
            if (Double.isFinite(a)) refMax = Math.max(refMax, Math.abs(a));
            for (int i = r - 1; i >= 0; i--) {
                if (++idx[i] < gs[i]) break;
                idx[i] = 0;
            }
        }
        return new Stats(n, maxAbs, n == 0 ? 0 : sumAbs / n, n == 0 ? 0 : Math.sqrt(sumSq / n), cosine(dot, na, nb), bad, refMax);
    }

    /** Cosine similarity from the dot product and squared norms: 1 when both are zero, 0 when one is, clamped to [-1, 1]. */
    public static double cosine(double dot, double na, double nb) {
        if (na == 0 && nb == 0) return 1;
        if (na == 0 || nb == 0) return 0;
        return Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)));
    }
}
