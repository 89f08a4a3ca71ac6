package dev.onnxport.backends.tflite;

import dev.onnxport.backends.tflite.TfliteNnEmit.T;
import dev.onnxport.ir.Attr;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Layout;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ops.NnGeometry;
import dev.onnxport.ir.ops.NnGeometry.Axis;
import dev.onnxport.ir.ops.NnGeometry.Window;
import tflite.BuiltinOperator;
import tflite.BuiltinOptions;
import tflite.Conv2DOptions;
import tflite.Conv3DOptions;
import tflite.DepthwiseConv2DOptions;
import tflite.LocalResponseNormalizationOptions;
import tflite.Padding;
import tflite.Pool2DOptions;
import tflite.TransposeConvOptions;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.onnxport.backends.tflite.TfliteNnEmit.*;

/**
 * TFLite lowerings of the layout-sensitive nn ops: Conv, ConvTranspose, pools, InstanceNormalization, LRN,
 * BatchNormalization. A node marked channels-last ({@link Layout#isNhwc}) receives NHWC activations; otherwise
 * the lowering transposes to channels-last and back itself. Weights stay in ONNX layout and are permuted here.
 */
final class TfliteNnConv {
    private TfliteNnConv() {}

    static final byte NONE = tflite.ActivationFunctionType.NONE;

    static void register(TfliteOps r) {
        r.register("Conv", TfliteNnConv::conv);
        r.register("ConvTranspose", TfliteNnConv::convTranspose);
        r.register("MaxPool", (n, c) -> pool(n, c, Kind.MAX));
        r.register("AveragePool", (n, c) -> pool(n, c, Kind.AVG));
        r.register("LpPool", (n, c) -> pool(n, c, Kind.LP));
        r.register("GlobalAveragePool", (n, c) -> globalPool(n, c, BuiltinOperator.MEAN));
        r.register("GlobalMaxPool", (n, c) -> globalPool(n, c, BuiltinOperator.REDUCE_MAX));
        r.register("InstanceNormalization", TfliteNnConv::instanceNorm);
        r.register("LRN", TfliteNnConv::lrn);
        r.register("BatchNormalization", TfliteNnConv::batchNorm);
    }

    // ------------------------------------------------------------------------------------------- weights

    /** A weight-like operand: a constant (transformed at conversion time) or a run-time tensor (transformed by ops). */
    static final class Wt {
        final Tensor k;
        final T t;

        private Wt(Tensor k, T t) { this.k = k; this.t = t; }

        static Wt of(LowerContext c, Node n, int i) {
            Value v = n.input(i);
            if (v == null) return null;
            return v.isConstant() ? new Wt(v.constant(), null) : new Wt(null, TfliteNnEmit.in(c, n, i));
        }

        static Wt of(Tensor k) { return new Wt(k, null); }

        long[] shape() { return k != null ? k.shape() : t.shape(); }

        DType dt() { return k != null ? k.dtype() : t.dt(); }

        Wt permute(LowerContext c, int[] perm) {
            if (identity(perm)) return this;
            return k != null ? new Wt(TfliteNnEmit.permute(k, perm), null) : new Wt(null, transpose(c, t, perm, null));
        }

        Wt reshape(LowerContext c, long[] shape) {
            return k != null ? new Wt(k.reshape(shape), null) : new Wt(null, TfliteNnEmit.reshape(c, t, shape, null));
        }

        Wt slice(LowerContext c, int axis, long begin, long len) {
            if (begin == 0 && len == shape()[axis]) return this;
            return k != null ? new Wt(sliceConst(k, axis, begin, len), null) : new Wt(null, sliceAxis(c, t, axis, begin, len, null));
        }

        /** Inserts d-1 zeros between the taps along axis (kernel dilation). */
        Wt dilate(LowerContext c, int axis, long d) {
            if (d == 1) return this;
            long[] s = shape();
            long kk = s[axis], a = 1, b = 1;
            for (int i = 0; i < axis; i++) a *= s[i];
            for (int i = axis + 1; i < s.length; i++) b *= s[i];
            long e = (kk - 1) * d + 1;
            long[] os = s.clone();
            os[axis] = e;
            if (k != null) {
                double[] src = k.toDoubles();
                double[] dst = new double[Math.toIntExact(a * e * b)];
                for (long i = 0; i < a; i++) for (long j = 0; j < kk; j++) for (long m = 0; m < b; m++)
                    dst[(int) ((i * e + j * d) * b + m)] = src[(int) ((i * kk + j) * b + m)];
                return new Wt(Tensor.fromDoubles(k.dtype(), os, dst), null);
            }
            T v = TfliteNnEmit.reshape(c, t, new long[] {a, kk, 1, b}, null);
            T p = pad(c, v, new long[][] {{0, 0}, {0, 0}, {0, d - 1}, {0, 0}}, 0, null);
            T f = TfliteNnEmit.reshape(c, p, new long[] {a, kk * d, b}, null);
            T sl = sliceAxis(c, f, 1, 0, e, null);
            return new Wt(null, TfliteNnEmit.reshape(c, sl, os, null));
        }

        T tensor(LowerContext c, String h) { return k != null ? constant(c, k, h) : t; }
    }

    // ------------------------------------------------------------------------------------------- helpers

    /** x in channels-last form: transposed when the node is not marked NHWC. */
    static T channelsLast(LowerContext c, Node n, T x) { return Layout.isNhwc(n) ? x : transpose(c, x, Layout.toLast(x.rank()), null); }

