package dev.onnxport.ir.ops;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Node;

import java.util.Arrays;

/**
 * Sliding-window geometry of the nn family (Conv, ConvTranspose, pools): kernel, strides, dilations and the
 * resolved begin/end padding and output size of each spatial dim, after ONNX's rules for explicit pads,
 * auto_pad (SAME_UPPER/SAME_LOWER/VALID) and ceil_mode. Shared by the shape functions and the TFLite lowerings.
 */
public final class NnGeometry {
    private NnGeometry() {}

    /** The window attributes of a node with {@code spatial} spatial dims. */
    public record Window(long[] kernel, long[] strides, long[] dilations, long[] pads, String autoPad, boolean ceilMode) {
        public int spatial() { return kernel.length; }

        /** The dilated extent of the kernel along dim i. */
        public long extent(int i) { return (kernel[i] - 1) * dilations[i] + 1; }

        public boolean dilated() {
            for (long d : dilations) if (d != 1) return true;
            return false;
        }

        public boolean same() { return autoPad.equals("SAME_UPPER") || autoPad.equals("SAME_LOWER"); }
    }

    /** Resolved padding and output size of one spatial dim. */
    public record Axis(long in, long out, long padBegin, long padEnd) {
        /** End padding that the last window actually reaches (ceil_mode can run past padEnd). */
        public long reachEnd(long stride, long extent) { return Math.max(padEnd, (out - 1) * stride + extent - in - padBegin); }
    }

    /** Reads kernel_shape (or the given default), strides, dilations, pads, auto_pad, ceil_mode. */
    public static Window window(Node n, long[] defaultKernel) {
        long[] k = n.attrs().getInts("kernel_shape");
        if (k == null) k = defaultKernel;
        if (k == null) throw new ConversionException("kernel_shape is required");
        int s = k.length;
        long[] strides = ints(n, "strides", s, 1);
        long[] dil = ints(n, "dilations", s, 1);
        long[] pads = n.attrs().getInts("pads");
        if (pads == null) pads = new long[2 * s];
        if (pads.length != 2 * s) throw new ConversionException("pads has " + pads.length + " values for " + s + " spatial dims");
        for (long p : pads) if (p < 0) throw new ConversionException("negative pads are not supported: " + Arrays.toString(pads));
        for (long v : strides) if (v < 1) throw new ConversionException("strides must be positive");
        for (long v : dil) if (v < 1) throw new ConversionException("dilations must be positive");
        String ap = n.attrs().getString("auto_pad", "NOTSET");
        if (ap.isEmpty()) ap = "NOTSET";
        if (!Arrays.asList("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID").contains(ap))
            throw new ConversionException("unknown auto_pad '" + ap + "'");
        boolean ceil = n.attrs().getInt("ceil_mode", 0) != 0;
        return new Window(k, strides, dil, pads, ap, ceil);
    }

    private static long[] ints(Node n, String name, int len, long dflt) {
        long[] v = n.attrs().getInts(name);
        if (v == null || v.length == 0) {
            v = new long[len];
            Arrays.fill(v, dflt);
        }
        if (v.length != len) throw new ConversionException(name + " has " + v.length + " values for " + len + " spatial dims");
        return v;
    }

    /** Forward (Conv / pooling) geometry of spatial dim i for a static input size. */
    public static Axis forward(Window w, int i, long in) {
        long s = w.strides()[i], e = w.extent(i);
        switch (w.autoPad()) {
            case "SAME_UPPER", "SAME_LOWER" -> {
                long out = (in + s - 1) / s;
                long total = Math.max(0, (out - 1) * s + e - in);
                long pb = w.autoPad().equals("SAME_UPPER") ? total / 2 : total - total / 2;
                return new Axis(in, out, pb, total - pb);
            }
            case "VALID" -> {
                long out = in >= e ? (in - e) / s + 1 : 0;
                return new Axis(in, out, 0, 0);
            }
            default -> {
                long pb = w.pads()[i], pe = w.pads()[i + w.spatial()];
                long span = in + pb + pe - e;
                if (span < 0) throw new ConversionException("kernel extent " + e + " exceeds padded input " + (in + pb + pe));
                long out;
                if (w.ceilMode()) {
                    out = Math.floorDiv(span + s - 1, s) + 1;
                    // the last window must start inside the input or its begin padding
                    if ((out - 1) * s >= in + pb) out--;
                } else {
                    out = span / s + 1;
                }
                return new Axis(in, out, pb, pe);
            }
        }
    }

    /** The output dim of spatial dim i for a possibly symbolic input dim. */
    public static Dim forwardDim(Window w, int i, Dim in, String symHint) {
        if (in.isKnown()) return Dim.of(forward(w, i, in.value()).out());
        long s = w.strides()[i], e = w.extent(i);
        if (s == 1) {
            if (w.same()) return in;
            if (!w.autoPad().equals("VALID") && w.pads()[i] + w.pads()[i + w.spatial()] == e - 1) return in;
        }
        return Dim.sym(symHint);
    }

    /**
     * ConvTranspose geometry of spatial dim i: the output size and the begin/end cropping of the full result
     * (s*(in-1) + output_padding + extent).
     */
    public static Axis transposed(Window w, long[] outputPadding, long[] outputShape, int i, long in) {
        long s = w.strides()[i], e = w.extent(i);
        long op = outputPadding == null ? 0 : outputPadding[i];
        long full = s * (in - 1) + op + e;
        if (outputShape == null && !w.same()) {
            boolean valid = w.autoPad().equals("VALID");
            long pb = valid ? 0 : w.pads()[i], pe = valid ? 0 : w.pads()[i + w.spatial()];
            return new Axis(in, full - pb - pe, pb, pe);
        }
        long out = outputShape != null ? outputShape[i] : in * s;
        long total = full - out;
        long pb, pe;
        if (w.autoPad().equals("SAME_UPPER")) {
            pb = Math.floorDiv(total, 2);
            pe = total - pb;
        } else {
            pe = Math.floorDiv(total, 2);
            pb = total - pe;
        }
        return new Axis(in, out, pb, pe);
    }

    /** output_shape's spatial part: the attribute may list all dims or only the spatial ones. */
    public static long[] spatialOutputShape(Node n, int spatial) {
        long[] os = n.attrs().getInts("output_shape");
        if (os == null || os.length == 0) return null;
        if (os.length == spatial) return os;
        if (os.length == spatial + 2) return Arrays.copyOfRange(os, 2, os.length);
        throw new ConversionException("output_shape has " + os.length + " values for " + spatial + " spatial dims");
    }

    public static long[] outputPadding(Node n, int spatial) {
        long[] op = n.attrs().getInts("output_padding");
        if (op == null || op.length == 0) return new long[spatial];
        if (op.length == spatial) return op;
        if (op.length == 2 * spatial) return Arrays.copyOf(op, spatial);
        throw new ConversionException("output_padding has " + op.length + " values for " + spatial + " spatial dims");
    }

    /**
     * How many taps of the window of output o along one dim fall inside [lo, hi) of the input coordinates
     * (input index 0 = first real element).
     */
    public static long taps(long o, long stride, long kernel, long dilation, long padBegin, long lo, long hi) {
        long c = 0;
        for (long j = 0; j < kernel; j++) {
            long t = o * stride - padBegin + j * dilation;
            if (t >= lo && t < hi) c++;
        }
        return c;
    }
}
