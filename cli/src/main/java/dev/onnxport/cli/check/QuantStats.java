package dev.onnxport.cli.check;

import dev.onnxport.backends.check.Compare;
import dev.onnxport.backends.check.TfliteFile;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;

import java.util.Arrays;

/**
 * Quantization-appropriate error of one target tensor against its float ONNX tensor, over one or more samples
 * (calibration images): cosine similarity, max abs error relative to the float tensor's range, and the error in
 * units of the tensor's quantization step.
 *
 * <p>The float reference is first clipped to the range the quantized tensor can represent (per channel):
 * {@code [(qmin - zp) * scale, (qmax - zp) * scale]}. A range narrowed on purpose (a tensor read only by RELU keeps
 * only its non-negative part) is then not counted as error; how much was clipped is reported as {@code saturated},
 * and clipping that matters shows up in the next layer, which reads the clipped values. Model outputs are not
 * clipped: there the saturated values are what the user gets.
 */
public final class QuantStats {
    /**
     * @param samples     samples measured
     * @param count       elements per sample
     * @param dtype       the target tensor's element type (e.g. "int8", "float32")
     * @param scale       the quantization scale (per tensor), NaN for per-channel or unquantized tensors
     * @param channels    number of per-channel scales (1 per tensor, 0 unquantized)
     * @param cosine      mean over the samples of the cosine similarity
     * @param cosineMin   smallest cosine over the samples
     * @param maxAbs      max |ref - got| over all samples (ref clipped to the representable range)
     * @param meanAbs     mean |ref - got|
     * @param rmse        root mean square error
     * @param refMin      smallest float value (unclipped) over all samples
     * @param refMax      largest float value (unclipped)
     * @param maxRel      maxAbs / (refMax - refMin), NaN when the range is 0
     * @param meanSteps   mean |ref - got| / scale (per element, its channel's scale); NaN when unquantized
     * @param maxSteps    max |ref - got| / scale; NaN when unquantized
     * @param saturated   fraction of float elements outside the representable range (0 when unquantized)
     */
    public record Stats(int samples, long count, String dtype, double scale, int channels, double cosine, double cosineMin,
                        double maxAbs, double meanAbs, double rmse, double refMin, double refMax, double maxRel,
                        double meanSteps, double maxSteps, double saturated) {
        public boolean quantized() { return channels > 0; }

        /** 1 - cosine, the error measure the drift is followed by. */
        public double drift() { return 1 - cosine; }

        /** The same figures in the shape of a float comparison (for code that reads max abs / cosine only). */
        public Compare.Stats asCompare() {
            return new Compare.Stats(count, maxAbs, meanAbs, rmse, cosine, 0, Math.max(Math.abs(refMin), Math.abs(refMax)));
        }
    }

    /** Accumulates one row over the samples. */
    public static final class Acc {
        private int samples;
        private long count, total;
        private String dtype;
        private double scale = Double.NaN;
        private int channels;
        private double cosSum, cosMin = Double.POSITIVE_INFINITY, maxAbs, sumAbs, sumSq, refMin = Double.POSITIVE_INFINITY,
                refMax = Double.NEGATIVE_INFINITY, sumSteps, maxSteps;
        private long sat;

        /**
         * Adds one sample: ref in ONNX layout, got in the target's (axis i = ONNX axis perm[i]), dequantized with
         * quant when got is an integer tensor. Throws Compare.Mismatch when the shapes do not fit.
         */
        public void add(Tensor ref, Tensor got, int[] perm, TfliteFile.Quant quant, String[] note) { add(ref, got, perm, quant, true, note); }