    /** Writes the channels-last result y to output i (transposing back when the node is in ONNX layout). */
    static void finish(LowerContext c, Node n, int i, T y) {
        T o = out(c, n, i);
        if (y.id() == o.id()) return;
        if (Layout.isNhwc(n)) copy(c, y, o);
        else transpose(c, y, Layout.toFirst(y.rank()), o);
    }

    /** Where a channels-last result may be written directly: the output when the node is NHWC, else null. */
    static T directOut(LowerContext c, Node n) { return Layout.isNhwc(n) ? out(c, n, 0) : null; }

    static long[] kernelOf(long[] ws) { return Arrays.copyOfRange(ws, 2, ws.length); }

    static void checkKernel(Window w, long[] wk) {
        if (!Arrays.equals(w.kernel(), wk))
            throw new ConversionException("kernel_shape " + Arrays.toString(w.kernel()) + " differs from the weight's " + Arrays.toString(wk));
    }

    /** TFLite SAME padding reproduces these pads and output sizes exactly. */
    static boolean sameCompatible(Axis[] ax, long[] strides, long[] extents, boolean useReach) {
        for (int i = 0; i < ax.length; i++) {
            long in = ax[i].in(), s = strides[i], e = extents[i];
            long out = (in + s - 1) / s;
            long total = Math.max(0, (out - 1) * s + e - in);
            long pe = useReach ? ax[i].reachEnd(s, e) : ax[i].padEnd();
            if (ax[i].out() != out || ax[i].padBegin() != total / 2 || pe != total - total / 2) return false;
        }
        return true;
    }

    static boolean noPads(Axis[] ax, long[] strides, long[] extents, boolean useReach) {
        for (int i = 0; i < ax.length; i++) {
            long pe = useReach ? ax[i].reachEnd(strides[i], extents[i]) : ax[i].padEnd();
            if (ax[i].padBegin() != 0 || pe != 0) return false;
        }
        return true;
    }

    static long[] extents(Window w) {
        long[] e = new long[w.spatial()];
        for (int i = 0; i < e.length; i++) e[i] = w.extent(i);
        return e;
    }

    /** Pads list {{0,0}, {pb,pe}..., {0,0}} of a channels-last activation. */
    static long[][] spatialPads(Axis[] ax, long[] strides, long[] extents, boolean useReach) {
        long[][] p = new long[ax.length + 2][];
        p[0] = new long[] {0, 0};
        for (int i = 0; i < ax.length; i++)
            p[i + 1] = new long[] {ax[i].padBegin(), useReach ? ax[i].reachEnd(strides[i], extents[i]) : ax[i].padEnd()};
        p[ax.length + 1] = new long[] {0, 0};
        return p;
    }

    static Window window1dAs2d(Window w) {
        return new Window(new long[] {1, w.kernel()[0]}, new long[] {1, w.strides()[0]}, new long[] {1, w.dilations()[0]},
                new long[] {0, w.pads()[0], 0, w.pads()[1]}, w.autoPad(), w.ceilMode());
    }

    static Axis[] prepend1(Axis a) { return new Axis[] {new Axis(1, 1, 0, 0), a}; }

    // ------------------------------------------------------------------------------------------- Conv

    static void conv(Node n, LowerContext c) {
        T x0 = TfliteNnEmit.in(c, n, 0);
        requireFloat(x0, "Conv");
        int r = x0.rank();
        if (r < 3 || r > 5) throw new ConversionException("Conv with " + (r - 2) + " spatial dims is not supported by TFLite");
        Wt w = Wt.of(c, n, 1);
        if (w.dt() != DType.FLOAT32) throw new ConversionException("Conv weights must be float32");
        long[] ws = w.shape();
        Window win = NnGeometry.window(n, kernelOf(ws));
        checkKernel(win, kernelOf(ws));
        T x = channelsLast(c, n, x0);
        int sp = r - 2;
        Axis[] ax = new Axis[sp];
        for (int i = 0; i < sp; i++) ax[i] = NnGeometry.forward(win, i, x.dim(1 + i));
        long group = n.attrs().getInt("group", 1);
        Wt bias = Wt.of(c, n, 2);
        long m = ws[0];
        long[] ys = new long[r];
        ys[0] = x.dim(0);
        for (int i = 0; i < sp; i++) ys[1 + i] = ax[i].out();
        ys[r - 1] = m;
        T into = directOut(c, n);
        T y;
        if (sp == 1) {
            T x4 = reshape(c, x, new long[] {x.dim(0), 1, x.dim(1), x.dim(2)}, null);
            Wt w4 = w.reshape(c, new long[] {ws[0], ws[1], 1, ws[2]});
            Window w2 = window1dAs2d(win);
            T y4 = conv2d(c, x4, w4, bias, w2, prepend1(ax[0]), group, null);
            y = reshape(c, y4, ys, into);
        } else if (sp == 2) {
            y = conv2d(c, x, w, bias, win, ax, group, into);
        } else {
            y = conv3d(c, x, w, bias, win, ax, group, into);
        }
        finish(c, n, 0, y);
    }

    static T zerosBias(LowerContext c, long m) { return fill(c, DType.FLOAT32, new long[] {m}, 0, "zero_bias"); }

