package dev.onnxport.backends.tflite;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import tflite.BuiltinOperator;
import tflite.BuiltinOptions;
import tflite.ConcatenationOptions;

/**
 * ONNX NonMaxSuppression as one TFLite NON_MAX_SUPPRESSION_V4 per (batch, class): boxes [B, N, 4] and scores
 * [B, C, N] with static B, C, N. Each NMS pads its selection to max_output_size and returns the valid count; the
 * selection is cut to that count with a SLICE whose size is computed at run time, and each index becomes a row
 * [batch, class, index]. The rows of all pairs are concatenated in ONNX order (batch-major, then class) and cast to
 * int64. center_point_box=1 boxes ([xc, yc, w, h]) are turned into corners with one FULLY_CONNECTED.
 */
final class TfliteReduceNms {
    private TfliteReduceNms() {}

    static void lower(Node n, LowerContext c) {
        Value bv = n.input(0), sv = n.input(1);
        Shape bs = TfliteReduce.requireShape(bv), ss = TfliteReduce.requireShape(sv);
        if (bv.dtype() != DType.FLOAT32 || sv.dtype() != DType.FLOAT32)
            throw new ConversionException("NonMaxSuppression of " + bv.dtype() + " boxes/scores (TFLite NMS is float32 only)");
        if (bs.rank() != 3 || ss.rank() != 3 || !bs.isStatic() || !ss.isStatic())
            throw new ConversionException("NonMaxSuppression needs static boxes [B, N, 4] and scores [B, C, N], got " + bs + " and " + ss);
        int batches = (int) bs.size(0), boxes = (int) bs.size(1), classes = (int) ss.size(1);
        if (bs.size(2) != 4 || ss.size(0) != batches || ss.size(2) != boxes)
            throw new ConversionException("NonMaxSuppression boxes " + bs + " and scores " + ss + " do not match");
        long pairs = (long) batches * classes;
        if (pairs > 256) throw new ConversionException("NonMaxSuppression with " + pairs + " (batch, class) pairs would unroll into too many ops (limit 256)");
        boolean center = n.attrs().getInt("center_point_box", 0) != 0;
        int out = c.out(n, 0);
        String h = TfliteReduce.hint(n, "");

        // max_output_boxes_per_class: int32 scalar (absent or 0: nothing is selected)
        int maxOut;
        long selLen; // the length of each NMS selection (max_output_size; -1: known at run time)
        Tensor mt = n.constInput(2);
        if (n.input(2) == null || (mt != null && mt.getLong(0) <= 0)) {
            TfliteReduce.fillInto(c, out, new long[] {0, 3}, DType.INT64, 0, h + "none");
            return;
        }
        if (mt != null) {
            selLen = Math.min(mt.getLong(0), Integer.MAX_VALUE);
            maxOut = c.constInt32(h + "max_out", new long[0], (int) selLen);
        } else {
            int m = c.in(n, 2);
            selLen = -1;
            if (n.input(2).dtype() != DType.INT32) m = TfliteReduce.cast(c, m, DType.INT32, shapeOf(n.input(2)), h + "max_out_i32");
            maxOut = Emit.reshape(c, m, DType.INT32, new long[0], h + "max_out");
        }
        int iou = iouThreshold(n, c, h + "iou");
        int score = floatScalar(n, c, 4, Float.NEGATIVE_INFINITY, h + "score_threshold");

        int[] pieces = new int[(int) pairs];
        int p = 0;
        for (int b = 0; b < batches; b++) {
            int bx = slice(c, c.in(n, 0), new int[] {b, 0, 0}, new int[] {1, boxes, 4}, batches == 1, new long[] {boxes, 4}, h + "boxes" + b);
            if (center) bx = centerToCorners(c, bx, boxes, h + "corners" + b);
            for (int k = 0; k < classes; k++) {
                String hk = h + b + "_" + k;
                int sc = slice(c, c.in(n, 1), new int[] {b, k, 0}, new int[] {1, 1, boxes}, batches == 1 && classes == 1,
                        new long[] {boxes}, hk + "_scores");
                int sel = TfliteReduce.temp(c, DType.INT32, new long[] {selLen}, hk + "_selected");
                int valid = c.temp(DType.INT32, new long[0], hk + "_valid");
                c.op(BuiltinOperator.NON_MAX_SUPPRESSION_V4, 1, new int[] {bx, sc, maxOut, iou, score}, new int[] {sel, valid});
                // keep the first `valid` entries: SLICE with a size computed at run time (dynamic output)
                int size = Emit.reshape(c, valid, DType.INT32, new long[] {1}, hk + "_count");
                int begin = c.constInt32(hk + "_begin", 0);
                int kept = TfliteReduce.temp(c, DType.INT32, new long[] {-1}, hk + "_kept");
                c.op(BuiltinOperator.SLICE, 1, new int[] {sel, begin, size}, new int[] {kept});
                // row = [b, k, index]: index * [0, 0, 1] + [b, k, 0]
                int col = TfliteReduce.temp(c, DType.INT32, new long[] {-1, 1}, hk + "_col");
                int ax = c.constInt32(hk + "_axis", new long[0], 1);
                c.op(BuiltinOperator.EXPAND_DIMS, 1, new int[] {kept, ax}, new int[] {col});
                int sel3 = c.constInt32(hk + "_pick", new long[] {1, 3}, 0, 0, 1);
                int scaled = TfliteReduce.binary(c, BuiltinOperator.MUL, col, sel3, DType.INT32, new long[] {-1, 3}, hk + "_rows0");
                int bk = c.constInt32(hk + "_bk", new long[] {1, 3}, b, k, 0);
                int rows = TfliteReduce.temp(c, DType.INT32, new long[] {-1, 3}, hk + "_rows");
                TfliteReduce.binaryInto(c, BuiltinOperator.ADD, scaled, bk, rows, DType.INT32);
                pieces[p++] = rows;
            }
        }
        int all = pieces[0];
        if (pieces.length > 1) {
            all = TfliteReduce.temp(c, DType.INT32, new long[] {-1, 3}, h + "rows");
            c.op(BuiltinOperator.CONCATENATION, 1, pieces, new int[] {all}, BuiltinOptions.ConcatenationOptions,
                    f -> ConcatenationOptions.createConcatenationOptions(f, 0, (byte) 0));
        }
        Emit.castInto(c, all, out);
    }

