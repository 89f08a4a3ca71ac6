package dev.onnxport.passes.portable;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.onnxport.passes.portable.Ort.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * dynamic-batch: a small CNN exported at batch 1 (Reshape [1, -1], [1, 2, 5], [0, 4, -1]) runs at batch 1, 3 and 7
 * after the pass, each item's outputs equal to running the original model on that item alone.
 */
class DynamicBatchTest {
    final Random rnd = new Random(17);

    Graph cnn(long h, long w) {
        Graph g = Ort.graph(13);
        Value x = g.addInput("x", f32(1, 3, h, w));
        Value wc = g.addConstant("wc", Ort.uniform(rnd, -0.5, 0.5, 4, 3, 3, 3));
        Value bc = g.addConstant("bc", Ort.uniform(rnd, -0.5, 0.5, 4));
        Value conv = Ort.node(g, "Conv", Attrs.builder().put("pads", new long[] {1, 1, 1, 1}).build(), f32(1, 4, h, w), x, wc, bc);
        Value relu = Ort.node(g, "Relu", Attrs.EMPTY, f32(1, 4, h, w), conv);
        long flat = 4 * h * w;
        Value r1 = Ort.node(g, "Reshape", Attrs.EMPTY, f32(1, flat), relu, g.addConstant("t1", Tensor.ofLongs(new long[] {2}, 1, -1)));
        Value mm = Ort.node(g, "MatMul", Attrs.EMPTY, f32(1, 10), r1, g.addConstant("wm", Ort.uniform(rnd, -0.1, 0.1, flat, 10)));
        Value r2 = Ort.node(g, "Reshape", Attrs.EMPTY, f32(1, 2, 5), mm, g.addConstant("t2", Tensor.ofLongs(new long[] {3}, 1, 2, 5)));
        g.addOutput(Ort.node(g, "Softmax", Attrs.builder().put("axis", -1L).build(), f32(1, 2, 5), r2));
        Value r3 = Ort.node(g, "Reshape", Attrs.EMPTY, f32(1, 4, h * w), relu, g.addConstant("t3", Tensor.ofLongs(new long[] {3}, 0, 4, -1)));
        g.addOutput(Ort.node(g, "ReduceMax", Attrs.builder().put("axes", new long[] {2}).put("keepdims", 0L).build(), f32(1, 4), r3));
        return g;
    }

    static Tensor item(Tensor t, int i) {
        long[] s = t.shape();
        int per = (int) (t.numel() / s[0]);
        s[0] = 1;
        return Tensor.ofFloats(s, Arrays.copyOfRange(t.toFloats(), i * per, (i + 1) * per));
    }

    @Test void runsAtBatch1And3And7() {
        for (long[] hw : new long[][] {{8, 8}, {5, 7}, {4, 12}}) {
            Graph g = cnn(hw[0], hw[1]);
            byte[] original = Ort.model(g);
            Map<String, Integer> before = g.opHistogram();
            assertTrue(new DynamicBatch().run(g, Ort.ctx()));
            assertEquals(2, Ort.count(g, "Shape"), g.dump()); // one per reshaped value (relu feeds two)
            assertFalse(g.inputs().get(0).shape().dim(0).isKnown());
            for (dev.onnxport.ir.Node n : g.nodes()) if (n.opType().equals("Reshape")) assertFalse(n.input(1).isConstant());
            byte[] dynamic = Ort.model(g);
            for (int b : new int[] {1, 3, 7}) {
                Tensor x = Ort.uniform(rnd, -1, 1, b, 3, hw[0], hw[1]);
                Map<String, Tensor> out = Ort.run(dynamic, Map.of("x", x));
                for (int i = 0; i < b; i++) {
                    Map<String, Tensor> ref = Ort.run(original, Map.of("x", item(x, i)));
                    Map<String, Tensor> got = new java.util.LinkedHashMap<>();
                    for (Map.Entry<String, Tensor> e : out.entrySet()) got.put(e.getKey(), item(e.getValue(), i));
                    Ort.maxError(ref, got, 1e-5, 0);
                }
            }
            assertEquals(before.get("Reshape"), g.opHistogram().get("Reshape"));
        }
    }

