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

/** reduce-keepdims: ReduceMax/ReduceMin (opset 13 attribute axes, 18 input axes) and ArgMax + Unsqueeze. */
class ReduceKeepdimsTest {
    final Random rnd = new Random(9);
    static final List<long[]> SHAPES = List.of(new long[] {4, 5}, new long[] {2, 3, 4}, new long[] {2, 3, 4, 5});

    static long[] without(long[] s, int axis) {
        long[] r = new long[s.length - 1];
        for (int i = 0, k = 0; i < s.length; i++) if (i != axis) r[k++] = s[i];
        return r;
    }

    Graph graph(String op, int opset, long[] shape, long axis) {
        Graph g = Ort.graph(opset);
        Value x = g.addInput("x", f32(shape));
        int a = (int) (axis < 0 ? axis + shape.length : axis);
        DType dt = op.equals("ArgMax") ? DType.INT64 : DType.FLOAT32;
        Attrs.Builder ab = Attrs.builder().put("keepdims", 0L);
        Value red;
        if (op.equals("ArgMax")) red = Ort.node(g, op, ab.put("axis", axis).build(), ValueType.of(dt, without(shape, a)), x);
        else if (opset >= 18) red = Ort.node(g, op, ab.build(), ValueType.of(dt, without(shape, a)), x, g.addConstant("ax", Tensor.ofLongs(new long[] {1}, axis)));
        else red = Ort.node(g, op, ab.put("axes", new long[] {axis}).build(), ValueType.of(dt, without(shape, a)), x);
        long[] kept = shape.clone();
        kept[a] = 1;
        long ua = axis < 0 ? a : axis; // also exercise mixed signs: unsqueeze at the positive axis
        Value u = Ort.node(g, "Unsqueeze", Attrs.EMPTY, ValueType.of(dt, kept), red, g.addConstant("ua", Tensor.ofLongs(new long[] {1}, ua)));
        g.addOutput(u);
        return g;
    }

    @Test void matchesOnnxruntime() {
        for (String op : List.of("ReduceMax", "ReduceMin", "ArgMax")) for (int opset : new int[] {13, 18}) for (long[] s : SHAPES) for (long axis : new long[] {1, -1}) {
            Ort.Check c = Ort.check(() -> graph(op, opset, s, axis), new ReduceKeepdims(), Map.of("x", Ort.uniform(rnd, -1, 1, s)), 0, 0, "Unsqueeze");
            assertEquals(1, c.after().get(op));
        }
    }

    @Test void unchangedWhenAxesDiffer() {
        Graph g = Ort.graph(13);
        Value x = g.addInput("x", f32(2, 3, 4));
        Value red = Ort.node(g, "ReduceMax", Attrs.builder().put("keepdims", 0L).put("axes", new long[] {1}).build(), f32(2, 4), x);
        g.addOutput(Ort.node(g, "Unsqueeze", Attrs.EMPTY, f32(2, 4, 1), red, g.addConstant("ua", Tensor.ofLongs(new long[] {1}, 2))));
        Ort.assertUnchanged(g, new ReduceKeepdims());
    }

    @Test void unchangedWhenTheReductionHasOtherReaders() {
        Graph g = Ort.graph(13);
        Value x = g.addInput("x", f32(2, 3));
        Value red = Ort.node(g, "ReduceMin", Attrs.builder().put("keepdims", 0L).put("axes", new long[] {1}).build(), f32(2), x);
        g.addOutput(Ort.node(g, "Unsqueeze", Attrs.EMPTY, f32(2, 1), red, g.addConstant("ua", Tensor.ofLongs(new long[] {1}, 1))));
        g.addOutput(red);
        Ort.assertUnchanged(g, new ReduceKeepdims());
    }
}