    /** 2-D convolution of x [N,H,W,C] with ONNX weights w [M, C/group, kh, kw]. */
    static T conv2d(LowerContext c, T x, Wt w, Wt bias, Window win, Axis[] ax, long group, T into) {
        long[] ws = w.shape();
        long cin = x.dim(3), m = ws[0], cg = ws[1];
        if (cg * group != cin) throw new ConversionException("Conv weight has " + cg + " input channels per group, input has " + cin + " channels in " + group + " groups");
        if (m % group != 0) throw new ConversionException("Conv output channels " + m + " do not divide into " + group + " groups");
        long[] st = win.strides(), dl = win.dilations(), ext = extents(win);
        byte padding;
        T xp = x;
        if (noPads(ax, st, ext, false)) padding = Padding.VALID;
        else if (sameCompatible(ax, st, ext, false)) padding = Padding.SAME;
        else {
            xp = pad(c, x, spatialPads(ax, st, ext, false), 0, null);
            padding = Padding.VALID;
        }
        long[] os = {x.dim(0), ax[0].out(), ax[1].out(), m};
        T o = into != null ? into : new T(c.temp(DType.FLOAT32, os, hint(c, "conv")), DType.FLOAT32, os);
        T b = bias != null ? bias.tensor(c, "bias") : zerosBias(c, m);
        int sw = (int) st[1], sh = (int) st[0], dw = (int) dl[1], dh = (int) dl[0];
        if (group == 1) {
            T f = w.permute(c, new int[] {0, 2, 3, 1}).tensor(c, "filter");
            c.op(BuiltinOperator.CONV_2D, 1, new int[] {xp.id(), f.id(), b.id()}, new int[] {o.id()}, BuiltinOptions.Conv2DOptions,
                    fb -> Conv2DOptions.createConv2DOptions(fb, padding, sw, sh, NONE, dw, dh, (byte) 0));
            return o;
        }
        if (cg == 1 && group == cin) {
            T f = w.permute(c, new int[] {1, 2, 3, 0}).tensor(c, "filter");
            int mult = (int) (m / cin);
            int version = dw != 1 || dh != 1 ? 2 : 1;
            c.op(BuiltinOperator.DEPTHWISE_CONV_2D, version, new int[] {xp.id(), f.id(), b.id()}, new int[] {o.id()}, BuiltinOptions.DepthwiseConv2DOptions,
                    fb -> DepthwiseConv2DOptions.createDepthwiseConv2DOptions(fb, padding, sw, sh, mult, NONE, dw, dh));
            return o;
        }
        // general grouped convolution: one CONV_2D per group, concatenated along channels
        List<T> xs = split(c, xp, 3, (int) group);
        long mg = m / group;
        Wt bw = bias != null ? bias : Wt.of(Tensor.ofFloats(new long[] {m}, new float[(int) m]));
        List<T> ys = new ArrayList<>();
        for (int g = 0; g < group; g++) {
            T f = w.slice(c, 0, g * mg, mg).permute(c, new int[] {0, 2, 3, 1}).tensor(c, "filter_g" + g);
            T bg = bw.slice(c, 0, g * mg, mg).tensor(c, "bias_g" + g);
            long[] gs = {x.dim(0), ax[0].out(), ax[1].out(), mg};
            T og = new T(c.temp(DType.FLOAT32, gs, hint(c, "conv_g" + g)), DType.FLOAT32, gs);
            c.op(BuiltinOperator.CONV_2D, 1, new int[] {xs.get(g).id(), f.id(), bg.id()}, new int[] {og.id()}, BuiltinOptions.Conv2DOptions,
                    fb -> Conv2DOptions.createConv2DOptions(fb, padding, sw, sh, NONE, dw, dh, (byte) 0));
            ys.add(og);
        }
        return concat(c, ys, 3, o);
    }

    /** 3-D convolution of x [N,D,H,W,C] with ONNX weights w [M, C/group, kd, kh, kw] (CONV_3D). */
    static T conv3d(LowerContext c, T x, Wt w, Wt bias, Window win, Axis[] ax, long group, T into) {
        long[] ws = w.shape();
        long cin = x.dim(4), m = ws[0], cg = ws[1];
        if (cg * group != cin || m % group != 0) throw new ConversionException("Conv channels do not match the groups");
        long[] st = win.strides(), dl = win.dilations(), ext = extents(win);
        byte padding;
        T xp = x;
        if (noPads(ax, st, ext, false)) padding = Padding.VALID;
        else if (sameCompatible(ax, st, ext, false)) padding = Padding.SAME;
        else {
            xp = pad(c, x, spatialPads(ax, st, ext, false), 0, null);
            padding = Padding.VALID;
        }
        long[] os = {x.dim(0), ax[0].out(), ax[1].out(), ax[2].out(), m};
        T o = into != null ? into : new T(c.temp(DType.FLOAT32, os, hint(c, "conv3d")), DType.FLOAT32, os);
        List<T> xs = split(c, xp, 4, (int) group);
        long mg = m / group;
        Wt bw = bias != null ? bias : Wt.of(Tensor.ofFloats(new long[] {m}, new float[(int) m]));
        List<T> ys = new ArrayList<>();
        for (int g = 0; g < group; g++) {
            T f = w.slice(c, 0, g * mg, mg).permute(c, new int[] {2, 3, 4, 1, 0}).tensor(c, "filter_g" + g);
            T bg = bw.slice(c, 0, g * mg, mg).tensor(c, "bias_g" + g);
            long[] gs = {os[0], os[1], os[2], os[3], mg};
            T og = group == 1 ? o : new T(c.temp(DType.FLOAT32, gs, hint(c, "conv3d_g" + g)), DType.FLOAT32, gs);
            c.op(BuiltinOperator.CONV_3D, 1, new int[] {xs.get(g).id(), f.id(), bg.id()}, new int[] {og.id()}, BuiltinOptions.Conv3DOptions,
                    fb -> Conv3DOptions.createConv3DOptions(fb, padding, (int) st[0], (int) st[2], (int) st[1], NONE, (int) dl[0], (int) dl[2], (int) dl[1]));
            ys.add(og);
        }
        return group == 1 ? o : concat(c, ys, 4, o);
    }

