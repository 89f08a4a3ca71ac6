package dev.onnxport.passes.portable;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.passes.PassContext;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Opt-in, approximate. ArgMax over the channels (axis 1) of a large static [N, C, H, W] map (segmentation logits)
 * is computed on the map resized down by a scale (default 0.5; Resize linear) and the class map is resized back to
 * H x W with nearest: the ArgMax reads scale^2 of the data. Pixels near class boundaries may change. The log gives
 * the pixel agreement with the exact ArgMax on a synthetic smooth map of the node's shape (an estimate: measure on
 * real data with {@link #agreement(long[], long[])}).
 */
public final class FusedArgmax extends NodeRewrite {
    private final double scale;
    private final long minPixels;

    public FusedArgmax() { this(PortableOptions.DEFAULT); }

    public FusedArgmax(PortableOptions o) {
        this.scale = o.argmaxScale();
        this.minPixels = o.argmaxMinPixels();
    }

    @Override public String name() { return "fused-argmax"; }

    @Override public String description() {
        return "approximate ArgMax over channels of a large map computed at scale " + scale + " and resized back with nearest";
    }

    @Override boolean matches(Node n) { return isOp(n, "ArgMax"); }

    /** Output size of one spatial dim after the downscale. */
    static long down(long d, double scale) { return Math.max(1, (long) Math.floor(d * scale)); }

    @Override boolean rewrite(Graph g, Node n, PassContext ctx) {
        Value x = n.input(0);
        Shape s = x.shape();
        if (s == null || s.rank() != 4) return false;
        long axis = n.attrs().getInt("axis", 0);
        if (axis < 0) axis += 4;
        if (axis != 1 || n.attrs().getInt("select_last_index", 0) != 0) return false;
        if (!s.isStatic()) {
            ctx.log(name() + ": left " + n.describe() + ": shape " + s + " is not static");
            return false;
        }
        long nb = s.size(0), c = s.size(1), h = s.size(2), w = s.size(3);
        if (c < 2 || h * w < minPixels) {
            ctx.log(name() + ": left " + n.describe() + ": map " + s + " is smaller than " + minPixels + " pixels");
            return false;
        }
        if (!PrimitiveActivations.isFloat(x.dtype())) return false;
        Build b = new Build(g, n.name(), ctx);
        if (b.opset() < 11) {
            ctx.log(name() + ": left " + n.describe() + ": Resize with sizes needs opset 11");
            return false;
        }
        long hs = down(h, scale), ws = down(w, scale);
        Value small = resize(b, x, new long[] {nb, c, hs, ws}, "linear");
        Value am = b.argmax(small, 1, true);
        Value up = resize(b, b.cast(am, DType.FLOAT32), new long[] {nb, 1, h, w}, "nearest");
        Value y = b.cast(up, DType.INT64);
        if (n.attrs().getInt("keepdims", 1) == 0) y = b.reshape(y, nb, h, w);
        replace(g, n, 0, y);
        double est = estimate((int) c, (int) h, (int) w, scale, 1);
        ctx.log(String.format(Locale.ROOT, "%s: %s ArgMax of %s on %dx%d (scale %s); pixel agreement with the exact ArgMax "
                + "on a synthetic smooth map: %.2f%%", name(), n.describe(), s, hs, ws, scale, 100 * est));
        return true;
    }

    private static Value resize(Build b, Value x, long[] sizes, String mode) {
        ValueType t = new ValueType(x.dtype(), Shape.of(sizes));
        Attrs a = Attrs.builder().put("mode", mode).build();
        Value sz = b.longs(sizes);
        if (b.opset() >= 13) return b.op("Resize", t, a, x, null, null, sz);
        Value empty = b.constant(Tensor.ofFloats(new long[] {0}));
        return b.op("Resize", t, a, x, empty, empty, sz);
    }

    /** Fraction of equal elements. */
    public static double agreement(long[] exact, long[] approx) {
        if (exact.length != approx.length) throw new IllegalArgumentException("sizes differ");
        long same = 0;
        for (int i = 0; i < exact.length; i++) if (exact[i] == approx[i]) same++;
        return exact.length == 0 ? 1 : (double) same / exact.length;
    }

    /**
     * Pixel agreement of the rewrite with the exact ArgMax on a synthetic map: C channels of a few random
     * low-frequency cosines (1-4 periods across the map), computed here with the same resize rules (bilinear
     * half-pixel down, nearest round-prefer-floor half-pixel up). Maps larger than 2^22 pixels are estimated at a
     * proportionally smaller size.
     */
    public static double estimate(int c, int h, int w, double scale, long seed) {
        double shrink = Math.sqrt(Math.min(1.0, (double) (1 << 22) / ((double) h * w * c)));
        h = Math.max(2, (int) (h * shrink));
        w = Math.max(2, (int) (w * shrink));
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[c * h * w];
        for (int k = 0; k < c; k++) {
            for (int t = 0; t < 3; t++) {
                double fx = 1 + rnd.nextInt(4), fy = 1 + rnd.nextInt(4), ph = rnd.nextDouble() * 2 * Math.PI, amp = 0.5 + rnd.nextDouble();
                for (int i = 0; i < h; i++) for (int j = 0; j < w; j++)
                    x[(k * h + i) * w + j] += (float) (amp * Math.cos(2 * Math.PI * (fx * j / w + fy * i / h) + ph));
            }
        }
        return agreement(argmax(x, c, h, w), simulate(x, c, h, w, scale));
    }

    /**
     * The rewrite computed here on one [C, H, W] map: bilinear half-pixel resize to the scaled size, ArgMax over
     * channels, nearest (round-prefer-floor, half-pixel) resize back. Returns the [H, W] class map.
     */
    public static long[] simulate(float[] x, int c, int h, int w, double scale) {
        int hs = (int) down(h, scale), ws = (int) down(w, scale);
        float[] small = new float[c * hs * ws];
        for (int k = 0; k < c; k++) for (int i = 0; i < hs; i++) for (int j = 0; j < ws; j++) {
            double yi = Math.max(0, Math.min(h - 1, (i + 0.5) * h / hs - 0.5)), xj = Math.max(0, Math.min(w - 1, (j + 0.5) * w / ws - 0.5));
            int y0 = (int) yi, x0 = (int) xj, y1 = Math.min(h - 1, y0 + 1), x1 = Math.min(w - 1, x0 + 1);
            double dy = yi - y0, dx = xj - x0;
            double v = (1 - dy) * ((1 - dx) * x[(k * h + y0) * w + x0] + dx * x[(k * h + y0) * w + x1])
                    + dy * ((1 - dx) * x[(k * h + y1) * w + x0] + dx * x[(k * h + y1) * w + x1]);
            small[(k * hs + i) * ws + j] = (float) v;
        }
        long[] am = argmax(small, c, hs, ws);
        long[] up = new long[h * w];
        for (int i = 0; i < h; i++) for (int j = 0; j < w; j++) {
            int si = nearest((i + 0.5) * hs / h - 0.5, hs), sj = nearest((j + 0.5) * ws / w - 0.5, ws);
            up[i * w + j] = am[si * ws + sj];
        }
        return up;
    }

    /** The exact ArgMax over channels of one [C, H, W] map. */
    public static long[] exact(float[] x, int c, int h, int w) { return argmax(x, c, h, w); }

    private static int nearest(double v, int n) {
        double f = Math.floor(v);
        int r = (int) (v - f > 0.5 ? f + 1 : f); // round_prefer_floor
        return Math.max(0, Math.min(n - 1, r));
    }

    private static long[] argmax(float[] x, int c, int h, int w) {
        long[] r = new long[h * w];
        for (int p = 0; p < h * w; p++) {
            int best = 0;
            for (int k = 1; k < c; k++) if (x[k * h * w + p] > x[best * h * w + p]) best = k;
            r[p] = best;
        }
        return r;
    }
}
