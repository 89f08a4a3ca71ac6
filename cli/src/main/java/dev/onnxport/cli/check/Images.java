package dev.onnxport.cli.check;

import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;

import javax.imageio.ImageIO;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * An image input from a folder of images (PNG, JPEG, BMP, GIF: what javax.imageio reads): the images, in file name
 * order, fill the batch (repeating when there are fewer), each resized (bilinear) to the input's height and width and
 * normalized per channel as (pixel / 255 - mean) / std, in RGB order.
 */
public final class Images {
    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    private Images() {}

    /** The image files of dir, sorted by name. */
    public static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return Files.isRegularFile(p) && (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".bmp") || n.endsWith(".gif"));
            }).sorted().toList();
        }
    }

    /**
     * A float tensor of the given rank-4 ONNX shape, NCHW when dim 1 is 1 or 3, else NHWC when dim 3 is 1 or 3.
     *
     * @throws IllegalArgumentException when the shape is not an image's or the folder holds no readable image
     */
    public static Tensor load(Path dir, long[] shape, DType dt, float[] mean, float[] std) throws IOException {
        if (shape.length != 4) throw new IllegalArgumentException("an image input must have rank 4, not " + shape.length);
        boolean nchw = shape[1] == 1 || shape[1] == 3;
        if (!nchw && !(shape[3] == 1 || shape[3] == 3))
            throw new IllegalArgumentException("shape " + java.util.Arrays.toString(shape) + " has no 1- or 3-channel axis (1 or 3)");
        int n = (int) shape[0], c = (int) (nchw ? shape[1] : shape[3]), h = (int) (nchw ? shape[2] : shape[1]), w = (int) (nchw ? shape[3] : shape[2]);
        List<Path> files = list(dir);
        List<BufferedImage> imgs = new ArrayList<>();
        for (Path f : files) {
            if (imgs.size() == n) break;
            BufferedImage im = ImageIO.read(f.toFile());
            if (im != null) imgs.add(im);
        }
        if (imgs.isEmpty()) throw new IllegalArgumentException("folder '" + dir + "' holds no readable image (png, jpg, bmp, gif)");
        double[] v = new double[n * c * h * w];
        for (int b = 0; b < n; b++) {
            BufferedImage src = imgs.get(b % imgs.size());
            BufferedImage r = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = r.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(src, 0, 0, w, h, null);
            g.dispose();
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int rgb = r.getRGB(x, y);
                    double[] px = {(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff};
                    if (c == 1) px = new double[] {0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2]};
                    for (int k = 0; k < c; k++) {
                        double m = mean.length == 0 ? 0 : mean[Math.min(k, mean.length - 1)];
                        double s = std.length == 0 ? 1 : std[Math.min(k, std.length - 1)];
                        double val = (px[k] / 255.0 - m) / s;
                        int idx = nchw ? ((b * c + k) * h + y) * w + x : ((b * h + y) * w + x) * c + k;
                        v[idx] = val;
                    }
                }
            }
        }
        return Tensor.fromDoubles(dt, shape, v);
    }
}
