package dev.onnxport.backends.tflite;

import dev.onnxport.backends.tflite.TfliteNnEmit.T;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import tflite.BuiltinOperator;
import tflite.BuiltinOptions;

import java.util.Arrays;

import static dev.onnxport.backends.tflite.TfliteNnEmit.*;

/**
 * TFLite lowerings of NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (nn family), decomposed as in their
 * ONNX function bodies but without a gather (out-of-range ignore_index labels would make TFLite's GATHER fail):
 * the input is viewed as [N, C, D] (D = product of the trailing dims), a one-hot mask EQUAL(label, class) picks
 * each element's class entry (SELECT_V2 + SUM over C) and its weight, elements whose label is ignore_index get
 * weight 0, loss = -picked * weight, then reduced: none (reshaped to [N, d...]), sum, or mean (sum divided by the
 * sum of the weights). SoftmaxCrossEntropyLoss takes LOG_SOFTMAX of the scores first (classes moved last) and can
 * also return those log-probabilities.
 */
final class TfliteNnLoss {
    private TfliteNnLoss() {}

    static void register(TfliteOps r) {
        r.register("NegativeLogLikelihoodLoss", (n, c) -> loss(n, c, false));
        r.register("SoftmaxCrossEntropyLoss", (n, c) -> loss(n, c, true));
    }

    static void loss(Node n, LowerContext c, boolean softmax) {
        T x = in(c, n, 0);
        requireFloat(x, n.opType());
        T lab = in(c, n, 1);
        if (lab.dt() != DType.INT32 && lab.dt() != DType.INT64) throw new ConversionException(n.opType() + ": labels of type " + lab.dt());
        T w = n.inputCount() > 2 && n.input(2) != null ? in(c, n, 2) : null;
        if (w != null) requireFloat(w, n.opType() + " weights");
        String red = n.attrs().getString("reduction", "mean");
        if (!red.equals("none") && !red.equals("sum") && !red.equals("mean")) throw new ConversionException(n.opType() + ": unknown reduction '" + red + "'");
        boolean hasIgnore = n.attrs().has("ignore_index");
        long ignore = n.attrs().getInt("ignore_index", 0);
        if (x.rank() < 2) throw new ConversionException(n.opType() + ": input of rank " + x.rank());
        long nb = x.dim(0), cl = x.dim(1);
        long d = 1;
        for (int i = 2; i < x.rank(); i++) d *= x.dim(i);

        // scores as [N, C, D] (class axis 1), or for the softmax as [N, D, C] (class axis 2)
        T x3 = reshape(c, x, new long[] {nb, cl, d}, null);
        int ca = 1;
        if (softmax) {
            T xt = d == 1 ? reshape(c, x3, new long[] {nb, 1, cl}, null) : transpose(c, x3, new int[] {0, 2, 1}, null);
            T lp = new T(c.temp(DType.FLOAT32, xt.shape(), hint(c, "log_prob")), DType.FLOAT32, xt.shape());
            c.op(BuiltinOperator.LOG_SOFTMAX, 1, new int[] {xt.id()}, new int[] {lp.id()}, BuiltinOptions.LogSoftmaxOptions,
                    fb -> { tflite.LogSoftmaxOptions.startLogSoftmaxOptions(fb); return tflite.LogSoftmaxOptions.endLogSoftmaxOptions(fb); });
            if (used(n, 1)) {
                T o1 = out(c, n, 1);
                if (d == 1) reshape(c, lp, o1.shape(), o1);
                else reshape(c, transpose(c, lp, new int[] {0, 2, 1}, null), o1.shape(), o1);
            }
            x3 = lp;
            ca = 2;
        }
        long[] labShape = ca == 1 ? new long[] {nb, 1, d} : new long[] {nb, d, 1};
        long[] clsShape = ca == 1 ? new long[] {1, cl, 1} : new long[] {1, 1, cl};
        T l32 = lab.dt() == DType.INT32 ? lab : new T(Emit.cast(c, lab.id(), DType.INT32, lab.shape(), hint(c, "labels_i32")), DType.INT32, lab.shape());
        T l3 = reshape(c, l32, labShape, null);
        int[] iota = new int[(int) cl];
        for (int i = 0; i < iota.length; i++) iota[i] = i;
        T cls = constant(c, Tensor.ofInts(clsShape, iota), "classes");
        T onehot = compare(c, BuiltinOperator.EQUAL, l3, cls);
        T zero = scalar(c, DType.FLOAT32, 0, "zero");
        T picked = reduce(c, BuiltinOperator.SUM, select(c, onehot, x3, zero), new int[] {ca}, false, null); // [N, D]

        // per-element weight: weight[label] (or 1), times 0 where label == ignore_index; null = all ones
        T wt = null;
        if (w != null) {
            T wb = reshape(c, w, clsShape, null);
            wt = reduce(c, BuiltinOperator.SUM, select(c, onehot, wb, zero), new int[] {ca}, false, null);
        }
        if (hasIgnore) {
            if (ignore < Integer.MIN_VALUE || ignore > Integer.MAX_VALUE) throw new ConversionException(n.opType() + ": ignore_index " + ignore + " beyond int32");
            T ii = constant(c, Tensor.ofInts(new long[0], (int) ignore), "ignore_index");
            T ne = compare(c, BuiltinOperator.NOT_EQUAL, l3, ii);
            T valid = reshape(c, new T(Emit.cast(c, ne.id(), DType.FLOAT32, ne.shape(), hint(c, "valid")), DType.FLOAT32, ne.shape()), new long[] {nb, d}, null);
            wt = wt == null ? valid : mul(c, wt, valid, null);
        }
        T o = out(c, n, 0);
        T weighted = wt == null ? picked : mul(c, picked, wt, null);
        switch (red) {
            case "none" -> {
                T neg = unary(c, BuiltinOperator.NEG, weighted, null);
                reshape(c, neg, o.shape(), o);
            }
            case "sum" -> unary(c, BuiltinOperator.NEG, reduce(c, BuiltinOperator.SUM, weighted, new int[] {0, 1}, false, null), o);
            default -> {
                T total = reduce(c, BuiltinOperator.SUM, weighted, new int[] {0, 1}, false, null);
                T denom = wt == null ? scalar(c, DType.FLOAT32, -(double) (nb * d), "count")
                        : unary(c, BuiltinOperator.NEG, reduce(c, BuiltinOperator.SUM, wt, new int[] {0, 1}, false, null), null);
                div(c, total, denom, o);
            }
        }
    }

    /** EQUAL / NOT_EQUAL of int32 tensors (broadcasting, rank <= 4) as bool. */
    private static T compare(LowerContext c, int op, T a, T b) {
        long[] os = broadcast(a.shape(), b.shape());
        T o = new T(c.temp(DType.BOOL, os, hint(c, op == BuiltinOperator.EQUAL ? "onehot" : "valid_b")), DType.BOOL, os);
        c.op(op, 1, new int[] {a.id(), b.id()}, new int[] {o.id()});
        return o;
    }

    /** SELECT_V2(cond, a, b) with broadcasting (rank <= 4). */
    private static T select(LowerContext c, T cond, T a, T b) {
        long[] os = broadcast(cond.shape(), broadcast(a.shape(), b.shape()));
        T o = new T(c.temp(a.dt(), os, hint(c, "select")), a.dt(), os);
        if (os.length > 4) throw new ConversionException("internal: select of rank " + os.length + " " + Arrays.toString(os));
        c.op(BuiltinOperator.SELECT_V2, 1, new int[] {cond.id(), a.id(), b.id()}, new int[] {o.id()});
        return o;
    }
}
