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

/** atan-family: Atan/Asin/Acos lowered, within 1e-6 of onnxruntime's kernels (checked at 1e-5 + the edges). */
class AtanFamilyTest {
    static final List<long[]> SHAPES = List.of(new long[] {9}, new long[] {3, 17}, new long[] {2, 3, 4, 5});
    final Random rnd = new Random(5);

    void check(String op, double lo, double hi, float... special) {
        for (long[] shape : SHAPES) {
            Tensor x = Ort.uniform(rnd, lo, hi, shape);
            float[] v = x.toFloats();
            for (int i = 0; i < special.length && i < v.length; i++) v[i] = special[i];
            Tensor in = Tensor.ofFloats(shape, v);
            Ort.Check c = Ort.check(() -> {
                Graph g = Ort.graph(13);
                Value a = g.addInput("x", f32(shape));
                g.addOutput(Ort.node(g, op, Attrs.EMPTY, f32(shape), a));
                return g;
            }, new AtanFamily(), Map.of("x", in), 1e-6, 0, op);
            assertTrue(c.maxError() < 1e-6, op + " " + c.maxError());
        }
    }

    @Test void atan() {
        check("Atan", -30, 30, 0f, -0f, 1f, -1f, 0.41421357f, 2.4142137f, 1e30f, -1e30f, Float.POSITIVE_INFINITY);
        check("Atan", -1.5, 1.5);
    }

    @Test void asin() { check("Asin", -1, 1, 1f, -1f, 0f, 0.99999994f, -0.99999994f, 0.5f); }

    @Test void acos() { check("Acos", -1, 1, 1f, -1f, 0f, 0.99999994f, -0.99999994f, 0.5f); }

    @Test void unchangedWithoutInverseTrig() {
        Graph g = Ort.graph(13);
        Value a = g.addInput("x", f32(4));
        g.addOutput(Ort.node(g, "Tan", Attrs.EMPTY, f32(4), Ort.node(g, "Sin", Attrs.EMPTY, f32(4), a)));
        Ort.assertUnchanged(g, new AtanFamily());
    }
}