    // ------------------------------------------------------------------------------------------- ConvTranspose

    static void convTranspose(Node n, LowerContext c) {
        T x0 = TfliteNnEmit.in(c, n, 0);
        requireFloat(x0, "ConvTranspose");
        int r = x0.rank();
        if (r < 3 || r > 5) throw new ConversionException("ConvTranspose with " + (r - 2) + " spatial dims is not supported by TFLite");
        Wt w = Wt.of(c, n, 1);
        if (w.dt() != DType.FLOAT32) throw new ConversionException("ConvTranspose weights must be float32");
        long[] ws = w.shape();
        Window win = NnGeometry.window(n, kernelOf(ws));
        checkKernel(win, kernelOf(ws));
        int sp = r - 2;
        long[] op = NnGeometry.outputPadding(n, sp);
        long[] osAttr = NnGeometry.spatialOutputShape(n, sp);
        T x = channelsLast(c, n, x0);
        Axis[] ax = new Axis[sp];
        for (int i = 0; i < sp; i++) ax[i] = NnGeometry.transposed(win, op, osAttr, i, x.dim(1 + i));
        long group = n.attrs().getInt("group", 1);
        long cin = x.dim(r - 1);
        if (ws[0] != cin) throw new ConversionException("ConvTranspose weight has " + ws[0] + " input channels, input has " + cin);
        if (cin % group != 0) throw new ConversionException("ConvTranspose input channels do not divide into groups");
        long m = ws[1] * group;
        Wt bias = Wt.of(c, n, 2);
        long[] ys = new long[r];
        ys[0] = x.dim(0);
        for (int i = 0; i < sp; i++) ys[1 + i] = ax[i].out();
        ys[r - 1] = m;
        T into = directOut(c, n);
        T y;
        if (sp == 1) {
            T x4 = reshape(c, x, new long[] {x.dim(0), 1, x.dim(1), x.dim(2)}, null);
            Wt w4 = w.reshape(c, new long[] {ws[0], ws[1], 1, ws[2]});
            Window w2 = window1dAs2d(win);
            T y4 = convTranspose2d(c, x4, w4, bias, w2, new long[] {0, op[0]}, prepend1(ax[0]), group, null);
            y = reshape(c, y4, ys, into);
        } else if (sp == 2) {
            y = convTranspose2d(c, x, w, bias, win, op, ax, group, into);
        } else {
            y = convTranspose3d(c, x, w, bias, win, op, ax, group, into);
        }
        finish(c, n, 0, y);
    }

    /** Crops the full transposed-conv result f [N, full..., M] to [pb, pb+out) per spatial dim. */
    static T crop(LowerContext c, T f, Axis[] ax, T into) {
        int r = f.rank();
        long[] b = new long[r], e = f.shape().clone(), s = new long[r];
        Arrays.fill(s, 1);
        for (int i = 0; i < ax.length; i++) {
            b[1 + i] = ax[i].padBegin();
            e[1 + i] = ax[i].padBegin() + ax[i].out();
        }
        return stridedSlice(c, f, b, e, s, into);
    }

    static T convTranspose2d(LowerContext c, T x, Wt w, Wt bias, Window win, long[] op, Axis[] ax, long group, T into) {
        long[] st = win.strides();
        for (Axis a : ax) if (a.padBegin() < 0) throw new ConversionException("ConvTranspose with negative begin padding is not supported");
        // dilation: dilate the kernel (zeros between taps), TRANSPOSE_CONV has none
        Wt wd = w.dilate(c, 2, win.dilations()[0]).dilate(c, 3, win.dilations()[1]);
        long[] ws = wd.shape();
        long n = x.dim(0), mg = ws[1], m = mg * group;
        long[] full = new long[2];
        boolean cropNeeded = false;
        for (int i = 0; i < 2; i++) {
            long f = st[i] * (ax[i].in() - 1) + ws[2 + i] + op[i];
            full[i] = Math.max(f, ax[i].padBegin() + ax[i].out());
            if (ax[i].padBegin() != 0 || full[i] != ax[i].out()) cropNeeded = true;
        }
        long[] fs = {n, full[0], full[1], m};
        T fullT = cropNeeded || into == null ? new T(c.temp(DType.FLOAT32, fs, hint(c, "deconv")), DType.FLOAT32, fs) : into;
        List<T> xs = split(c, x, 3, (int) group);
        long cg = x.dim(3) / group;
        List<T> parts = new ArrayList<>();
        for (int g = 0; g < group; g++) {
            T f = wd.slice(c, 0, g * cg, cg).permute(c, new int[] {1, 2, 3, 0}).tensor(c, "filter_g" + g);
            long[] gs = {n, full[0], full[1], mg};
            T og = group == 1 ? fullT : new T(c.temp(DType.FLOAT32, gs, hint(c, "deconv_g" + g)), DType.FLOAT32, gs);
            int shape = c.constInt32(hint(c, "output_shape"), toInt(gs));
            int[] ins;
            int version;
            if (bias != null) {
                T bg = bias.slice(c, 0, g * mg, mg).tensor(c, "bias_g" + g);
                ins = new int[] {shape, f.id(), xs.get(g).id(), bg.id()};
                version = 3;
            } else {
                ins = new int[] {shape, f.id(), xs.get(g).id()};
                version = 1;
            }
            c.op(BuiltinOperator.TRANSPOSE_CONV, version, ins, new int[] {og.id()}, BuiltinOptions.TransposeConvOptions,
                    fb -> TransposeConvOptions.createTransposeConvOptions(fb, Padding.VALID, (int) st[1], (int) st[0], NONE, (byte) 0));
            parts.add(og);
        }
        T whole = group == 1 ? fullT : concat(c, parts, 3, cropNeeded ? null : fullT);
        return cropNeeded ? crop(c, whole, ax, into) : whole;
    }