    @Test void reshapeFoldingTheBatchIsLeft() {
        Graph g = Ort.graph(13);
        Value x = g.addInput("x", f32(1, 3, 4));
        g.addOutput(Ort.node(g, "Reshape", Attrs.EMPTY, f32(3, 4), x, g.addConstant("t", Tensor.ofLongs(new long[] {2}, 3, 4))));
        var ctx = Ort.ctx();
        assertTrue(new DynamicBatch().run(g, ctx)); // the input still becomes dynamic
        assertTrue(ctx.log().toString().contains("not the batch"), ctx.log().toString());
        assertTrue(g.nodes().get(0).input(1).isConstant());
    }

    @Test void unchangedWhenAlreadyDynamic() {
        Graph g = Ort.graph(13);
        Value x = g.addInput("x", new ValueType(DType.FLOAT32, Shape.of(List.of(Dim.sym("N"), Dim.of(3)))));
        Value s = Ort.node(g, "Shape", Attrs.EMPTY, ValueType.of(DType.INT64, 2), x);
        g.addOutput(Ort.node(g, "Reshape", Attrs.EMPTY, null, x, s));
        Ort.assertUnchanged(g, new DynamicBatch());
    }

    /**
     * A keypoint head exported at batch 1: conv layers give heatmaps [1,K,H,W]; Reshape to [1,K,H*W] (the 1 baked in,
     * as exporters write it); Softmax over the pixels; (a) ArgMax -> x = idx mod W, y = idx div W -> Concat [1,K,2] ->
     * Reshape [1,2K] -> Cast, times the stride -> Reshape [1,K,2] ("keypoints"); (b) soft-argmax: probabilities times
     * constant coordinate grids [1,1,H*W] summed over the pixels, stacked to [1,K,2] ("soft"); (c) the peak
     * probability Reshaped to [1,K] ("scores"); and the heatmaps themselves.
     */
    static Graph keypointHead(Random rnd, int opset, long k, long h, long w) {
        Graph g = Ort.graph(opset);
        long hw = h * w;
        Value x = g.addInput("image", f32(1, 3, h, w));
        Value c1 = Ort.node(g, "Conv", Attrs.builder().put("pads", new long[] {1, 1, 1, 1}).build(), f32(1, 8, h, w), x,
                g.addConstant("w1", Ort.uniform(rnd, -0.5, 0.5, 8, 3, 3, 3)), g.addConstant("b1", Ort.uniform(rnd, -0.1, 0.1, 8)));
        Value r1 = Ort.node(g, "Relu", Attrs.EMPTY, f32(1, 8, h, w), c1);
        Value heat = Ort.node(g, "Conv", Attrs.EMPTY, f32(1, k, h, w), r1,
                g.addConstant("w2", Ort.uniform(rnd, -1, 1, k, 8, 1, 1)), g.addConstant("b2", Ort.uniform(rnd, -0.1, 0.1, k)));
        Value flat = Ort.node(g, "Reshape", Attrs.EMPTY, f32(1, k, hw), heat, g.addConstant("t_flat", Tensor.ofLongs(new long[] {3}, 1, k, hw)));
        Value prob = Ort.node(g, "Softmax", Attrs.builder().put("axis", 2L).build(), f32(1, k, hw), flat);
        // (a) hard argmax
        Value idx = Ort.node(g, "ArgMax", Attrs.builder().put("axis", 2L).put("keepdims", 1L).build(), ValueType.of(DType.INT64, 1, k, 1), prob);
        Value wc = g.addConstant("w_int", Tensor.scalarLong(w));
        Value xs = Ort.node(g, "Mod", Attrs.EMPTY, ValueType.of(DType.INT64, 1, k, 1), idx, wc);
        Value ys = Ort.node(g, "Div", Attrs.EMPTY, ValueType.of(DType.INT64, 1, k, 1), idx, wc);
        Value xy = Ort.node(g, "Concat", Attrs.builder().put("axis", 2L).build(), ValueType.of(DType.INT64, 1, k, 2), xs, ys);
        Value xy2 = Ort.node(g, "Reshape", Attrs.EMPTY, ValueType.of(DType.INT64, 1, 2 * k), xy, g.addConstant("t_2k", Tensor.ofLongs(new long[] {2}, 1, 2 * k)));
        Value xyf = Ort.node(g, "Cast", Attrs.builder().put("to", (long) DType.FLOAT32.onnxCode()).build(), f32(1, 2 * k), xy2);
        Value px = Ort.node(g, "Mul", Attrs.EMPTY, f32(1, 2 * k), xyf, g.addConstant("stride", Tensor.scalarFloat(4f)));
        g.addOutput(Ort.node(g, "Reshape", Attrs.EMPTY, f32(1, k, 2), px, g.addConstant("t_k2", Tensor.ofLongs(new long[] {3}, 1, k, 2))));
        // (b) soft-argmax with constant grids [1, 1, H*W]
        float[] gx = new float[(int) hw], gy = new float[(int) hw];
        for (int i = 0; i < hw; i++) { gx[i] = i % w; gy[i] = i / w; }
        Value[] coord = new Value[2];
        for (int c = 0; c < 2; c++) {
            Value grid = g.addConstant(c == 0 ? "grid_x" : "grid_y", Tensor.ofFloats(new long[] {1, 1, hw}, c == 0 ? gx : gy));
            Value m = Ort.node(g, "Mul", Attrs.EMPTY, f32(1, k, hw), prob, grid);
            Value sum = opset >= 13
                    ? Ort.node(g, "ReduceSum", Attrs.builder().put("keepdims", 0L).build(), f32(1, k), m, g.addConstant("ax2", Tensor.ofLongs(new long[] {1}, 2)))
                    : Ort.node(g, "ReduceSum", Attrs.builder().put("keepdims", 0L).put("axes", new long[] {2}).build(), f32(1, k), m);
            coord[c] = opset >= 13
                    ? Ort.node(g, "Unsqueeze", Attrs.EMPTY, f32(1, k, 1), sum, g.addConstant("ax2b", Tensor.ofLongs(new long[] {1}, 2)))
                    : Ort.node(g, "Unsqueeze", Attrs.builder().put("axes", new long[] {2}).build(), f32(1, k, 1), sum);
        }
        g.addOutput(Ort.node(g, "Concat", Attrs.builder().put("axis", 2L).build(), f32(1, k, 2), coord[0], coord[1]));
        // (c) peak probability
        Value peak = opset >= 18
                ? Ort.node(g, "ReduceMax", Attrs.builder().put("keepdims", 1L).build(), f32(1, k, 1), prob, g.addConstant("ax2c", Tensor.ofLongs(new long[] {1}, 2)))
                : Ort.node(g, "ReduceMax", Attrs.builder().put("keepdims", 1L).put("axes", new long[] {2}).build(), f32(1, k, 1), prob);
        g.addOutput(Ort.node(g, "Reshape", Attrs.EMPTY, f32(1, k), peak, g.addConstant("t_k", Tensor.ofLongs(new long[] {2}, 1, k))));
        g.addOutput(heat);
        return g;
    }

