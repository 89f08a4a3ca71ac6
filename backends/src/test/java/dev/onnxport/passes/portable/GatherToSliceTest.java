package dev.onnxport.passes.portable;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.onnxport.passes.portable.Ort.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** gather-to-slice: scalar constant index, with and without a following Unsqueeze of the same axis. */
class GatherToSliceTest {
    final Random rnd = new Random(4);
    static final List<long[]> SHAPES = List.of(new long[] {6}, new long[] {3, 4}, new long[] {2, 3, 4, 5});

    static long[] without(long[] s, int axis) {
        long[] r = new long[s.length - 1];
        for (int i = 0, k = 0; i < s.length; i++) if (i != axis) r[k++] = s[i];
        return r;
    }

    /** y = Gather(relu(x), idx, axis); with unsq, also z = Unsqueeze(y, axis) and w = y + 0 (a plain reader). */
    Graph graph(int opset, long[] s, long axis, long idx, boolean unsq, boolean plain) {
        Graph g = Ort.graph(opset);
        Value x = g.addInput("x", f32(s));
        Value r = Ort.node(g, "Relu", Attrs.EMPTY, f32(s), x);
        int a = (int) (axis < 0 ? axis + s.length : axis);
        Value y = Ort.node(g, "Gather", Attrs.builder().put("axis", axis).build(), f32(without(s, a)), r, g.addConstant("i", Tensor.scalarLong(idx)));
        if (unsq) {
            long[] kept = s.clone();
            kept[a] = 1;
            Value z = opset >= 13 ? Ort.node(g, "Unsqueeze", Attrs.EMPTY, f32(kept), y, g.addConstant("ua", Tensor.ofLongs(new long[] {1}, axis)))
                    : Ort.node(g, "Unsqueeze", Attrs.builder().put("axes", new long[] {axis}).build(), f32(kept), y);
            g.addOutput(z);
        }
        if (plain || !unsq) g.addOutput(y);
        return g;
    }

    @Test void matchesOnnxruntime() {
        for (int opset : new int[] {9, 13}) for (long[] s : SHAPES) for (long axis : new long[] {0, -1}) for (long idx : new long[] {1, -1}) {
            Tensor x = Ort.uniform(rnd, -1, 1, s);
            Ort.Check plain = Ort.check(() -> graph(opset, s, axis, idx, false, false), new GatherToSlice(), Map.of("x", x), 0, 0, "Gather");
            assertEquals(1, plain.after().get("Squeeze"));
            Ort.Check pair = Ort.check(() -> graph(opset, s, axis, idx, true, false), new GatherToSlice(), Map.of("x", x), 0, 0, "Gather", "Unsqueeze");
            assertNull(pair.after().get("Squeeze"), "Squeeze/Unsqueeze pair should be gone: " + pair.after());
            Ort.check(() -> graph(opset, s, axis, idx, true, true), new GatherToSlice(), Map.of("x", x), 0, 0, "Gather", "Unsqueeze");
        }
    }

    @Test void shapeGatherUnsqueezeConcatChain() {
        // the exported-shape idiom: Concat(Unsqueeze(Gather(Shape(x), 0)), [-1]) -> Reshape
        Graph g = Ort.graph(13);
        Value x = g.addInput("x", f32(2, 3, 4));
        Value sh = Ort.node(g, "Shape", Attrs.EMPTY, ValueType.of(DType.INT64, 3), x);
        Value b = Ort.node(g, "Gather", Attrs.builder().put("axis", 0L).build(), ValueType.of(DType.INT64), sh, g.addConstant("z", Tensor.scalarLong(0)));
        Value u = Ort.node(g, "Unsqueeze", Attrs.EMPTY, ValueType.of(DType.INT64, 1), b, g.addConstant("a", Tensor.ofLongs(new long[] {1}, 0)));
        Value cat = Ort.node(g, "Concat", Attrs.builder().put("axis", 0L).build(), ValueType.of(DType.INT64, 2), u, g.addConstant("m", Tensor.ofLongs(new long[] {1}, -1)));
        g.addOutput(Ort.node(g, "Reshape", Attrs.EMPTY, f32(2, 12), x, cat));
        Graph copy = g;
        Ort.Check c = Ort.check(() -> copy, new GatherToSlice(), Map.of("x", Ort.uniform(rnd, -1, 1, 2, 3, 4)), 0, 0, "Gather", "Unsqueeze", "Squeeze");
        assertEquals(1, c.after().get("Slice"));
    }

    @Test void unchangedForComputedIndices() {
        Graph g = Ort.graph(13);
        Value x = g.addInput("x", f32(3, 4));
        Value i = g.addInput("i", ValueType.of(DType.INT64, 2));
        g.addOutput(Ort.node(g, "Gather", Attrs.EMPTY, f32(2, 4), x, i));
        Ort.assertUnchanged(g, new GatherToSlice());
    }
}
