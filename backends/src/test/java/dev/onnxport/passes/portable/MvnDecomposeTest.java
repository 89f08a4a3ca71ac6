package dev.onnxport.passes.portable;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Value;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.onnxport.passes.portable.Ort.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** mvn-decompose: default and explicit axes, opsets 13 and 18 (axes as inputs), with and without anti-fusion. */
class MvnDecomposeTest {
    final Random rnd = new Random(6);

    Graph graph(int opset, long[] s, long[] axes) {
        Graph g = Ort.graph(opset);
        Value x = g.addInput("x", f32(s));
        Attrs a = axes == null ? Attrs.EMPTY : Attrs.builder().put("axes", axes).build();
        g.addOutput(Ort.node(g, "MeanVarianceNormalization", a, f32(s), x));
        return g;
    }

    @Test void matchesOnnxruntime() {
        List<long[]> shapes = List.of(new long[] {2, 3, 4, 5}, new long[] {1, 8, 3, 3}, new long[] {3, 2, 7, 1});
        for (int opset : new int[] {13, 18}) for (long[] s : shapes) for (long[] axes : new long[][] {null, {2, 3}, {1}})
            for (boolean anti : new boolean[] {false, true}) {
                Ort.Check c = Ort.check(() -> graph(opset, s, axes), new MvnDecompose(anti), Map.of("x", Ort.uniform(rnd, -3, 5, s)), 1e-5, 1e-5,
                        "MeanVarianceNormalization");
                assertEquals(anti ? 2 : 1, c.after().get("Mul"), c.after().toString());
            }
    }

    @Test void unchangedWithoutMvn() {
        Graph g = Ort.graph(13);
        Value x = g.addInput("x", f32(1, 2, 3, 3));
        g.addOutput(Ort.node(g, "ReduceMean", Attrs.builder().put("axes", new long[] {2, 3}).build(), f32(1, 2, 1, 1), x));
        Ort.assertUnchanged(g, new MvnDecompose(true));
    }
}