    @Test void keypointHeadRunsAtBatch1And3And7() {
        for (int opset : new int[] {11, 13, 18}) {
            Graph g = keypointHead(new Random(opset), opset, 5, 16, 12);
            byte[] original = Ort.model(g);
            var ctx = Ort.ctx();
            assertTrue(new DynamicBatch().run(g, ctx));
            for (dev.onnxport.ir.Node n : g.nodes())
                if (n.opType().equals("Reshape")) assertFalse(n.input(1).isConstant(), n.describe() + " keeps a baked batch\n" + ctx.log());
            assertFalse(g.inputs().get(0).shape().dim(0).isKnown());
            byte[] dynamic = Ort.model(g);
            for (int b : new int[] {1, 3, 7}) {
                Tensor x = Ort.uniform(rnd, -1, 1, b, 3, 16, 12);
                Map<String, Tensor> out = Ort.run(dynamic, Map.of("image", x));
                for (Tensor t : out.values()) assertEquals(b, t.shape()[0]);
                for (int i = 0; i < b; i++) {
                    Map<String, Tensor> ref = Ort.run(original, Map.of("image", item(x, i)));
                    Map<String, Tensor> got = new java.util.LinkedHashMap<>();
                    for (Map.Entry<String, Tensor> e : out.entrySet()) got.put(e.getKey(), item(e.getValue(), i));
                    Ort.maxError(ref, got, 1e-5, 1e-5);
                }
            }
        }
    }
}