    static T convTranspose3d(LowerContext c, T x, Wt w, Wt bias, Window win, long[] op, Axis[] ax, long group, T into) {
        long[] st = win.strides(), dl = win.dilations();
        for (Axis a : ax) if (a.padBegin() < 0) throw new ConversionException("ConvTranspose with negative begin padding is not supported");
        long[] ws = w.shape();
        long n = x.dim(0), mg = ws[1], m = mg * group;
        long[] full = new long[3];
        boolean extend = false;
        for (int i = 0; i < 3; i++) {
            full[i] = st[i] * (ax[i].in() - 1) + win.extent(i) + op[i];
            if (op[i] >= st[i]) throw new ConversionException("ConvTranspose 3-D output_padding must be smaller than the stride");
            if (ax[i].padBegin() + ax[i].out() > full[i]) extend = true;
        }
        long[] fs = {n, full[0], full[1], full[2], m};
        List<T> xs = split(c, x, 4, (int) group);
        long cg = x.dim(4) / group;
        List<T> parts = new ArrayList<>();
        // TFLite 2.6 checks a CONV_3D_TRANSPOSE bias against the filter's input-channel dim: add the bias separately
        boolean fuseBias = false;
        for (int g = 0; g < group; g++) {
            T f = w.slice(c, 0, g * cg, cg).permute(c, new int[] {2, 3, 4, 1, 0}).tensor(c, "filter_g" + g);
            long[] gs = {n, full[0], full[1], full[2], mg};
            T og = new T(c.temp(DType.FLOAT32, gs, hint(c, "deconv3d_g" + g)), DType.FLOAT32, gs);
            int shape = c.constInt32(hint(c, "output_shape"), toInt(gs));
            int[] ins = fuseBias ? new int[] {shape, f.id(), xs.get(g).id(), bias.slice(c, 0, g * mg, mg).tensor(c, "bias_g" + g).id()}
                    : new int[] {shape, f.id(), xs.get(g).id()};
            c.op(BuiltinOperator.CONV_3D_TRANSPOSE, 1, ins, new int[] {og.id()}, BuiltinOptions.Conv3DOptions,
                    fb -> Conv3DOptions.createConv3DOptions(fb, Padding.VALID, (int) st[0], (int) st[2], (int) st[1], NONE, (int) dl[0], (int) dl[2], (int) dl[1]));
            parts.add(og);
        }
        T whole = concat(c, parts, 4, null);
        if (extend) {
            long[][] p = new long[5][];
            p[0] = new long[] {0, 0};
            p[4] = new long[] {0, 0};
            for (int i = 0; i < 3; i++) p[1 + i] = new long[] {0, Math.max(0, ax[i].padBegin() + ax[i].out() - full[i])};
            whole = pad(c, whole, p, 0, null);
        }
        if (bias != null && !fuseBias) {
            T y = crop(c, whole, ax, null);
            return add(c, y, bias.tensor(c, "bias"), into);
        }
        return crop(c, whole, ax, into);
    }

    // ------------------------------------------------------------------------------------------- pools

    enum Kind { MAX, AVG, LP }

    static void pool(Node n, LowerContext c, Kind kind) {
        T x0 = TfliteNnEmit.in(c, n, 0);
        int r = x0.rank();
        if (r < 3) throw new ConversionException("pooling needs an input of rank >= 3");
        if (kind == Kind.MAX) {
            if (used(n, 1)) throw new ConversionException("MaxPool's Indices output has no TFLite equivalent");
            if (x0.dt() != DType.FLOAT32 && x0.dt() != DType.UINT8 && x0.dt() != DType.INT8)
                throw new ConversionException("MaxPool is converted for float32/uint8/int8, got " + x0.dt());
        } else {
            requireFloat(x0, n.opType());
        }
        Window win = NnGeometry.window(n, null);
        int sp = r - 2;
        if (win.spatial() != sp) throw new ConversionException("kernel_shape has " + win.spatial() + " dims, input " + sp + " spatial dims");
        T x = channelsLast(c, n, x0);
        Axis[] ax = new Axis[sp];
        for (int i = 0; i < sp; i++) ax[i] = NnGeometry.forward(win, i, x.dim(1 + i));
        boolean include = n.attrs().getInt("count_include_pad", 0) != 0;
        T into = directOut(c, n);
        T y;
        if (kind == Kind.LP) {
            double p = lpOrder(n);
            T xa;
            if (p == 1) xa = unary(c, BuiltinOperator.ABS, x, null);
            else if (p == 2) xa = mul(c, x, x, null);
            else xa = binary(c, BuiltinOperator.POW, unary(c, BuiltinOperator.ABS, x, null), scalar(c, DType.FLOAT32, p, "p"), null);
            T sum = poolSum(c, xa, win, ax);
            if (p == 1) y = into == null ? sum : copy(c, sum, into);
            else if (p == 2) y = unary(c, BuiltinOperator.SQRT, sum, into);
            else y = binary(c, BuiltinOperator.POW, sum, scalar(c, DType.FLOAT32, 1.0 / p, "inv_p"), into);
        } else if (sp <= 2 && !win.dilated()) {
            y = nativePool(c, x, win, ax, kind, include, into);
        } else {
            y = slicePool(c, x, win, ax, kind == Kind.MAX, kind == Kind.AVG ? null : into);
            if (kind == Kind.AVG) {
                T map = divisorMap(c, win, ax, include, false, y.rank());
                y = map == null ? (into == null ? y : copy(c, y, into)) : mul(c, y, map, into);
            }
        }
        finish(c, n, 0, y);
    }

