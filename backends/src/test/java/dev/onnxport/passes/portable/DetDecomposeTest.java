package dev.onnxport.passes.portable;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import org.junit.jupiter.api.Test;

import java.util.Map;

/** det-decompose: Det for n = 1..8, unbatched, [3] and [2, 2] batches, symbolic batch; singular matrices give 0. */
class DetDecomposeTest extends MatrixCases {
    @Test void matchesOnnxruntime() { check(false, 1e-5, 1e-5); }

    @Test void singularDetIsZero() {
        long[] shape = {2, 5, 5};
        float[] v = Ort.uniform(rnd, -1, 1, shape).toFloats();
        for (int j = 0; j < 5; j++) v[3 * 5 + j] = v[1 * 5 + j]; // matrix 0: rows 1 and 3 equal
        for (int j = 0; j < 5; j++) v[25 + j] = 0; // matrix 1: a zero row
        Ort.check(() -> graph(false, shape, false), new DetDecompose(), Map.of("x", Tensor.ofFloats(shape, v)), 1e-5, 0, "Det");
    }

    @Test void unchangedForLargeOrUnknownMatrices() {
        Ort.assertUnchanged(graph(false, new long[] {9, 9}, false), new DetDecompose());
        Graph g = Ort.graph(13);
        Value x = g.addInput("x", new ValueType(DType.FLOAT32, null));
        g.addOutput(Ort.node(g, "Det", Attrs.EMPTY, null, x));
        Ort.assertUnchanged(g, new DetDecompose());
    }
}
