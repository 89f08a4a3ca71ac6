package dev.onnxport.passes.portable;

import org.junit.jupiter.api.Test;

/** inverse-decompose: com.microsoft Inverse for n = 1..8, unbatched, [3] and [2, 2] batches, symbolic batch. */
class InverseDecomposeTest extends MatrixCases {
    @Test void matchesOnnxruntime() { check(true, 1e-5, 1e-5); }

    @Test void unchangedForLargeMatrices() {
        Ort.assertUnchanged(graph(true, new long[] {2, 9, 9}, false), new InverseDecompose());
    }
}