    static double lpOrder(Node n) {
        Attr a = n.attrs().get("p");
        if (a == null) return 2;
        if (a instanceof Attr.Int i) return i.value();
        if (a instanceof Attr.Float f) return f.value();
        throw new ConversionException("attribute p has an unexpected type");
    }

    /** The lowest value of a type (padding that never wins a max). */
    static double lowest(DType dt) {
        return switch (dt) {
            case UINT8 -> 0;
            case INT8 -> -128;
            default -> -3.4028234663852886e38;
        };
    }

    /** Sum over each window (zero padding), for LpPool. */
    static T poolSum(LowerContext c, T x, Window win, Axis[] ax) {
        if (ax.length <= 2 && !win.dilated()) {
            T avg = nativePoolValid(c, x, win, ax, 0.0);
            long kp = 1;
            for (long k : win.kernel()) kp *= k;
            return scale(c, avg, kp, null);
        }
        return slicePool(c, x, win, ax, false, null);
    }

    /** AVERAGE_POOL_2D over x padded with v to the windows' reach, VALID. 1-D goes through H=1. */
    static T nativePoolValid(LowerContext c, T x, Window win, Axis[] ax, double v) {
        long[] st = win.strides(), ext = extents(win);
        T xp = pad(c, x, spatialPads(ax, st, ext, true), v, null);
        return pool2d(c, BuiltinOperator.AVERAGE_POOL_2D, xp, win, ax, Padding.VALID, null);
    }

    /** MAX_POOL_2D / AVERAGE_POOL_2D of channels-last x with rank 3 (via H=1) or 4. */
    static T pool2d(LowerContext c, int op, T x, Window win, Axis[] ax, byte padding, T into) {
        boolean oneD = ax.length == 1;
        T x4 = oneD ? reshape(c, x, new long[] {x.dim(0), 1, x.dim(1), x.dim(2)}, null) : x;
        long[] k = oneD ? new long[] {1, win.kernel()[0]} : win.kernel();
        long[] s = oneD ? new long[] {1, win.strides()[0]} : win.strides();
        long[] os = {x.dim(0), oneD ? 1 : ax[0].out(), oneD ? ax[0].out() : ax[1].out(), x.dim(-1)};
        T o = oneD || into == null ? new T(c.temp(x.dt(), os, hint(c, "pool")), x.dt(), os) : into;
        int version = x.dt() == DType.INT8 ? 2 : 1;
        c.op(op, version, new int[] {x4.id()}, new int[] {o.id()}, BuiltinOptions.Pool2DOptions,
                fb -> Pool2DOptions.createPool2DOptions(fb, padding, (int) s[1], (int) s[0], (int) k[1], (int) k[0], NONE));
        if (oneD) return reshape(c, o, new long[] {x.dim(0), ax[0].out(), x.dim(2)}, into);
        return o;
    }

    static T nativePool(LowerContext c, T x, Window win, Axis[] ax, Kind kind, boolean include, T into) {
        long[] st = win.strides(), ext = extents(win);
        int op = kind == Kind.MAX ? BuiltinOperator.MAX_POOL_2D : BuiltinOperator.AVERAGE_POOL_2D;
        if (noPads(ax, st, ext, true)) return pool2d(c, op, x, win, ax, Padding.VALID, into);
        boolean padsCount = false;
        for (Axis a : ax) if (a.padBegin() != 0 || a.padEnd() != 0) padsCount = true;
        if (sameCompatible(ax, st, ext, true) && (kind == Kind.MAX || !include || !padsCount))
            return pool2d(c, op, x, win, ax, Padding.SAME, into);
        T xp = pad(c, x, spatialPads(ax, st, ext, true), kind == Kind.MAX ? lowest(x.dt()) : 0, null);
        if (kind == Kind.MAX) return pool2d(c, op, xp, win, ax, Padding.VALID, into);
        T avg = pool2d(c, op, xp, win, ax, Padding.VALID, null);
        T map = divisorMap(c, win, ax, include, true, avg.rank());
        if (map == null) return into == null ? avg : copy(c, avg, into);
        return mul(c, avg, map, into);
    }

    /**
     * Per-output-position factor turning a window sum (or, with fromAverage, a mean over the whole kernel)
     * into ONNX's average: 1/divisor (or kernel size/divisor), shaped [1, out..., 1]. Null when all factors are 1.
     */
    static T divisorMap(LowerContext c, Window win, Axis[] ax, boolean include, boolean fromAverage, int rank) {
        int sp = ax.length;
        long[][] counts = new long[sp][];
        long kp = 1;
        for (int i = 0; i < sp; i++) {
            kp *= win.kernel()[i];
            counts[i] = new long[(int) ax[i].out()];
            long lo = include ? -ax[i].padBegin() : 0, hi = include ? ax[i].in() + ax[i].padEnd() : ax[i].in();
            for (int o = 0; o < ax[i].out(); o++)
                counts[i][o] = NnGeometry.taps(o, win.strides()[i], win.kernel()[i], win.dilations()[i], ax[i].padBegin(), lo, hi);
        }
        long[] shape = new long[rank];
        Arrays.fill(shape, 1);
        long total = 1;
        for (int i = 0; i < sp; i++) { shape[1 + i] = ax[i].out(); total *= ax[i].out(); }
        float[] v = new float[(int) total];
        boolean allOne = true;
        for (int p = 0; p < total; p++) {
            long rem = p, div = 1;
            for (int i = sp - 1; i >= 0; i--) {
                div *= counts[i][(int) (rem % ax[i].out())];
                rem /= ax[i].out();
            }
            double f = div == 0 ? 0 : (fromAverage ? (double) kp / div : 1.0 / div);
            v[p] = (float) f;
            if (f != 1) allOne = false;
        }
        if (allOne) return null;
        return constF(c, shape, v, "avg_divisor");
    }

