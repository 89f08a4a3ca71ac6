package dev.onnxport.passes.portable;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.onnxport.passes.portable.Ort.f32;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** gridsample-decompose: bilinear/nearest x zeros/border x align_corners 0/1, grids reaching outside the image. */
class GridSampleDecomposeTest {
    final Random rnd = new Random(21);
    // X [N, C, H, W], grid [N, Ho, Wo, 2]
    static final List<long[][]> SHAPES = List.of(
            new long[][] {{1, 1, 4, 4}, {1, 3, 5, 2}},
            new long[][] {{2, 3, 5, 7}, {2, 4, 6, 2}},
            new long[][] {{3, 2, 8, 3}, {3, 9, 1, 2}});

    Graph graph(int opset, String domain, long[][] s, Attrs a) {
        Graph g = Ort.graph(opset);
        if (!domain.isEmpty()) g.opsets().put(domain, 1);
        Value x = g.addInput("x", f32(s[0]));
        Value grid = g.addInput("grid", f32(s[1]));
        g.addOutput(Ort.nodeIn(g, domain, "GridSample", a, f32(s[0][0], s[0][1], s[1][1], s[1][2]), x, grid));
        return g;
    }

    @Test void matchesOnnxruntime() {
        for (long[][] s : SHAPES) for (String mode : List.of("bilinear", "nearest")) for (String pad : List.of("zeros", "border")) for (long align : new long[] {0, 1}) {
            Attrs a = Attrs.builder().put("mode", mode).put("padding_mode", pad).put("align_corners", align).build();
            Tensor x = Ort.uniform(rnd, -1, 1, s[0]);
            Tensor grid = Ort.uniform(rnd, -1.3, 1.3, s[1]);
            Ort.Check c = Ort.check(() -> graph(16, "", s, a), new GridSampleDecompose(), Map.of("x", x, "grid", grid), 1e-5, 0, "GridSample");
            assertTrue(c.after().containsKey("Gather"));
        }
    }

    @Test void opset20LinearAndExactPixelCenters() {
        long[][] s = {{1, 2, 3, 4}, {1, 3, 4, 2}};
        float[] gv = new float[24];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) { // align_corners=1 pixel centres and half-way points
            gv[(i * 4 + j) * 2] = -1 + j * 2f / 3;
            gv[(i * 4 + j) * 2 + 1] = -1 + i * 1f;
        }
        for (String mode : List.of("linear", "nearest")) {
            Attrs a = Attrs.builder().put("mode", mode).put("align_corners", 1L).build();
            Ort.check(() -> graph(20, "", s, a), new GridSampleDecompose(),
                    Map.of("x", Ort.uniform(rnd, -1, 1, s[0]), "grid", Tensor.ofFloats(s[1], gv)), 1e-5, 0, "GridSample");
        }
    }

    @Test void microsoftDomain() {
        long[][] s = SHAPES.get(1);
        Ort.check(() -> graph(13, "com.microsoft", s, Attrs.EMPTY), new GridSampleDecompose(),
                Map.of("x", Ort.uniform(rnd, -1, 1, s[0]), "grid", Ort.uniform(rnd, -1.2, 1.2, s[1])), 1e-5, 0, "com.microsoft.GridSample");
    }

    @Test void unchangedForBicubicAndReflection() {
        long[][] s = SHAPES.get(0);
        List<String> log = Ort.assertUnchanged(graph(16, "", s, Attrs.builder().put("mode", "bicubic").build()), new GridSampleDecompose());
        assertTrue(log.toString().contains("bicubic"));
        Ort.assertUnchanged(graph(16, "", s, Attrs.builder().put("padding_mode", "reflection").build()), new GridSampleDecompose());
    }
}