        /** As {@link #add(Tensor, Tensor, int[], TfliteFile.Quant, String[])}; without clip the float value is compared as it is. */
        public void add(Tensor ref, Tensor got, int[] perm, TfliteFile.Quant quant, boolean clip, String[] note) {
            if (ref.dtype() == DType.STRING || got.dtype() == DType.STRING) throw new Compare.Mismatch("string tensors are not compared");
            long[] rs = ref.shape(), gs = got.shape();
            if (perm != null && identity(perm)) perm = null;
            if (perm != null && perm.length != gs.length) throw new Compare.Mismatch("rank " + gs.length + " does not fit perm " + Arrays.toString(perm));
            long[] asOnnx = Compare.unpermute(gs, perm);
            if (!Arrays.equals(asOnnx, rs)) {
                if (Tensor.numel(gs) != ref.numel()) throw new Compare.Mismatch("shape " + Arrays.toString(asOnnx) + " vs ONNX " + Arrays.toString(rs));
                if (note != null) note[0] = "shape " + Arrays.toString(asOnnx) + " vs ONNX " + Arrays.toString(rs) + ", compared in order";
                perm = null;
            }
            boolean deq = quant != null && quant.scale().length > 0 && !got.dtype().isFloat() && ref.dtype().isFloat();
            dtype = got.dtype().name().toLowerCase(java.util.Locale.ROOT);
            channels = deq ? quant.scale().length : 0;
            scale = deq && quant.scale().length == 1 ? quant.scale()[0] : Double.NaN;
            long qmin = 0, qmax = 0;
            if (deq) {
                switch (got.dtype()) {
                    case INT8 -> { qmin = -128; qmax = 127; }
                    case UINT8 -> { qmin = 0; qmax = 255; }
                    case INT16 -> { qmin = -32768; qmax = 32767; }
                    case UINT16 -> { qmin = 0; qmax = 65535; }
                    case INT32 -> { qmin = Integer.MIN_VALUE; qmax = Integer.MAX_VALUE; }
                    default -> { qmin = Long.MIN_VALUE; qmax = Long.MAX_VALUE; }
                }
            }
            long n = got.numel();
            int r = gs.length;
            long[] ost = strides(rs.length == r ? rs : gs), gst = strides(gs);
            long[] step = new long[r];
            for (int i = 0; i < r; i++) step[i] = perm == null ? gst[i] : ost[perm[i]];
            long[] idx = new long[r];
            double dot = 0, na = 0, nb = 0;
            for (long k = 0; k < n; k++) {
                long o = 0;
                for (int i = 0; i < r; i++) o += idx[i] * step[i];
                double a = ref.getDouble(o), b = got.getDouble(k);
                double s = Double.NaN;
                if (Double.isFinite(a)) { refMin = Math.min(refMin, a); refMax = Math.max(refMax, a); }
                if (deq) {
                    int c = quant.scale().length > 1 && quant.dim() < r ? (int) idx[quant.dim()] : 0;
                    long zp = quant.zeroPoint().length == 0 ? 0 : quant.zeroPoint()[Math.min(c, quant.zeroPoint().length - 1)];
                    s = quant.scale()[Math.min(c, quant.scale().length - 1)];
                    b = (b - zp) * s;
                    double lo = qmin == Long.MIN_VALUE ? Double.NEGATIVE_INFINITY : (qmin - zp) * s;
                    double hi = qmax == Long.MAX_VALUE ? Double.POSITIVE_INFINITY : (qmax - zp) * s;
                    if (a < lo) { sat++; if (clip) a = lo; } else if (a > hi) { sat++; if (clip) a = hi; }
                }
                double d;
                if (Double.isNaN(a) && Double.isNaN(b)) d = 0;
                else if (a == b) d = 0;
                else d = Math.abs(a - b);
                if (Double.isNaN(d)) d = Double.POSITIVE_INFINITY;
                maxAbs = Math.max(maxAbs, d);
                sumAbs += d;
                sumSq += d * d;
                if (deq && s > 0) {
                    sumSteps += d / s;
                    maxSteps = Math.max(maxSteps, d / s);
                }
                if (Double.isFinite(a) && Double.isFinite(b)) { dot += a * b; na += a * a; nb += b * b; }
                for (int i = r - 1; i >= 0; i--) {
                    if (++idx[i] < gs[i]) break;
                    idx[i] = 0;
                }
            }
            double cos = Compare.cosine(dot, na, nb);
            cosSum += cos;
            cosMin = Math.min(cosMin, cos);
            samples++;
            count = n;
            total += n;
        }

        public boolean empty() { return samples == 0; }

        public Stats stats() {
            double range = refMax - refMin;
            double mean = total == 0 ? 0 : sumAbs / total;
            boolean q = channels > 0;
            return new Stats(samples, count, dtype, scale, channels, samples == 0 ? Double.NaN : cosSum / samples, cosMin, maxAbs, mean,
                    total == 0 ? 0 : Math.sqrt(sumSq / total), refMin, refMax, range > 0 ? maxAbs / range : (maxAbs == 0 ? 0 : Double.NaN),
                    q && total > 0 ? sumSteps / total : Double.NaN, q ? maxSteps : Double.NaN, total == 0 ? 0 : (double) sat / total);
        }
    }

    private static boolean identity(int[] p) {
        for (int i = 0; i < p.length; i++) if (p[i] != i) return false;
        return true;
    }

    private static long[] strides(long[] s) {
        long[] st = new long[s.length];
        long acc = 1;
        for (int i = s.length - 1; i >= 0; i--) { st[i] = acc; acc *= s[i]; }
        return st;
    }

    /** x (float, target layout) quantized for an integer target input: round(x / scale) + zp, clamped to the dtype. */
    public static Tensor quantize(Tensor x, DType to, TfliteFile.Quant q) {
        long lo = to == DType.INT8 ? -128 : to == DType.UINT8 ? 0 : to == DType.INT16 ? -32768 : 0;
        long hi = to == DType.INT8 ? 127 : to == DType.UINT8 ? 255 : to == DType.INT16 ? 32767 : 65535;
        long[] v = new long[Math.toIntExact(x.numel())];
        long[] s = x.shape();
        int r = s.length;
        long[] idx = new long[r];
        for (int k = 0; k < v.length; k++) {
            int c = q.scale().length > 1 && q.dim() < r ? (int) idx[q.dim()] : 0;
            double sc = q.scale()[Math.min(c, q.scale().length - 1)];
            long zp = q.zeroPoint().length == 0 ? 0 : q.zeroPoint()[Math.min(c, q.zeroPoint().length - 1)];
            double t = x.getDouble(k) / sc;
            long y = (long) (Math.signum(t) * Math.floor(Math.abs(t) + 0.5)) + zp; // std::round, as TFLite's QUANTIZE
            v[k] = Math.max(lo, Math.min(hi, y));
            for (int i = r - 1; i >= 0; i--) {
                if (++idx[i] < s[i]) break;
                idx[i] = 0;
            }
        }
        return Tensor.fromLongs(to, s, v);
    }
}
