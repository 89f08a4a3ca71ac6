package dev.onnxport.passes.portable;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.onnxport.passes.portable.Ort.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** unsqueeze-to-reshape: attribute (opset 11) and input (opset 13) forms, negative and several axes. */
class UnsqueezeToReshapeTest {
    final Random rnd = new Random(3);

    static long[] unsqueezed(long[] s, long[] axes) {
        int r = s.length + axes.length;
        long[] out = new long[r];
        long[] ax = Build.normalize(axes, r);
        for (int i = 0, k = 0; i < r; i++) out[i] = Build.contains(ax, i) ? 1 : s[k++];
        return out;
    }

    Graph graph(int opset, long[] shape, long[] axes) {
        Graph g = Ort.graph(opset);
        Value x = g.addInput("x", f32(shape));
        Value r = Ort.node(g, "Relu", Attrs.EMPTY, f32(shape), x);
        ValueType t = f32(unsqueezed(shape, axes));
        Value u = opset >= 13 ? Ort.node(g, "Unsqueeze", Attrs.EMPTY, t, r, g.addConstant("axes", Tensor.ofLongs(new long[] {axes.length}, axes)))
                : Ort.node(g, "Unsqueeze", Attrs.builder().put("axes", axes).build(), t, r);
        g.addOutput(u);
        return g;
    }

    @Test void matchesOnnxruntime() {
        List<long[]> shapes = List.of(new long[] {5}, new long[] {2, 3}, new long[] {2, 3, 4});
        List<long[]> axes = List.of(new long[] {0}, new long[] {-1}, new long[] {1, 0}, new long[] {0, 2, -1});
        for (int opset : new int[] {11, 13}) for (long[] s : shapes) for (long[] a : axes) {
            Ort.Check c = Ort.check(() -> graph(opset, s, a), new UnsqueezeToReshape(), Map.of("x", Ort.uniform(rnd, -1, 1, s)), 0, 0, "Unsqueeze");
            assertEquals(1, c.after().get("Reshape"));
        }
    }

    @Test void targetHasNoMinusOne() {
        Graph g = graph(13, new long[] {2, 3}, new long[] {1});
        new UnsqueezeToReshape().run(g, Ort.ctx());
        Value target = g.nodes().get(1).input(1);
        assertEquals("[2, 1, 3]", java.util.Arrays.toString(target.constant().toLongs()));
    }

    @Test void dynamicShapeIsLeftWithAReason() {
        Graph g = Ort.graph(13);
        Value x = g.addInput("x", new ValueType(DType.FLOAT32, Shape.of(List.of(Dim.sym("N"), Dim.of(3)))));
        g.addOutput(Ort.node(g, "Unsqueeze", Attrs.EMPTY, null, x, g.addConstant("axes", Tensor.ofLongs(new long[] {1}, 0))));
        List<String> log = Ort.assertUnchanged(g, new UnsqueezeToReshape());
        assertTrue(log.toString().contains("not static"), log.toString());
    }

    @Test void unchangedWithoutUnsqueeze() {
        Graph g = Ort.graph(13);
        Value x = g.addInput("x", f32(2, 3));
        g.addOutput(Ort.node(g, "Reshape", Attrs.EMPTY, f32(6), x, g.addConstant("s", Tensor.ofLongs(new long[] {1}, 6))));
        Ort.assertUnchanged(g, new UnsqueezeToReshape());
    }
}
