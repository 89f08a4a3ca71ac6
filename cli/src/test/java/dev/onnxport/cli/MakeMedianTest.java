package dev.onnxport.cli;

import dev.onnxport.ir.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.onnxport.cli.MakeRun.make;
import static dev.onnxport.cli.MakeRun.ort;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MakeMedianTest {
    /** x [d0, n, d2] (row-major); the median over axis 1 of each (i, k): lower or mean of the sorted middle, and where it was. */
    static float[][] reference(float[] x, int d0, int n, int d2, boolean mean) {
        float[] values = new float[d0 * d2], idx = new float[d0 * d2];
        for (int i = 0; i < d0; i++)
            for (int k = 0; k < d2; k++) {
                float[] col = new float[n];
                for (int j = 0; j < n; j++) col[j] = x[(i * n + j) * d2 + k];
                float[] s = col.clone();
                Arrays.sort(s);
                float lower = s[(n - 1) / 2];
                values[i * d2 + k] = mean && n % 2 == 0 ? (s[n / 2 - 1] + s[n / 2]) * 0.5f : lower;
                for (int j = 0; j < n; j++) if (col[j] == lower) idx[i * d2 + k] = j;
            }
        return new float[][] {values, idx};
    }

    @Test
    void lowerMedianAndItsIndexOverTheMiddleAxisForOddAndEvenCounts(@TempDir Path dir) throws Exception {
        for (int n : new int[] {7, 8}) {
            Path f = make(dir.resolve("m" + n + ".onnx"), "median", "--shape", "batch," + n + ",5", "--axis", "1");
            assertTrue(MakeRun.graph(f).nodes().stream().anyMatch(x -> x.opType().equals("TopK")));
            Random r = new Random(n);
            float[] x = TestModels.random(r, 3 * n * 5, -10, 10);
            Map<String, Tensor> y = ort(f, Map.of("x", Tensor.ofFloats(new long[] {3, n, 5}, x)));
            float[][] want = reference(x, 3, n, 5, false);
            assertArrayEquals(new long[] {3, 5}, y.get("values").shape());
            assertArrayEquals(want[0], y.get("values").toFloats(), "n=" + n);
            long[] idx = y.get("indices").toLongs();
            for (int i = 0; i < idx.length; i++) assertEquals((long) want[1][i], idx[i], "n=" + n + " index " + i);
        }
    }

    @Test
    void meanModeAveragesTheTwoMiddleValuesAndKeepdimsKeepsTheAxis(@TempDir Path dir) throws Exception {
        Path f = make(dir.resolve("mean.onnx"), "median", "--shape", "2,3,6", "--mode", "mean", "--keepdims", "--opset", "17");
        assertEquals(17, MakeRun.graph(f).opset());
        float[] x = TestModels.random(new Random(11), 36, -1, 1);
        Map<String, Tensor> y = ort(f, Map.of("x", Tensor.ofFloats(new long[] {2, 3, 6}, x)));
        assertEquals(List.of("values"), List.copyOf(y.keySet()), "mean mode has no indices");
        assertArrayEquals(new long[] {2, 3, 1}, y.get("values").shape());
        assertArrayEquals(reference(x, 6, 6, 1, true)[0], y.get("values").toFloats(), "the last axis of [2,3,6] is [6 rows, 6, 1]");
    }

    @Test
    void badAxisOrDynamicAxisIsAUsageError(@TempDir Path dir) {
        assertEquals(2, CliRun.run("make", "median", "--shape", "2,3", "--axis", "2", "-o", dir.resolve("a.onnx").toString()).code());
        CliRun.Result r = CliRun.run("make", "median", "--shape", "2,n", "--axis", "1", "-o", dir.resolve("a.onnx").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("the median axis needs a size"), r.err());
        assertTrue(!Files.exists(dir.resolve("a.onnx")));
    }
}