    /**
     * Pooling by strided slices, one spatial dim at a time through a 3-D view [outer, L, inner]: handles any
     * rank, dilation, padding and ceil_mode. Returns the window max (max) or the window sum.
     */
    static T slicePool(LowerContext c, T x, Window win, Axis[] ax, boolean max, T into) {
        long[] shape = x.shape().clone();
        T cur = x;
        int sp = ax.length;
        double padValue = max ? lowest(x.dt()) : 0;
        for (int i = 0; i < sp; i++) {
            int axis = 1 + i;
            long outer = 1, inner = 1;
            for (int j = 0; j < axis; j++) outer *= shape[j];
            for (int j = axis + 1; j < shape.length; j++) inner *= shape[j];
            long s = win.strides()[i], d = win.dilations()[i], k = win.kernel()[i], o = ax[i].out();
            long pb = ax[i].padBegin(), pe = ax[i].reachEnd(s, win.extent(i));
            T v = reshape(c, cur, new long[] {outer, shape[axis], inner}, null);
            v = pad(c, v, new long[][] {{0, 0}, {pb, Math.max(0, pe)}, {0, 0}}, padValue, null);
            T acc = null;
            for (long j = 0; j < k; j++) {
                long b = j * d;
                T tap = stridedSlice(c, v, new long[] {0, b, 0}, new long[] {outer, b + (o - 1) * s + 1, inner}, new long[] {1, s, 1}, null);
                acc = acc == null ? tap : binary(c, max ? BuiltinOperator.MAXIMUM : BuiltinOperator.ADD, acc, tap, null);
            }
            shape[axis] = o;
            cur = reshape(c, acc, shape.clone(), i == sp - 1 ? into : null);
        }
        return cur;
    }

    static void globalPool(Node n, LowerContext c, int op) {
        T x = TfliteNnEmit.in(c, n, 0);
        if (op == BuiltinOperator.MEAN) requireFloat(x, n.opType());
        int r = x.rank();
        int[] axes = Layout.isNhwc(n) ? range(1, r - 1) : range(2, r);
        reduce(c, op, x, axes, true, out(c, n, 0));
    }

    // ------------------------------------------------------------------------------------------- normalizations

    /** A per-channel parameter [C] shaped to broadcast against an activation of the node's layout and rank. */
    static T channelParam(LowerContext c, Node n, Wt p, int rank, String h) {
        long ch = Tensor.numel(p.shape());
        long[] s;
        if (Layout.isNhwc(n) || rank <= 2) s = new long[] {ch};
        else {
            s = new long[rank - 1];
            Arrays.fill(s, 1);
            s[0] = ch;
        }
        return p.reshape(c, s).tensor(c, h);
    }

    static void instanceNorm(Node n, LowerContext c) {
        T x = TfliteNnEmit.in(c, n, 0);
        requireFloat(x, "InstanceNormalization");
        int r = x.rank();
        if (r < 3) throw new ConversionException("InstanceNormalization needs rank >= 3");
        float eps = n.attrs().getFloat("epsilon", 1e-5f);
        int[] axes = Layout.isNhwc(n) ? range(1, r - 1) : range(2, r);
        T mean = reduce(c, BuiltinOperator.MEAN, x, axes, true, null);
        T d = sub(c, x, mean, null);
        T var = reduce(c, BuiltinOperator.MEAN, mul(c, d, d, null), axes, true, null);
        T inv = unary(c, BuiltinOperator.RSQRT, add(c, var, scalar(c, DType.FLOAT32, eps, "eps"), null), null);
        T s = channelParam(c, n, Wt.of(c, n, 1), r, "scale");
        T b = channelParam(c, n, Wt.of(c, n, 2), r, "bias");
        T f = mul(c, inv, s, null);
        add(c, mul(c, d, f, null), b, out(c, n, 0));
    }

    static void lrn(Node n, LowerContext c) {
        T x0 = TfliteNnEmit.in(c, n, 0);
        requireFloat(x0, "LRN");
        if (x0.rank() != 4) throw new ConversionException("LRN is converted for 4-D inputs only (TFLite LOCAL_RESPONSE_NORMALIZATION), got rank " + x0.rank());
        long size = n.attrs().requireInt("size");
        float alpha = n.attrs().getFloat("alpha", 1e-4f), beta = n.attrs().getFloat("beta", 0.75f), bias = n.attrs().getFloat("bias", 1f);
        T x = channelsLast(c, n, x0);
        T into = directOut(c, n);
        T y;
        if (size % 2 == 1) {
            int radius = (int) ((size - 1) / 2);
            float a = alpha / size;
            y = into != null ? into : new T(c.temp(DType.FLOAT32, x.shape(), hint(c, "lrn")), DType.FLOAT32, x.shape());
            c.op(BuiltinOperator.LOCAL_RESPONSE_NORMALIZATION, 1, new int[] {x.id()}, new int[] {y.id()}, BuiltinOptions.LocalResponseNormalizationOptions,
                    fb -> LocalResponseNormalizationOptions.createLocalResponseNormalizationOptions(fb, radius, bias, a, beta));
        } else {
            // asymmetric channel window [c - floor((size-1)/2), c + ceil((size-1)/2)]: sum of squares by a 1-D pool
            long lo = (size - 1) / 2, hi = size / 2;
            long nhw = x.dim(0) * x.dim(1) * x.dim(2), ch = x.dim(3);
            T sq = mul(c, x, x, null);
            T v = reshape(c, sq, new long[] {nhw, 1, ch, 1}, null);
            T p = pad(c, v, new long[][] {{0, 0}, {0, 0}, {lo, hi}, {0, 0}}, 0, null);
            long[] os = {nhw, 1, ch, 1};
            T avg = new T(c.temp(DType.FLOAT32, os, hint(c, "lrn_avg")), DType.FLOAT32, os);
            c.op(BuiltinOperator.AVERAGE_POOL_2D, 1, new int[] {p.id()}, new int[] {avg.id()}, BuiltinOptions.Pool2DOptions,
                    fb -> Pool2DOptions.createPool2DOptions(fb, Padding.VALID, 1, 1, (int) size, 1, NONE));
            // bias + alpha/size * sum = bias + alpha * mean
            T base = add(c, scale(c, avg, alpha, null), scalar(c, DType.FLOAT32, bias, "bias"), null);
            T den = binary(c, BuiltinOperator.POW, base, scalar(c, DType.FLOAT32, beta, "beta"), null);
            y = div(c, x, reshape(c, den, x.shape(), null), into);
        }
        finish(c, n, 0, y);
    }

