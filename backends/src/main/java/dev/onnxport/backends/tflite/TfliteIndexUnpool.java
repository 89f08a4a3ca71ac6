package dev.onnxport.backends.tflite;

import dev.onnxport.backends.tflite.TfliteIndexEmit.T;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import tflite.BuiltinOperator;
import tflite.BuiltinOptions;
import tflite.ReducerOptions;
import tflite.ScatterNdOptions;

/**
 * MaxUnpool (index family): X's values are scattered (SCATTER_ND) to the flat positions I of a zero tensor of the
 * output's element count, which is then reshaped to the output shape. The indices are flat over the whole output
 * (N and C included), as MaxPool's Indices output gives them. SCATTER_ND adds duplicates where onnxruntime keeps
 * one; for float data the sum is divided by the number of writes, which is exact for the duplicates MaxPool
 * produces (the same element chosen by overlapping windows). A run-time output_shape gives a run-time output shape
 * (element count from REDUCE_PROD, RESHAPE by the shape tensor).
 */
final class TfliteIndexUnpool {
    private TfliteIndexUnpool() {}

    static void lower(Node n, LowerContext c) {
        TfliteIndexEmit e = new TfliteIndexEmit(c, n);
        T x = e.in(n, 0);
        switch (x.dt()) {
            case FLOAT32, INT32, INT64, UINT8, INT8 -> { }
            default -> throw new ConversionException("MaxUnpool: TFLite SCATTER_ND has no " + x.dt() + " kernel");
        }
        T idx = e.in(n, 1);
        if (idx.numel() != x.numel()) throw new ConversionException("MaxUnpool: " + idx.numel() + " indices for " + x.numel() + " values");
        long m = x.numel();
        T i32 = e.reshape(e.cast(idx, DType.INT32), new long[] {m, 1});
        T flat = e.reshape(x, new long[] {m});
        boolean runtimeShape = n.inputCount() > 2 && n.input(2) != null && n.constInput(2) == null;
        Shape ys = n.output(0).shape();
        if (!runtimeShape) {
            if (ys == null || !ys.isStatic()) throw new ConversionException("MaxUnpool: output shape " + ys + " is not static");
            long total = Tensor.numel(ys.toArray());
            T sum = e.scatterNd(i32, flat, new long[] {total});
            e.reshape(dedup(e, i32, sum, new long[] {total}, null), ys.toArray(), e.out(n, 0));
            return;
        }
        // run-time output_shape: element count = prod(shape), all shapes resized by TFLite when the model runs
        T os = e.in(n, 2);
        T sh = e.cast(os, DType.INT32);
        T count = e.temp(DType.INT32, new long[] {1});
        T ax = e.i32s(0);
        c.op(BuiltinOperator.REDUCE_PROD, 1, new int[] {sh.id(), ax.id()}, new int[] {count.id()}, BuiltinOptions.ReducerOptions,
                fb -> ReducerOptions.createReducerOptions(fb, true));
        T sum = e.temp(x.dt(), new long[] {1});
        c.op(BuiltinOperator.SCATTER_ND, 1, new int[] {i32.id(), flat.id(), count.id()}, new int[] {sum.id()}, BuiltinOptions.ScatterNdOptions,
                fb -> { ScatterNdOptions.startScatterNdOptions(fb); return ScatterNdOptions.endScatterNdOptions(fb); });
        T y = dedup(e, i32, sum, null, count);
        c.op(BuiltinOperator.RESHAPE, 1, new int[] {y.id(), sh.id()}, new int[] {c.out(n, 0)});
    }

    /** For float data: sum / max(writes, 1) (writes = SCATTER_ND of ones); other types unchanged. */
    private static T dedup(TfliteIndexEmit e, T idx, T sum, long[] shape, T count) {
        if (sum.dt() != DType.FLOAT32) return sum;
        long m = idx.shape()[0];
        float[] ones = new float[Math.toIntExact(m)];
        java.util.Arrays.fill(ones, 1f);
        T one = e.constant(Tensor.ofFloats(new long[] {m}, ones));
        T writes;
        if (shape != null) writes = e.scatterNd(idx, one, shape);
        else {
            writes = e.temp(DType.FLOAT32, new long[] {1});
            e.c.op(BuiltinOperator.SCATTER_ND, 1, new int[] {idx.id(), one.id(), count.id()}, new int[] {writes.id()}, BuiltinOptions.ScatterNdOptions,
                    fb -> { ScatterNdOptions.startScatterNdOptions(fb); return ScatterNdOptions.endScatterNdOptions(fb); });
        }
        T den = e.maximum(writes, e.scalar(DType.FLOAT32, 1));
        return e.div(sum, den);
    }
}
