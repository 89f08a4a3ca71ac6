package dev.onnxport.cli;

import dev.onnxport.ir.Tensor;
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

class MakeAtan2Test {
    /** Every quadrant, both axes and the origin, then seeded points at several scales. */
    static float[][] points() {
        float[] y = new float[64], x = new float[64];
        float[][] fixed = {{1, 1}, {1, -1}, {-1, -1}, {-1, 1}, {0, 1}, {0, -1}, {1, 0}, {-1, 0}, {0, 0}, {3, -1e-6f}, {-3, -1e-6f},
                {1e-6f, -3}, {-1e-6f, -3}, {1e30f, 1}, {-1e30f, -1}, {2, -2}};
        for (int i = 0; i < fixed.length; i++) { y[i] = fixed[i][0]; x[i] = fixed[i][1]; }
        Random r = new Random(17);
        for (int i = fixed.length; i < 64; i++) {
            float s = (float) Math.pow(10, r.nextInt(7) - 3);
            y[i] = (r.nextFloat() * 2 - 1) * s;
            x[i] = (r.nextFloat() * 2 - 1) * s;
        }
        return new float[][] {y, x};
    }

    static float[] reference(float[] y, float[] x) {
        float[] a = new float[y.length];
        for (int i = 0; i < a.length; i++) a[i] = (float) Math.atan2(y[i], x[i]);
        return a;
    }

    @Test
    void matchesMathAtan2InEveryQuadrant(@TempDir Path dir) throws Exception {
        Path f = make(dir.resolve("atan2.onnx"), "atan2", "--shape", "n");
        assertEquals(11, MakeRun.graph(f).opset());
        float[][] p = points();
        float[] got = ort(f, Map.of("y", Tensor.ofFloats(new long[] {64}, p[0]), "x", Tensor.ofFloats(new long[] {64}, p[1]))).get("angle").toFloats();
        assertClose(reference(p[0], p[1]), got, 1e-6, 0, "atan2");
    }

    @Test
    void withAtanFamilyTheresNoAtanLeft(@TempDir Path dir) throws Exception {
        Path f = make(dir.resolve("a.onnx"), "atan2", "--shape", "4,16", "--opset", "13", "--pass", "atan-family");
        assertTrue(MakeRun.graph(f).nodes().stream().noneMatch(n -> n.opType().equals("Atan")), MakeRun.graph(f).dump());
        float[][] p = points();
        float[] got = ort(f, Map.of("y", Tensor.ofFloats(new long[] {4, 16}, p[0]), "x", Tensor.ofFloats(new long[] {4, 16}, p[1])))
                .get("angle").toFloats();
        assertClose(reference(p[0], p[1]), got, 2e-6, 0, "atan2 with a polynomial atan");
    }
}
