package dev.onnxport.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * A plain Java batched multi-class NMS, written from the ONNX NonMaxSuppression definition (the IoU test as
 * onnxruntime does it, in float), and seeded test data.
 */
final class NmsReference {
    private NmsReference() {}

    /** One kept box: batch, class, box index, and the box (input format) and score. */
    record Kept(int batch, int cls, int box, float[] coords, float score) {}

    /**
     * boxes[b][n] in {@code format} ("xyxy", "yxyx", "cxcywh"), scores[b][c][n]; per batch and class, at most maxOut
     * boxes, in descending score order; scoreThr null: no threshold.
     */
    static List<Kept> nms(float[][][] boxes, float[][][] scores, String format, int maxOut, float iou, Float scoreThr) {
        List<Kept> out = new ArrayList<>();
        for (int b = 0; b < boxes.length; b++) {
            float[][] corners = new float[boxes[b].length][];
            for (int n = 0; n < corners.length; n++) corners[n] = toYxyx(boxes[b][n], format);
            for (int c = 0; c < scores[b].length; c++) {
                float[] s = scores[b][c];
                List<Integer> cand = new ArrayList<>();
                for (int n = 0; n < s.length; n++) if (scoreThr == null || s[n] > scoreThr) cand.add(n);
                // descending score, the lower index first on ties
                cand.sort(Comparator.<Integer>comparingDouble(n -> -s[n]).thenComparingInt(n -> n));
                List<Integer> kept = new ArrayList<>();
                for (int n : cand) {
                    if (kept.size() >= maxOut) break;
                    boolean keep = true;
                    for (int k : kept) if (suppresses(corners[k], corners[n], iou)) { keep = false; break; }
                    if (keep) kept.add(n);
                }
                for (int n : kept) out.add(new Kept(b, c, n, boxes[b][n], s[n]));
            }
        }
        return out;
    }

    static float[] toYxyx(float[] v, String format) {
        return switch (format) {
            case "yxyx" -> v.clone();
            case "xyxy" -> new float[] {v[1], v[0], v[3], v[2]};
            case "cxcywh" -> new float[] {v[1] - 0.5f * v[3], v[0] - 0.5f * v[2], v[1] + 0.5f * v[3], v[0] + 0.5f * v[2]};
            default -> throw new IllegalArgumentException(format);
        };
    }

    /** IoU(a, b) > threshold, boxes as y1,x1,y2,x2 in any corner order. */
    static boolean suppresses(float[] a, float[] b, float threshold) {
        float ay1 = Math.min(a[0], a[2]), ay2 = Math.max(a[0], a[2]), ax1 = Math.min(a[1], a[3]), ax2 = Math.max(a[1], a[3]);
        float by1 = Math.min(b[0], b[2]), by2 = Math.max(b[0], b[2]), bx1 = Math.min(b[1], b[3]), bx2 = Math.max(b[1], b[3]);
        float ix1 = Math.max(ax1, bx1), ix2 = Math.min(ax2, bx2);
        if (ix2 <= ix1) return false;
        float iy1 = Math.max(ay1, by1), iy2 = Math.min(ay2, by2);
        if (iy2 <= iy1) return false;
        float inter = (ix2 - ix1) * (iy2 - iy1);
        float areaA = (ax2 - ax1) * (ay2 - ay1), areaB = (bx2 - bx1) * (by2 - by1);
        float union = areaA + areaB - inter;
        if (areaA <= 0 || areaB <= 0 || union <= 0) return false;
        return inter / union > threshold;
    }

    /** Seeded boxes [B][N][4] in the given format: centres in [0,100)^2, sides in [5,35). */
    static float[][][] boxes(Random r, int b, int n, String format) {
        float[][][] out = new float[b][n][];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < n; j++) {
                float cx = r.nextFloat() * 100, cy = r.nextFloat() * 100, w = 5 + r.nextFloat() * 30, h = 5 + r.nextFloat() * 30;
                out[i][j] = switch (format) {
                    case "cxcywh" -> new float[] {cx, cy, w, h};
                    case "xyxy" -> new float[] {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
                    case "yxyx" -> new float[] {cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2};
                    default -> throw new IllegalArgumentException(format);
                };
            }
        }
        return out;
    }

    static float[][][] scores(Random r, int b, int c, int n) {
        float[][][] s = new float[b][c][n];
        for (float[][] x : s) for (float[] y : x) for (int i = 0; i < n; i++) y[i] = r.nextFloat();
        return s;
    }

    static float[] flat(float[][][] x) {
        int n = 0;
        for (float[][] a : x) for (float[] b : a) n += b.length;
        float[] r = new float[n];
        int k = 0;
        for (float[][] a : x) for (float[] b : a) for (float v : b) r[k++] = v;
        return r;
    }
}
