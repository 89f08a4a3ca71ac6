package dev.onnxport.backends.quant;

import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Turns {@code --calib} values into calibration samples: one map of input name to tensor (in the ONNX model's own
 * layout and dtype) per sample.
 * <p>
 * Image sources ({@code coco20}, a folder of .jpg/.png, an image-like .npy in NHWC or NCHW, uint8 or float) feed an
 * image input (float, rank 4, 1 or 3 channels in dim 1 or dim 3): each image is resized (bilinear, half-pixel
 * centres) to the input's height and width, its channels put in RGB or BGR order, and normalised as
 * {@code (v * scale - mean[c]) / std[c]}; scale defaults to 1/255 for uint8 data and 1 for float data. Any other
 * input needs its own array, {@code --calib NAME=FILE.npy}, shaped [samples, ...input dims without the batch] (or
 * exactly the input's shape for one sample); it is fed as it is, cast to the input's dtype.
 */
public final class CalibrationData {
    private CalibrationData() {}

    /** One --calib value: an optional input name and a source (coco20, a folder, a .npy file). */
    public record Source(String input, String spec) {
        @Override public String toString() { return input == null ? spec : input + "=" + spec; }
    }

    /** Image normalisation: per-channel mean and std (1 or C values), the scale (null: by source dtype), BGR order. */
    public record Preprocess(double[] mean, double[] std, Double scale, boolean bgr) {
        public static final Preprocess DEFAULT = new Preprocess(new double[] {0}, new double[] {1}, null, false);
    }

    /** A model input: name, dtype and shape (-1 for a dim not fixed). */
    public record InputInfo(String name, DType dtype, long[] shape) {
        boolean isImage() { return imageLayout() != null; }

        /** "NCHW" or "NHWC" for a float rank-4 input with 1 or 3 channels, else null. */
        String imageLayout() {
            if (dtype == null || !dtype.isFloat() || shape.length != 4) return null;
            boolean first = shape[1] == 3 || shape[1] == 1, last = shape[3] == 3 || shape[3] == 1;
            if (first && !(last && shape[1] == 1)) return "NCHW";
            if (last) return "NHWC";
            return null;
        }

        String describe() { return "'" + name + "' " + (dtype == null ? "?" : dtype.name().toLowerCase(Locale.ROOT)) + dims(shape); }
    }

    /** Parses "NAME=SPEC" when NAME is one of the inputs, else the whole value is the source. */
    public static Source parse(String value, Set<String> inputNames) {
        int eq = value.indexOf('=');
        if (eq > 0) {
            String name = value.substring(0, eq);
            if (inputNames.contains(name)) return new Source(name, value.substring(eq + 1));
            if (!Files.exists(Path.of(value)))
                throw new CalibrationException("--calib " + value + ": the model has no input '" + name + "' (inputs: " + String.join(", ", inputNames) + ")");
        }
        return new Source(null, value);
    }

    /** An image in source units (0..255 for uint8 sources), height x width x channels, RGB. */
    record Img(int h, int w, int c, float[] hwc, boolean fromUint8) {}

    /**
     * The calibration samples for the given inputs. Every input needs data: the one unnamed source goes to the only
     * input; a model with several inputs (or a non-image input) needs NAME=FILE.npy for each.
     */
    public static List<Map<String, Tensor>> samples(List<Source> sources, List<InputInfo> inputs, Preprocess pp, Consumer<String> log) {
        if (inputs.isEmpty()) throw new CalibrationException("the model has no inputs to calibrate");
        Map<String, InputInfo> byName = new LinkedHashMap<>();
        for (InputInfo i : inputs) byName.put(i.name(), i);
        Map<String, Source> assigned = new LinkedHashMap<>();
        List<Source> unnamed = new ArrayList<>();
        for (Source s : sources) {
            if (s.input() == null) unnamed.add(s);
            else if (assigned.put(s.input(), s) != null) throw new CalibrationException("--calib is given twice for input '" + s.input() + "'");
        }
        if (unnamed.size() > 1) throw new CalibrationException("--calib is given " + unnamed.size() + " times without an input name; use NAME=FILE.npy per input");
        if (!unnamed.isEmpty()) {
            List<InputInfo> open = inputs.stream().filter(i -> !assigned.containsKey(i.name())).toList();
            if (open.size() != 1 || inputs.size() != 1)
                throw new CalibrationException("the model has " + inputs.size() + " inputs (" + describe(inputs) + "); give calibration data for "
                        + "each with --calib NAME=FILE.npy (an unnamed --calib " + unnamed.get(0).spec() + " only serves a single-input model)");
            assigned.put(open.get(0).name(), new Source(open.get(0).name(), unnamed.get(0).spec()));
        }
        List<InputInfo> missing = inputs.stream().filter(i -> !assigned.containsKey(i.name())).toList();
        if (!missing.isEmpty())
            throw new CalibrationException("no calibration data for input" + (missing.size() > 1 ? "s " : " ") + describe(missing)
                    + "; give it with --calib NAME=FILE.npy");

        Map<String, List<Tensor>> perInput = new LinkedHashMap<>();
        for (Map.Entry<String, Source> e : assigned.entrySet()) {
            InputInfo in = byName.get(e.getKey());
            perInput.put(in.name(), forInput(e.getValue(), in, pp, log));
        }
        int n = -1;
        for (List<Tensor> l : perInput.values()) if (l.size() > 1) n = n < 0 ? l.size() : Math.min(n, l.size());
        if (n < 0) n = 1;
        for (Map.Entry<String, List<Tensor>> e : perInput.entrySet()) {
            int k = e.getValue().size();
            if (k != 1 && k != n)
                throw new CalibrationException("calibration inputs have different sample counts (" + e.getKey() + ": " + k + ", others: " + n + ")");
        }
        List<Map<String, Tensor>> r = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            for (Map.Entry<String, List<Tensor>> e : perInput.entrySet()) m.put(e.getKey(), e.getValue().get(e.getValue().size() == 1 ? 0 : i));
            r.add(m);
        }
        return r;
    }

    private static List<Tensor> forInput(Source s, InputInfo in, Preprocess pp, Consumer<String> log) {
        String spec = s.spec();
        if (spec.equals(Coco20.NAME)) {
            requireImage(in, s);
            return images(toImages(Coco20.load(log), "coco20"), in, pp, s);
        }
        Path p = Path.of(spec);
        if (Files.isDirectory(p)) {
            requireImage(in, s);
            return images(readFolder(p), in, pp, s);
        }
        if (!Files.exists(p))
            throw new CalibrationException("--calib " + s + ": no such file or folder (expected coco20, a folder of .jpg/.png images or a .npy file)");
        if (!spec.toLowerCase(Locale.ROOT).endsWith(".npy"))
            throw new CalibrationException("--calib " + s + ": not a .npy file or a folder of images");
        Tensor t = Npy.read(p);
        if (in.isImage() && looksLikeImages(t, in)) return images(toImages(t, "file '" + p + "'"), in, pp, s);
        return raw(t, in, s);
    }

    private static void requireImage(InputInfo in, Source s) {
        if (!in.isImage())
            throw new CalibrationException("--calib " + s + ": input " + in.describe() + " is not an image input (float, rank 4, 1 or 3 channels); "
                    + "give its data with --calib " + in.name() + "=FILE.npy");
    }

    private static boolean looksLikeImages(Tensor t, InputInfo in) {
        long[] s = t.shape();
        if (t.rank() == 3) return in.shape()[in.imageLayout().equals("NCHW") ? 1 : 3] == 1; // [N,H,W] grayscale
        if (t.rank() != 4) return false;
        return s[3] == 3 || s[3] == 1 || s[1] == 3 || s[1] == 1;
    }

    /** [N,H,W,C] / [N,C,H,W] / [N,H,W] arrays as images. */
    static List<Img> toImages(Tensor t, String what) {
        long[] s = t.shape();
        if (!(t.dtype() == DType.UINT8 || t.dtype().isFloat() || t.dtype() == DType.INT8 || t.dtype() == DType.INT16 || t.dtype() == DType.INT32))
            throw new CalibrationException(what + ": image data must be uint8 or float, is " + t.dtype());
        boolean nhwc;
        int n, h, w, c;
        if (t.rank() == 3) {
            nhwc = true;
            n = (int) s[0]; h = (int) s[1]; w = (int) s[2]; c = 1;
        } else if (t.rank() == 4) {
            boolean last = s[3] == 3 || s[3] == 1, first = s[1] == 3 || s[1] == 1;
            if (!last && !first) throw new CalibrationException(what + ": shape " + Arrays.toString(s) + " is neither NHWC nor NCHW with 1 or 3 channels");
            nhwc = last;
            n = (int) s[0];
            c = (int) (nhwc ? s[3] : s[1]);
            h = (int) (nhwc ? s[1] : s[2]);
            w = (int) (nhwc ? s[2] : s[3]);
        } else {
            throw new CalibrationException(what + ": image data must be rank 4 (NHWC or NCHW) or rank 3 (N,H,W), has shape " + Arrays.toString(s));
        }
        if (n < 1 || h < 1 || w < 1) throw new CalibrationException(what + ": no images in shape " + Arrays.toString(s));
        boolean u8 = t.dtype() == DType.UINT8;
        float[] all = t.dtype() == DType.FLOAT32 ? t.toFloats() : null;
        List<Img> r = new ArrayList<>();
        int per = h * w * c;
        for (int i = 0; i < n; i++) {
            float[] hwc = new float[per];
            for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int k = 0; k < c; k++) {
                long src = nhwc ? (long) i * per + ((long) y * w + x) * c + k : (long) i * per + ((long) k * h + y) * w + x;
                hwc[(y * w + x) * c + k] = all != null ? all[(int) src] : (float) t.getDouble(src);
            }
            r.add(new Img(h, w, c, hwc, u8));
        }
        return r;
    }

    static final Set<String> IMAGE_EXT = Set.of("jpg", "jpeg", "png", "bmp", "gif");

    static List<Img> readFolder(Path dir) {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                int dot = n.lastIndexOf('.');
                return dot > 0 && IMAGE_EXT.contains(n.substring(dot + 1)) && Files.isRegularFile(p);
            }).sorted().toList();
        } catch (IOException e) {
            throw new CalibrationException("folder '" + dir + "': cannot list: " + e.getMessage(), e);
        }
        if (files.isEmpty()) throw new CalibrationException("folder '" + dir + "' has no images (.jpg, .jpeg, .png, .bmp, .gif)");
        List<Img> r = new ArrayList<>();
        for (Path f : files) {
            BufferedImage bi;
            try {
                bi = ImageIO.read(f.toFile());
            } catch (IOException | RuntimeException e) {
                throw new CalibrationException("image '" + f + "': cannot decode: " + e.getMessage(), e);
            }
            if (bi == null) throw new CalibrationException("image '" + f + "': cannot decode (not a supported image)");
            int h = bi.getHeight(), w = bi.getWidth();
            float[] hwc = new float[h * w * 3];
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                bi.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int p = row[x], o = (y * w + x) * 3;
                    hwc[o] = (p >> 16) & 0xff;
                    hwc[o + 1] = (p >> 8) & 0xff;
                    hwc[o + 2] = p & 0xff;
                }
            }
            r.add(new Img(h, w, 3, hwc, true));
        }
        return r;
    }

    /** Resized, normalised and batched images for an image input. */
    static List<Tensor> images(List<Img> imgs, InputInfo in, Preprocess pp, Source s) {
        String layout = in.imageLayout();
        boolean nchw = layout.equals("NCHW");
        long[] shape = in.shape();
        long hh = nchw ? shape[2] : shape[1], ww = nchw ? shape[3] : shape[2], cc = nchw ? shape[1] : shape[3];
        if (hh <= 0 || ww <= 0)
            throw new CalibrationException("input " + in.describe() + " has no fixed height and width; fix them with --input-shape "
                    + in.name() + ":" + (nchw ? "1," + cc + ",H,W" : "1,H,W," + cc) + " to calibrate");
        int H = (int) hh, W = (int) ww, C = (int) cc;
        int batch = shape[0] > 0 ? (int) shape[0] : 1;
        if (imgs.size() < batch)
            throw new CalibrationException("--calib " + s + ": " + imgs.size() + " images, but input '" + in.name() + "' takes batches of " + batch);
        double[] mean = perChannel(pp.mean(), C, "--calib-mean"), std = perChannel(pp.std(), C, "--calib-std");
        for (double v : std) if (v == 0) throw new CalibrationException("--calib-std must not be 0");
        List<Tensor> r = new ArrayList<>();
        for (int b0 = 0; b0 + batch <= imgs.size(); b0 += batch) {
            float[] out = new float[batch * C * H * W];
            for (int bi = 0; bi < batch; bi++) {
                Img img = imgs.get(b0 + bi);
                double scale = pp.scale() != null ? pp.scale() : img.fromUint8() ? 1.0 / 255 : 1.0;
                float[] rs = resize(channels(img, C, s), H, W);
                for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) for (int k = 0; k < C; k++) {
                    int srcK = pp.bgr() && C == 3 ? 2 - k : k;
                    double v = (rs[(y * W + x) * C + srcK] * scale - mean[k]) / std[k];
                    int o = nchw ? ((bi * C + k) * H + y) * W + x : ((bi * H + y) * W + x) * C + k;
                    out[o] = (float) v;
                }
            }
            long[] ts = nchw ? new long[] {batch, C, H, W} : new long[] {batch, H, W, C};
            Tensor t = Tensor.ofFloats(ts, out);
            r.add(in.dtype() == DType.FLOAT32 ? t : t.cast(in.dtype()));
        }
        return r;
    }

    private static double[] perChannel(double[] v, int c, String opt) {
        if (v.length == c) return v;
        if (v.length == 1) {
            double[] r = new double[c];
            Arrays.fill(r, v[0]);
            return r;
        }
        throw new CalibrationException(opt + " has " + v.length + " values; the input has " + c + " channels (give 1 or " + c + ")");
    }

    /** The image with c channels: RGB to gray (ITU-R 601 weights) or gray replicated when the counts differ. */
    private static Img channels(Img img, int c, Source s) {
        if (img.c() == c) return img;
        int n = img.h() * img.w();
        float[] r = new float[n * c];
        if (img.c() == 3 && c == 1) {
            for (int i = 0; i < n; i++) r[i] = 0.299f * img.hwc()[i * 3] + 0.587f * img.hwc()[i * 3 + 1] + 0.114f * img.hwc()[i * 3 + 2];
        } else if (img.c() == 1) {
            for (int i = 0; i < n; i++) for (int k = 0; k < c; k++) r[i * c + k] = img.hwc()[i];
        } else {
            throw new CalibrationException("--calib " + s + ": images have " + img.c() + " channels, the input takes " + c);
        }
        return new Img(img.h(), img.w(), c, r, img.fromUint8());
    }

    /** Bilinear resize with half-pixel centres (no antialiasing), as cv2.resize INTER_LINEAR. */
    static float[] resize(Img img, int H, int W) {
        int h = img.h(), w = img.w(), c = img.c();
        float[] src = img.hwc();
        if (h == H && w == W) return src;
        float[] out = new float[H * W * c];
        double sy = (double) h / H, sx = (double) w / W;
        for (int y = 0; y < H; y++) {
            double fy = Math.max(0, (y + 0.5) * sy - 0.5);
            int y0 = Math.min((int) fy, h - 1), y1 = Math.min(y0 + 1, h - 1);
            double dy = fy - y0;
            for (int x = 0; x < W; x++) {
                double fx = Math.max(0, (x + 0.5) * sx - 0.5);
                int x0 = Math.min((int) fx, w - 1), x1 = Math.min(x0 + 1, w - 1);
                double dx = fx - x0;
                for (int k = 0; k < c; k++) {
                    double a = src[(y0 * w + x0) * c + k], b = src[(y0 * w + x1) * c + k];
                    double cc = src[(y1 * w + x0) * c + k], d = src[(y1 * w + x1) * c + k];
                    out[(y * W + x) * c + k] = (float) ((a * (1 - dx) + b * dx) * (1 - dy) + (cc * (1 - dx) + d * dx) * dy);
                }
            }
        }
        return out;
    }

    /** A non-image array: [samples, ...input dims without batch] or exactly the input's shape. */
    static List<Tensor> raw(Tensor t, InputInfo in, Source s) {
        long[] is = in.shape(), ts = t.shape();
        String what = "--calib " + s;
        if (is.length == 0) {
            if (ts.length == 0) return List.of(cast(t, in, what));
            if (ts.length == 1) return split(t, ts[0], new long[0], in, what);
        } else {
            if (ts.length == is.length && matches(ts, is, 0)) {
                long b = is[0] > 0 ? is[0] : 1;
                if (is[0] > 0 && ts[0] % b == 0) return split(t, ts[0] / b, withBatch(is, ts, b), in, what);
                if (is[0] <= 0) return split(t, ts[0], withBatch(is, ts, 1), in, what);
            }
        }
        throw new CalibrationException(what + ": array " + t.dtype().name().toLowerCase(Locale.ROOT) + dims(ts) + " does not fit input "
                + in.describe() + " (expected [samples" + (is.length > 1 ? "," : "") + dimsInner(is) + "])");
    }

    private static boolean matches(long[] ts, long[] is, int from) {
        for (int i = from + 1; i < is.length; i++) if (is[i] > 0 && is[i] != ts[i]) return false;
        return true;
    }

    private static long[] withBatch(long[] is, long[] ts, long b) {
        long[] r = ts.clone();
        r[0] = b;
        return r;
    }

    private static List<Tensor> split(Tensor t, long count, long[] sampleShape, InputInfo in, String what) {
        if (count < 1) throw new CalibrationException(what + ": the array holds no samples");
        Tensor c = cast(t, in, what);
        long per = Tensor.numel(sampleShape) * c.dtype().size();
        List<Tensor> r = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            java.nio.ByteBuffer b = c.data();
            b.position((int) (i * per)).limit((int) ((i + 1) * per));
            java.nio.ByteBuffer copy = Tensor.alloc(per);
            copy.put(b).flip();
            r.add(Tensor.of(c.dtype(), sampleShape, copy));
        }
        return r;
    }

    private static Tensor cast(Tensor t, InputInfo in, String what) {
        if (t.dtype() == in.dtype()) return t;
        if (in.dtype() == null) return t;
        try {
            return t.cast(in.dtype());
        } catch (RuntimeException e) {
            throw new CalibrationException(what + ": cannot cast " + t.dtype() + " to the input's " + in.dtype());
        }
    }

    static String dims(long[] s) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < s.length; i++) b.append(i > 0 ? "," : "").append(s[i] < 0 ? "?" : String.valueOf(s[i]));
        return b.append("]").toString();
    }

    private static String dimsInner(long[] s) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i < s.length; i++) b.append(i > 1 ? "," : "").append(s[i] < 0 ? "?" : String.valueOf(s[i]));
        return b.toString();
    }

    private static String describe(List<InputInfo> l) {
        List<String> r = new ArrayList<>();
        for (InputInfo i : l) r.add(i.describe());
        return String.join(", ", r);
    }
}
