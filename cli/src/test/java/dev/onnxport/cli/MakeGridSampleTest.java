package dev.onnxport.cli;

import dev.onnxport.ir.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static dev.onnxport.cli.MakeRun.assertClose;
import static dev.onnxport.cli.MakeRun.make;
import static dev.onnxport.cli.MakeRun.ort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MakeGridSampleTest {
    static final int N = 2, C = 3, H = 5, W = 7, HO = 4, WO = 6;

    /** ONNX GridSample (4-D, bilinear/nearest, zeros/border), written from its definition with onnxruntime's formulas. */
    static float[] reference(float[] x, float[] grid, boolean nearest, boolean border, boolean align) {
        float[] y = new float[N * C * HO * WO];
        for (int n = 0; n < N; n++)
            for (int i = 0; i < HO; i++)
                for (int j = 0; j < WO; j++) {
                    int g = ((n * HO + i) * WO + j) * 2;
                    float px = denormalize(grid[g], W, align), py = denormalize(grid[g + 1], H, align);
                    for (int c = 0; c < C; c++) {
                        float v;
                        if (nearest) {
                            v = pixel(x, n, c, (long) Math.rint(py), (long) Math.rint(px), border);
                        } else {
                            long x1 = (long) Math.floor(px), y1 = (long) Math.floor(py), x2 = x1 + 1, y2 = y1 + 1;
                            float dx2 = x2 - px, dx1 = px - x1, dy2 = y2 - py, dy1 = py - y1;
                            v = dy2 * (dx2 * pixel(x, n, c, y1, x1, border) + dx1 * pixel(x, n, c, y1, x2, border))
                                    + dy1 * (dx2 * pixel(x, n, c, y2, x1, border) + dx1 * pixel(x, n, c, y2, x2, border));
                        }
                        y[((n * C + c) * HO + i) * WO + j] = v;
                    }
                }
        return y;
    }

    static float denormalize(float v, int size, boolean align) {
        return align ? (v + 1) / 2 * (size - 1) : ((v + 1) * size - 1) / 2;
    }

    static float pixel(float[] x, int n, int c, long r, long col, boolean border) {
        if (border) {
            r = Math.max(0, Math.min(H - 1, r));
            col = Math.max(0, Math.min(W - 1, col));
        } else if (r < 0 || r >= H || col < 0 || col >= W) {
            return 0f;
        }
        return x[(int) (((n * C + c) * H + r) * W + col)];
    }

    @ParameterizedTest
    @CsvSource({"bilinear,zeros,false", "bilinear,zeros,true", "bilinear,border,false", "nearest,zeros,false", "nearest,border,true"})
    void decomposedGridSampleMatchesTheDefinition(String mode, String padding, boolean align, @TempDir Path dir) throws Exception {
        String[] args = align
                ? new String[] {"gridsample", "--input-shape", N + "," + C + "," + H + "," + W, "--output-size", HO + "," + WO, "--mode", mode, "--padding", padding, "--align-corners"}
                : new String[] {"gridsample", "--input-shape", N + "," + C + "," + H + "," + W, "--output-size", HO + "," + WO, "--mode", mode, "--padding", padding};
        Path f = make(dir.resolve("gs.onnx"), args);
        var g = MakeRun.graph(f);
        assertEquals(11, g.opset());
        assertTrue(g.nodes().stream().noneMatch(n -> n.opType().equals("GridSample")), "no GridSample is left");
        assertTrue(g.opsets().keySet().stream().allMatch(String::isEmpty), "standard domain only: " + g.opsets());

        Random r = new Random(31 + mode.hashCode() + padding.hashCode() + (align ? 1 : 0));
        float[] x = TestModels.random(r, N * C * H * W, -5, 5);
        // grid points reach past [-1, 1] so that padding matters
        float[] grid = TestModels.random(r, N * HO * WO * 2, -1.3f, 1.3f);
        float[] got = ort(f, Map.of("x", Tensor.ofFloats(new long[] {N, C, H, W}, x), "grid", Tensor.ofFloats(new long[] {N, HO, WO, 2}, grid)))
                .get("y").toFloats();
        assertClose(reference(x, grid, mode.equals("nearest"), padding.equals("border"), align), got, 1e-5, 1e-5, mode + "/" + padding);
    }

    @Test
    void optionsTheDecompositionLacksAreUsageErrors(@TempDir Path dir) {
        for (String[] bad : new String[][] {{"--mode", "bicubic"}, {"--padding", "reflection"}}) {
            CliRun.Result r = CliRun.run("make", "gridsample", "--input-shape", "1,1,4,4", "--output-size", "2,2", bad[0], bad[1],
                    "-o", dir.resolve("x.onnx").toString());
            assertEquals(2, r.code(), r.toString());
        }
        CliRun.Result r = CliRun.run("make", "gridsample", "--input-shape", "n,1,4,4", "--output-size", "2,2", "-o", dir.resolve("x.onnx").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("must be a size"), r.err());
    }
}
