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

class MakeMvnTest {
    /** MVN of x [d0, d1, d2, d3] over the axes set in {@code over}, in double: (x - mean) / (sqrt(mean((x - mean)^2)) + 1e-9). */
    static float[] reference(float[] x, int[] d, boolean[] over) {
        float[] y = new float[x.length];
        int[] idx = new int[4];
        // group key: the coordinates of the axes not normalized over
        java.util.Map<String, java.util.List<Integer>> groups = new java.util.LinkedHashMap<>();
        for (int i = 0; i < x.length; i++) {
            int r = i;
            for (int a = 3; a >= 0; a--) { idx[a] = r % d[a]; r /= d[a]; }
            StringBuilder k = new StringBuilder();
            for (int a = 0; a < 4; a++) k.append(over[a] ? "*" : idx[a]).append(',');
            groups.computeIfAbsent(k.toString(), s -> new java.util.ArrayList<>()).add(i);
        }
        for (java.util.List<Integer> g : groups.values()) {
            double mean = 0, var = 0;
            for (int i : g) mean += x[i];
            mean /= g.size();
            for (int i : g) var += (x[i] - mean) * (x[i] - mean);
            double std = Math.sqrt(var / g.size());
            for (int i : g) y[i] = (float) ((x[i] - mean) / (std + 1e-9));
        }
        return y;
    }

    @Test
    void defaultAxesNormalizeEachChannel(@TempDir Path dir) throws Exception {
        Path f = make(dir.resolve("mvn.onnx"), "mvn", "--shape", "2,3,4,5");
        assertTrue(MakeRun.graph(f).nodes().stream().noneMatch(n -> n.opType().equals("MeanVarianceNormalization")));
        float[] x = TestModels.random(new Random(4), 120, -3, 7);
        float[] got = ort(f, Map.of("x", Tensor.ofFloats(new long[] {2, 3, 4, 5}, x))).get("y").toFloats();
        assertClose(reference(x, new int[] {2, 3, 4, 5}, new boolean[] {true, false, true, true}), got, 1e-5, 1e-4, "mvn 0,2,3");
    }

    @Test
    void otherAxesAtOpset18WithADynamicBatch(@TempDir Path dir) throws Exception {
        // opset 18 moves ReduceMean's axes to an input: the decomposition must write that form
        Path f = make(dir.resolve("mvn18.onnx"), "mvn", "--shape", "batch,3,4,5", "--axes", "2,3", "--opset", "18");
        assertEquals(18, MakeRun.graph(f).opset());
        float[] x = TestModels.random(new Random(5), 120, -3, 7);
        float[] got = ort(f, Map.of("x", Tensor.ofFloats(new long[] {2, 3, 4, 5}, x))).get("y").toFloats();
        assertClose(reference(x, new int[] {2, 3, 4, 5}, new boolean[] {false, false, true, true}), got, 1e-5, 1e-4, "mvn 2,3");
    }
}
