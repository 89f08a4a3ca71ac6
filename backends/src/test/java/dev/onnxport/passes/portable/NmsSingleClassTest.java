package dev.onnxport.passes.portable;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.onnxport.passes.portable.Ort.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * nms-single-class. Its result is the multi-class one (as a set of rows) when classes do not compete: here every
 * box scores above the threshold in exactly one class, and boxes of different classes never overlap.
 */
class NmsSingleClassTest {
    final Random rnd = new Random(2);

    /** B batches, C classes, N boxes: box i of class i % C in the column of cells of that class. */
    Map<String, Tensor> inputs(int b, int c, int n) {
        float[] boxes = new float[b * n * 4], scores = new float[b * c * n];
        for (int bi = 0; bi < b; bi++) for (int i = 0; i < n; i++) {
            int cls = i % c;
            float x0 = cls * 10 + rnd.nextFloat() * 3, y0 = rnd.nextFloat() * 20;
            float[] bx = {y0, x0, y0 + 2 + rnd.nextFloat() * 3, x0 + 2 + rnd.nextFloat() * 3}; // within [cls*10, cls*10+8)
            System.arraycopy(bx, 0, boxes, (bi * n + i) * 4, 4);
            for (int k = 0; k < c; k++) scores[(bi * c + k) * n + i] = k == cls ? 0.3f + 0.7f * rnd.nextFloat() : 0.1f * rnd.nextFloat();
        }
        return Map.of("boxes", Tensor.ofFloats(new long[] {b, n, 4}, boxes), "scores", Tensor.ofFloats(new long[] {b, c, n}, scores));
    }

    Graph graph(int b, int c, int n, int opset) {
        Graph g = Ort.graph(opset);
        Value boxes = g.addInput("boxes", f32(b, n, 4));
        Value scores = g.addInput("scores", f32(b, c, n));
        Value max = g.addConstant("max", Tensor.ofLongs(new long[] {1}, 100));
        Value iou = g.addConstant("iou", Tensor.ofFloats(new long[] {1}, 0.3f));
        Value thr = g.addConstant("thr", Tensor.ofFloats(new long[] {1}, 0.2f));
        g.addOutput(Ort.node(g, "NonMaxSuppression", Attrs.EMPTY, new ValueType(DType.INT64, null), boxes, scores, max, iou, thr));
        return g;
    }

    static List<String> rows(Tensor t) {
        long[] v = t.toLongs();
        List<String> r = new ArrayList<>();
        for (int i = 0; i < v.length; i += 3) r.add(v[i] + "," + v[i + 1] + "," + v[i + 2]);
        r.sort(null);
        return r;
    }

    @Test void sameSelectionWhenClassesDoNotCompete() {
        for (int[] s : new int[][] {{1, 3, 12}, {2, 2, 9}, {3, 4, 20}}) for (int opset : new int[] {11, 18}) {
            Map<String, Tensor> in = inputs(s[0], s[1], s[2]);
            Graph g = graph(s[0], s[1], s[2], opset);
            Tensor ref = Ort.run(g, in).values().iterator().next();
            assertTrue(new NmsSingleClass().run(g, Ort.ctx()));
            assertEquals(1, Ort.count(g, "ReduceMax"));
            assertEquals(1, Ort.count(g, "ArgMax"));
            assertEquals(1, Ort.count(g, "NonMaxSuppression"));
            Tensor got = Ort.run(g, in).values().iterator().next();
            assertEquals(rows(ref), rows(got), Arrays.toString(s));
            assertTrue(rows(ref).size() > s[0], "the test should select several boxes");
        }
    }

    @Test void bestClassWinsWhenClassesCompete() {
        // one box, two classes: multi-class NMS selects it twice, best-class once, with the higher class
        Graph g = graph(1, 2, 1, 11);
        Map<String, Tensor> in = Map.of("boxes", Tensor.ofFloats(new long[] {1, 1, 4}, 0, 0, 1, 1),
                "scores", Tensor.ofFloats(new long[] {1, 2, 1}, 0.5f, 0.9f));
        assertEquals(List.of("0,0,0", "0,1,0"), rows(Ort.run(g, in).values().iterator().next()));
        new NmsSingleClass().run(g, Ort.ctx());
        assertEquals(List.of("0,1,0"), rows(Ort.run(g, in).values().iterator().next()));
    }

    @Test void unchangedForOneClass() {
        Ort.assertUnchanged(graph(1, 1, 5, 11), new NmsSingleClass());
    }
}
