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

    // ------------------------------------------------------------------------------------------------ colour spaces

    static Value gather(Graph g, Value x, long i, ValueType t) {
        return Ort.node(g, "Gather", Attrs.builder().put("axis", 1L).build(), t, x, g.addConstant("c" + i, Tensor.scalarLong(i)));
    }

    static Value unsqueeze1(Graph g, Value v, ValueType t) {
        return g.opset() >= 13 ? Ort.node(g, "Unsqueeze", Attrs.EMPTY, t, v, g.addConstant("one", Tensor.ofLongs(new long[] {1}, 1)))
                : Ort.node(g, "Unsqueeze", Attrs.builder().put("axes", new long[] {1}).build(), t, v);
    }

    static Value bin(Graph g, String op, Value a, Value b) { return Ort.node(g, op, Attrs.EMPTY, a.type(), a, b); }

    static Value times(Graph g, Value a, double c) { return bin(g, "Mul", a, g.addConstant("k", Tensor.scalarFloat((float) c))); }

    static Value plus(Graph g, Value a, double c) { return bin(g, "Add", a, g.addConstant("k", Tensor.scalarFloat((float) c))); }

    /**
     * RGB to YCbCr as PyTorch exports it ({@code r, g, b = x[:, 0], x[:, 1], x[:, 2]}; y = .299 r + .587 g + .114 b;
     * cb = (b - y) * .564 + .5; cr = (r - y) * .713 + .5; {@code torch.stack([y, cb, cr], 1)}): Gathers with a scalar
     * index drop the channel dim, the arithmetic runs on [N, H, W], and each result is Unsqueezed at 1 for the Concat.
     */
    static Graph ycbcr(int opset, dev.onnxport.ir.Dim n, long h, long w) {
        Graph g = Ort.graph(opset);
        Value x = g.addInput("x", new ValueType(DType.FLOAT32, dev.onnxport.ir.Shape.of(java.util.List.of(n, dev.onnxport.ir.Dim.of(3),
                dev.onnxport.ir.Dim.of(h), dev.onnxport.ir.Dim.of(w)))));
        ValueType plane = new ValueType(DType.FLOAT32, dev.onnxport.ir.Shape.of(java.util.List.of(n, dev.onnxport.ir.Dim.of(h), dev.onnxport.ir.Dim.of(w))));
        ValueType kept = new ValueType(DType.FLOAT32, dev.onnxport.ir.Shape.of(java.util.List.of(n, dev.onnxport.ir.Dim.of(1), dev.onnxport.ir.Dim.of(h),
                dev.onnxport.ir.Dim.of(w))));
        Value r = gather(g, x, 0, plane), gr = gather(g, x, 1, plane), b = gather(g, x, 2, plane);
        Value y = bin(g, "Add", bin(g, "Add", times(g, r, 0.299), times(g, gr, 0.587)), times(g, b, 0.114));
        Value cb = plus(g, times(g, bin(g, "Sub", b, y), 0.564), 0.5);
        Value cr = plus(g, times(g, bin(g, "Sub", r, y), 0.713), 0.5);
        ValueType three = new ValueType(DType.FLOAT32, dev.onnxport.ir.Shape.of(java.util.List.of(n, dev.onnxport.ir.Dim.of(3),
                dev.onnxport.ir.Dim.of(h), dev.onnxport.ir.Dim.of(w))));
        g.addOutput(Ort.node(g, "Concat", Attrs.builder().put("axis", 1L).build(), three, unsqueeze1(g, y, kept), unsqueeze1(g, cb, kept),
                unsqueeze1(g, cr, kept)));
        return g;
    }

    /**
     * RGB to BGR to gray with a per-pixel gain: bgr = stack([b, g, r], 1); gray = (.114 bgr[:, 0] + .587 bgr[:, 1]
     * + .299 bgr[:, 2]) * gain ([1, H, W] parameter) / 255, clipped to [0, 1], {@code .unsqueeze(1)}; outputs bgr and gray.
     */
    static Graph bgrGray(int opset, long n, long h, long w, java.util.Random rnd) {
        Graph g = Ort.graph(opset);
        Value x = g.addInput("x", f32(n, 3, h, w));
        Value r = gather(g, x, 0, f32(n, h, w)), gr = gather(g, x, 1, f32(n, h, w)), b = gather(g, x, 2, f32(n, h, w));
        Value bgr = Ort.node(g, "Concat", Attrs.builder().put("axis", 1L).build(), f32(n, 3, h, w), unsqueeze1(g, b, f32(n, 1, h, w)),
                unsqueeze1(g, gr, f32(n, 1, h, w)), unsqueeze1(g, r, f32(n, 1, h, w)));
        Value b2 = gather(g, bgr, 0, f32(n, h, w)), g2 = gather(g, bgr, 1, f32(n, h, w)), r2 = gather(g, bgr, 2, f32(n, h, w));
        Value gray = bin(g, "Add", bin(g, "Add", times(g, b2, 0.114), times(g, g2, 0.587)), times(g, r2, 0.299));
        Value gain = g.addConstant("gain", Ort.uniform(rnd, 0.5, 1.5, 1, h, w));
        gray = bin(g, "Div", bin(g, "Mul", gray, gain), g.addConstant("k255", Tensor.scalarFloat(255f)));
        Value lo = g.addConstant("lo", Tensor.scalarFloat(0f)), hi = g.addConstant("hi", Tensor.scalarFloat(1f));
        gray = opset >= 11 ? Ort.node(g, "Clip", Attrs.EMPTY, gray.type(), gray, lo, hi)
                : Ort.node(g, "Clip", Attrs.builder().put("min", 0f).put("max", 1f).build(), gray.type(), gray);
        g.addOutput(bgr);
        g.addOutput(unsqueeze1(g, gray, f32(n, 1, h, w)));
        return g;
    }

    @Test void colourSpaceConversionLosesEveryUnsqueeze() {
        for (int opset : new int[] {11, 13, 17}) {
            for (dev.onnxport.ir.Dim n : java.util.List.of(dev.onnxport.ir.Dim.of(2), dev.onnxport.ir.Dim.sym("N"))) {
                Ort.Check c = Ort.check(() -> ycbcr(opset, n, 5, 6), new GatherToSlice(), Map.of("x", Ort.uniform(rnd, 0, 1, 2, 3, 5, 6)), 0, 0,
                        "Gather", "Unsqueeze", "Squeeze");
                assertEquals(3, c.before().get("Unsqueeze"));
                assertEquals(3, c.after().get("Slice"));
                assertEquals(c.before().get("Mul"), c.after().get("Mul"), "the arithmetic is rebuilt once, not duplicated: " + c.after());
                assertEquals(c.before().get("Add"), c.after().get("Add"));
            }
            Ort.Check c = Ort.check(() -> bgrGray(opset, 2, 4, 7, new java.util.Random(3)), new GatherToSlice(),
                    Map.of("x", Ort.uniform(rnd, 0, 255, 2, 3, 4, 7)), 0, 0, "Gather", "Unsqueeze", "Squeeze");
            assertEquals(4, c.before().get("Unsqueeze"));
            assertEquals(6, c.after().get("Slice"));
        }
    }

    @Test void anUnsqueezeOfAnotherAxisOrOfANonElementwiseOpOrThatWouldDuplicateArithmeticStays() {
        // x[:, 0] + 1 unsqueezed at 2 (a different axis), and softmax(x[:, 0]) unsqueezed at 1: both Unsqueezes stay
        Graph g = Ort.graph(13);
        Value x = g.addInput("x", f32(2, 3, 4));
        Value r = gather(g, x, 0, f32(2, 4));
        Value a = plus(g, r, 1);
        g.addOutput(Ort.node(g, "Unsqueeze", Attrs.EMPTY, f32(2, 4, 1), a, g.addConstant("two", Tensor.ofLongs(new long[] {1}, 2))));
        Value sm = Ort.node(g, "Softmax", Attrs.builder().put("axis", -1L).build(), f32(2, 4), r);
        g.addOutput(unsqueeze1(g, sm, f32(2, 1, 4)));
        // x[:, 1] * 2 unsqueezed at 1 and also a graph output: lifting would compute the Mul twice, so the Unsqueeze stays
        Value m = times(g, gather(g, x, 1, f32(2, 4)), 2);
        g.addOutput(m);
        g.addOutput(unsqueeze1(g, m, f32(2, 1, 4)));
        Graph copy = g;
        Ort.Check c = Ort.check(() -> copy, new GatherToSlice(), Map.of("x", Ort.uniform(rnd, -1, 1, 2, 3, 4)), 0, 0, "Gather");
        assertEquals(3, c.after().get("Unsqueeze"), c.after().toString());
        assertEquals(1, c.after().get("Mul"), "no arithmetic duplicated: " + c.after());
        assertEquals(c.before().get("Add"), c.after().get("Add"));
    }
}