    static long[] shapeOf(Value v) { return v.shape() == null ? new long[] {-1} : TfliteReduce.dims(v.shape()); }

    /**
     * The IoU threshold for TFLite: ONNX suppresses a box when IoU &gt; threshold, TFLite when IoU &gt;= threshold,
     * so TFLite gets the next float above the ONNX threshold. A constant gets Math.nextUp exactly (the smallest
     * normal float for 0, the default); a run-time threshold t gets t * (1 + 2^-23) + 2^-126, which is t plus one
     * or two ulps (two only for mantissas above 1.5).
     */
    static int iouThreshold(Node n, LowerContext c, String hint) {
        Value v = n.input(3);
        Tensor t = v == null ? Tensor.scalarFloat(0f) : v.constant();
        if (t != null) return c.scalarFloat(hint, nextAbove((float) t.getDouble(0)));
        int raw = floatScalar(n, c, 3, 0f, hint + "_onnx");
        int scaled = TfliteReduce.binary(c, BuiltinOperator.MUL, raw, c.scalarFloat(hint + "_one_ulp", Math.nextUp(1f)),
                DType.FLOAT32, new long[0], hint + "_scaled");
        return TfliteReduce.binary(c, BuiltinOperator.ADD, scaled, c.scalarFloat(hint + "_min_normal", Float.MIN_NORMAL),
                DType.FLOAT32, new long[0], hint);
    }

    static float nextAbove(float t) { return t >= 0f && t < Float.MIN_NORMAL ? Float.MIN_NORMAL : Math.nextUp(t); }

    /** A float32 scalar from optional input i (constant, run-time [1] or scalar, or the default when absent). */
    static int floatScalar(Node n, LowerContext c, int i, float dflt, String hint) {
        Value v = n.input(i);
        if (v == null) return c.scalarFloat(hint, dflt);
        if (v.dtype() != DType.FLOAT32) throw new ConversionException("NonMaxSuppression input " + i + " of " + v.dtype());
        Tensor t = v.constant();
        if (t != null) return c.scalarFloat(hint, (float) t.getDouble(0));
        if (v.shape() != null && v.shape().rank() == 0) return c.in(n, i);
        return Emit.reshape(c, c.in(n, i), DType.FLOAT32, new long[0], hint);
    }

    /** SLICE (begin, size) then RESHAPE to shape; a plain RESHAPE when the slice takes everything. */
    static int slice(LowerContext c, int in, int[] begin, int[] size, boolean whole, long[] shape, String hint) {
        if (whole) return Emit.reshape(c, in, DType.FLOAT32, shape, hint);
        long[] ls = new long[size.length];
        for (int i = 0; i < size.length; i++) ls[i] = size[i];
        int s = c.temp(DType.FLOAT32, ls, hint + "_slice");
        c.op(BuiltinOperator.SLICE, 1, new int[] {in, c.constInt32(hint + "_begin", begin), c.constInt32(hint + "_size", size)}, new int[] {s});
        return Emit.reshape(c, s, DType.FLOAT32, shape, hint);
    }

    /** [xc, yc, w, h] -> [y1, x1, y2, x2] for every box: x [N, 4] times a constant 4x4 matrix. */
    static int centerToCorners(LowerContext c, int bx, int boxes, String hint) {
        float[] w = {
                0, 1, 0, -0.5f, // y1 = yc - h/2
                1, 0, -0.5f, 0, // x1 = xc - w/2
                0, 1, 0, 0.5f,  // y2 = yc + h/2
                1, 0, 0.5f, 0,  // x2 = xc + w/2
        };
        int wt = c.constFloat(hint + "_w", new long[] {4, 4}, w);
        int bias = c.constFloat(hint + "_b", new long[] {4}, 0, 0, 0, 0);
        return TfliteReduce.fullyConnectedNoAct(c, bx, wt, bias, new long[] {boxes, 4}, hint);
    }
}
