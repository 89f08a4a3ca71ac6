package dev.onnxport.passes.portable;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import static dev.onnxport.passes.portable.Ort.f32;

/** gathernd-decompose: batch_dims 0 and 1, k from 1 to rank, negative indices, run-time and constant indices. */
class GatherNdDecomposeTest {
    final Random rnd = new Random(8);

    static long[] outShape(long[] ds, long[] is, int b) {
        int k = (int) is[is.length - 1];
        long[] r = new long[is.length - 1 + ds.length - b - k];
        System.arraycopy(is, 0, r, 0, is.length - 1);
        System.arraycopy(ds, b + k, r, is.length - 1, ds.length - b - k);
        return r;
    }

    Tensor indices(long[] ds, long[] is, int b) {
        int k = (int) is[is.length - 1];
        long[] v = new long[(int) Tensor.numel(is)];
        for (int t = 0; t < v.length; t++) {
            long d = ds[b + t % k];
            v[t] = rnd.nextInt((int) (2 * d)) - d; // -d .. d-1
        }
        return Tensor.ofLongs(is, v);
    }

    void check(long[] ds, long[] is, int b, boolean constIdx) {
        Tensor idx = indices(ds, is, b);
        Tensor x = Ort.uniform(rnd, -1, 1, ds);
        Ort.check(() -> {
            Graph g = Ort.graph(13);
            Value d = g.addInput("x", f32(ds));
            Value i = constIdx ? g.addConstant("i", idx) : g.addInput("i", ValueType.of(DType.INT64, is));
            g.addOutput(Ort.node(g, "GatherND", Attrs.builder().put("batch_dims", (long) b).build(), f32(outShape(ds, is, b)), d, i));
            return g;
        }, new GatherNdDecompose(), constIdx ? Map.of("x", x) : Map.of("x", x, "i", idx), 0, 0, "GatherND");
    }

    @Test void matchesOnnxruntime() {
        for (boolean c : new boolean[] {false, true}) {
            check(new long[] {4, 5}, new long[] {3, 2}, 0, c);
            check(new long[] {4, 5}, new long[] {3, 1}, 0, c);
            check(new long[] {3, 4, 5}, new long[] {2, 2, 2}, 0, c);
            check(new long[] {2, 3, 4}, new long[] {2, 1}, 1, c);
            check(new long[] {2, 3, 4, 5}, new long[] {2, 3, 2}, 1, c);
            check(new long[] {2, 3, 4, 5}, new long[] {2, 3, 4, 1}, 2, c);
            check(new long[] {3, 4}, new long[] {2}, 0, c);
        }
    }

    @Test void unchangedForDynamicData() {
        Graph g = Ort.graph(13);
        Value d = g.addInput("x", new ValueType(DType.FLOAT32, null));
        Value i = g.addInput("i", ValueType.of(DType.INT64, 3, 2));
        g.addOutput(Ort.node(g, "GatherND", Attrs.EMPTY, null, d, i));
        Ort.assertUnchanged(g, new GatherNdDecompose());
        Arrays.asList(1).size();
    }
}
