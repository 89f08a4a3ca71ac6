package dev.onnxport.cli;

import dev.onnxport.ir.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static dev.onnxport.cli.MakeRun.assertClose;
import static dev.onnxport.cli.MakeRun.make;
import static dev.onnxport.cli.MakeRun.ort;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MakeInverseTest {
    /** Gauss-Jordan with partial pivoting in double, for each n x n matrix of x. */
    static float[] reference(float[] x, int batch, int n) {
        float[] out = new float[x.length];
        for (int b = 0; b < batch; b++) {
            double[][] a = new double[n][2 * n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) a[i][j] = x[b * n * n + i * n + j];
                a[i][n + i] = 1;
            }
            for (int c = 0; c < n; c++) {
                int p = c;
                for (int i = c + 1; i < n; i++) if (Math.abs(a[i][c]) > Math.abs(a[p][c])) p = i;
                double[] t = a[c]; a[c] = a[p]; a[p] = t;
                double d = a[c][c];
                for (int j = 0; j < 2 * n; j++) a[c][j] /= d;
                for (int i = 0; i < n; i++) {
                    if (i == c) continue;
                    double f = a[i][c];
                    for (int j = 0; j < 2 * n; j++) a[i][j] -= f * a[c][j];
                }
            }
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) out[b * n * n + i * n + j] = (float) a[i][n + j];
        }
        return out;
    }

    /** Well-conditioned matrices: uniform in [-1, 1] plus n on the diagonal, rows shuffled so that pivoting matters. */
    static float[] matrices(Random r, int batch, int n) {
        float[] x = new float[batch * n * n];
        for (int b = 0; b < batch; b++) {
            int shift = r.nextInt(n);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    x[b * n * n + ((i + shift) % n) * n + j] = (r.nextFloat() * 2 - 1) + (i == j ? n : 0);
        }
        return x;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 6})
    void inverseOfBatchedMatricesMatchesGaussJordan(int n, @TempDir Path dir) throws Exception {
        Path f = make(dir.resolve("inv.onnx"), "inverse", "--size", "" + n, "--batch", "batch,2");
        var g = MakeRun.graph(f);
        assertTrue(g.nodes().stream().noneMatch(x -> x.opType().equals("Inverse")) && !g.opsets().containsKey("com.microsoft"), g.dump());
        float[] x = matrices(new Random(n), 6, n);
        Tensor y = ort(f, Map.of("x", Tensor.ofFloats(new long[] {3, 2, n, n}, x))).get("inverse");
        assertArrayEquals(new long[] {3, 2, n, n}, y.shape());
        assertClose(reference(x, 6, n), y.toFloats(), 1e-5, 1e-4, n + "x" + n);
    }
}