    static void batchNorm(Node n, LowerContext c) {
        T x = TfliteNnEmit.in(c, n, 0);
        requireFloat(x, "BatchNormalization");
        int r = x.rank();
        float eps = n.attrs().getFloat("epsilon", 1e-5f);
        boolean training = n.attrs().getInt("training_mode", 0) != 0;
        if (n.opset() > 0 && n.opset() < 7 && n.attrs().getInt("is_test", 0) == 0 && (used(n, 1) || used(n, 2) || used(n, 3) || used(n, 4)))
            training = true;
        if (n.opset() > 0 && n.opset() < 9 && n.attrs().getInt("spatial", 1) == 0)
            throw new ConversionException("BatchNormalization with spatial=0 is not supported");
        if (!training && n.opset() < 14) {
            for (int i = 1; i < n.outputs().size(); i++) if (used(n, i)) training = true;
        }
        if (training && n.opset() > 0 && n.opset() < 14)
            throw new ConversionException("BatchNormalization training outputs before opset 14 are not supported");
        Value sv = n.input(1), bv = n.input(2), mv = n.input(3), vv = n.input(4);
        if (!training && sv.isConstant() && bv.isConstant() && mv.isConstant() && vv.isConstant()) {
            double[] s = sv.constant().toDoubles(), b = bv.constant().toDoubles(), m = mv.constant().toDoubles(), v = vv.constant().toDoubles();
            int ch = s.length;
            float[] a = new float[ch], o = new float[ch];
            for (int i = 0; i < ch; i++) {
                double k = s[i] / Math.sqrt(v[i] + eps);
                a[i] = (float) k;
                o[i] = (float) (b[i] - m[i] * k);
            }
            T at = channelParam(c, n, Wt.of(Tensor.ofFloats(new long[] {ch}, a)), r, "bn_scale");
            T ot = channelParam(c, n, Wt.of(Tensor.ofFloats(new long[] {ch}, o)), r, "bn_offset");
            add(c, mul(c, x, at, null), ot, out(c, n, 0));
            return;
        }
        T s = channelParam(c, n, Wt.of(c, n, 1), r, "scale");
        T b = channelParam(c, n, Wt.of(c, n, 2), r, "bias");
        T epsT = scalar(c, DType.FLOAT32, eps, "eps");
        if (!training) {
            T m = channelParam(c, n, Wt.of(c, n, 3), r, "mean");
            T v = channelParam(c, n, Wt.of(c, n, 4), r, "var");
            T a = mul(c, s, unary(c, BuiltinOperator.RSQRT, add(c, v, epsT, null), null), null);
            T o = sub(c, b, mul(c, m, a, null), null);
            add(c, mul(c, x, a, null), o, out(c, n, 0));
            return;
        }
        // training mode: batch statistics (population variance), running statistics updated with momentum
        int chAxis = Layout.isNhwc(n) ? r - 1 : 1;
        int[] axes = new int[r - 1];
        for (int i = 0, k = 0; i < r; i++) if (i != chAxis) axes[k++] = i;
        T mean = reduce(c, BuiltinOperator.MEAN, x, axes, true, null);
        T d = sub(c, x, mean, null);
        T var = reduce(c, BuiltinOperator.MEAN, mul(c, d, d, null), axes, true, null);
        T inv = unary(c, BuiltinOperator.RSQRT, add(c, var, epsT, null), null);
        T sN = reshape(c, s, keepShape(x.shape(), chAxis), null);
        T bN = reshape(c, b, keepShape(x.shape(), chAxis), null);
        add(c, mul(c, d, mul(c, inv, sN, null), null), bN, out(c, n, 0));
        float mom = n.attrs().getFloat("momentum", 0.9f);
        long ch = x.dim(chAxis);
        for (int k = 1; k <= 2; k++) {
            if (!used(n, k)) continue;
            T batch = reshape(c, k == 1 ? mean : var, new long[] {ch}, null);
            T running = Wt.of(c, n, k + 2).reshape(c, new long[] {ch}).tensor(c, k == 1 ? "mean" : "var");
            add(c, scale(c, running, mom, null), scale(c, batch, 1 - mom, null), out(c, n, k));
        }
    }

    static long[] keepShape(long[] s, int keepAxis) {
        long[] r = new long[s.length];
        Arrays.fill(r, 1);
        r[keepAxis] = s[keepAxis];
        return r;
    }
}
