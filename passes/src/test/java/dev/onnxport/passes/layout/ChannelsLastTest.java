package dev.onnxport.passes.layout;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Layout;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.ir.ops.OpRegistry;
import dev.onnxport.passes.PassContext;
import dev.onnxport.passes.PassManager;
import dev.onnxport.passes.PassOptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChannelsLastTest {
    /** A registry with just enough shape functions for these graphs (1x1 "same" convs keep H and W). */
    static OpRegistry registry() {
        OpRegistry r = new OpRegistry();
        r.register("Relu", n -> List.of(n.input(0).type()), null);
        r.register("Add", n -> List.of(n.input(0).type()), null);
        r.register("Conv", n -> {
            Shape x = n.input(0).shape();
            long co = n.input(1).constant().shape()[0];
            Shape s = Layout.isNhwc(n) ? Shape.of(x.size(0), x.size(1), x.size(2), co) : Shape.of(x.size(0), co, x.size(2), x.size(3));
            return List.of(new ValueType(DType.FLOAT32, s));
        }, null);
        r.register("Transpose", n -> {
            long[] p = n.attrs().getInts("perm");
            int[] pi = new int[p.length];
            for (int i = 0; i < p.length; i++) pi[i] = (int) p[i];
            return List.of(new ValueType(n.input(0).dtype(), n.input(0).shape().permute(pi)));
        }, null);
        r.register("Reshape", n -> List.of(new ValueType(n.input(0).dtype(), Shape.of(n.input(1).constant().toLongs()))), null);
        return r;
    }

    /** x[1,3,8,8] -> Conv -> Relu -> Add(bias[1,4,1,1]) -> Conv -> y */
    static Graph cnn() {
        Graph g = new Graph("cnn");
        g.opsets().put("", 17);
        Value x = g.addInput("x", ValueType.of(DType.FLOAT32, 1, 3, 8, 8));
        Value w1 = g.addConstant("w1", Tensor.ofFloats(new long[] {4, 3, 1, 1}, new float[12]));
        Value w2 = g.addConstant("w2", Tensor.ofFloats(new long[] {2, 4, 1, 1}, new float[8]));
        Value b = g.addConstant("b", Tensor.ofFloats(new long[] {1, 4, 1, 1}, 1, 2, 3, 4));
        Node c1 = g.addNodeExact("", "Conv", "c1", List.of(x, w1), Attrs.EMPTY, 17, List.of("h1"));
        Node r = g.addNodeExact("", "Relu", "r", List.of(c1.output()), Attrs.EMPTY, 17, List.of("h2"));
        Node a = g.addNodeExact("", "Add", "a", List.of(r.output(), b), Attrs.EMPTY, 17, List.of("h3"));
        Node c2 = g.addNodeExact("", "Conv", "c2", List.of(a.output(), w2), Attrs.EMPTY, 17, List.of("y"));
        g.addOutput(c2.output());
        return g;
    }

    static long transposes(Graph g) { return g.nodes().stream().filter(n -> n.opType().equals("Transpose")).count(); }

    static void run(Graph g, String io) {
        PassContext ctx = new PassContext(registry(), new PassOptions(io));
        new PassManager(LayoutPasses.forTflite(ctx.options()), 1).run(g, ctx);
    }

    @Test
    void plainCnnWithNhwcIoHasNoTranspose() {
        Graph g = cnn();
        run(g, "nhwc");
        assertEquals(0, transposes(g), g.dump());
        assertEquals(Shape.of(1, 8, 8, 3), g.inputs().get(0).shape());
        assertEquals("x", g.inputs().get(0).name());
        assertEquals("y", g.outputs().get(0).name());
        assertEquals(Shape.of(1, 8, 8, 2), g.outputs().get(0).shape());
        assertArrayEquals(new int[] {0, 2, 3, 1}, g.outputs().get(0).provenance().perm());
        // the bias constant was permuted to channels-last
        Node add = g.nodes().stream().filter(n -> n.opType().equals("Add")).findFirst().orElseThrow();
        assertArrayEquals(new long[] {1, 1, 1, 4}, add.input(1).constant().shape());
        assertArrayEquals(new float[] {1, 2, 3, 4}, add.input(1).constant().toFloats());
    }

    @Test
    void nchwIoKeepsOnlyTheBoundaryTransposes() {
        Graph g = cnn();
        run(g, "nchw");
        assertEquals(2, transposes(g), g.dump());
        assertEquals(Shape.of(1, 3, 8, 8), g.inputs().get(0).shape());
        assertEquals(Shape.of(1, 2, 8, 8), g.outputs().get(0).shape());
        assertTrue(g.outputs().get(0).producer().opType().equals("Transpose"));
        assertEquals("y", g.outputs().get(0).name());
    }

    @Test
    void nonImageInputsAreNeverTransposed() {
        Graph g = new Graph("seq");
        g.opsets().put("", 17);
        Value x = g.addInput("tokens", ValueType.of(DType.FLOAT32, 1, 16, 32, 8));
        Node r = g.addNodeExact("", "Relu", "r", List.of(x), Attrs.EMPTY, 17, List.of("y"));
        g.addOutput(r.output());
        run(g, "nhwc");
        assertEquals(Shape.of(1, 16, 32, 8), g.inputs().get(0).shape());
        assertEquals(0, transposes(g));
        assertFalse(g.nodes().isEmpty());
    }

    @Test
    void constantPermutationMatchesBroadcasting() {
        Tensor k = Tensor.ofFloats(new long[] {2, 3}, 0, 1, 2, 3, 4, 5); // broadcast as [1,1,2,3] against rank 4
        Tensor p = TransposeOptimizer.permuteConst(k, 4, new int[] {0, 3, 1, 2});
        assertArrayEquals(new long[] {1, 3, 1, 2}, p.shape());
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, p.toFloats());
    }
}
