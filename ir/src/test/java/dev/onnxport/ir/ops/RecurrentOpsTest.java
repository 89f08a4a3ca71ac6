package dev.onnxport.ir.ops;

import dev.onnxport.ir.Attr;
import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RecurrentOpsTest {
    static final OpRegistry REG = OpRegistry.standard();

    static long[] s(long... d) { return d; }

    /** A graph with inputs of the given types (null = omitted) and one node of op with the given outputs. */
    static Node node(String op, int opset, Attrs a, ValueType[] ins, String... outs) {
        Graph g = new Graph("t");
        g.opsets().put("", opset);
        List<Value> vs = new ArrayList<>();
        for (int i = 0; i < ins.length; i++) vs.add(ins[i] == null ? null : g.addInput("in" + i, ins[i]));
        return g.addNodeExact("", op, op, vs, a, opset, List.of(outs));
    }

    static Node constNode(String op, Attrs a, Tensor[] ins, String... outs) {
        Graph g = new Graph("t");
        g.opsets().put("", 14);
        List<Value> vs = new ArrayList<>();
        for (Tensor t : ins) vs.add(t == null ? null : g.addConstant("c", t));
        return g.addNodeExact("", op, op, vs, a, 14, List.of(outs));
    }

    static ValueType f32(long... d) { return ValueType.of(DType.FLOAT32, d); }

    static List<Tensor> eval(Node n) {
        List<Tensor> ins = new ArrayList<>();
        for (Value v : n.inputs()) ins.add(v == null ? null : v.constant());
        return REG.get(n.opType()).eval().eval(n, ins);
    }

    static void close(double[] expected, Tensor t) {
        double[] a = t.toDoubles();
        assertEquals(expected.length, a.length, "element count");
        for (int i = 0; i < a.length; i++) assertEquals(expected[i], a[i], 1e-6, "element " + i + " of " + Arrays.toString(a));
    }

    // ------------------------------------------------------------------------------------------------ shapes

    @Test
    void lstmShapesTimeMajorKeepSymbolicBatch() {
        ValueType x = new ValueType(DType.FLOAT32, Shape.of(List.of(Dim.of(5), Dim.sym("N"), Dim.of(3))));
        Node n = node("LSTM", 14, Attrs.builder().put("hidden_size", 4L).put("direction", "bidirectional").build(),
                new ValueType[] {x, f32(2, 16, 3), f32(2, 16, 4)}, "Y", "Y_h", "Y_c");
        List<ValueType> t = REG.infer(n);
        assertEquals("[5, 2, N, 4]", t.get(0).shape().toString());
        assertEquals("[2, N, 4]", t.get(1).shape().toString());
        assertEquals("[2, N, 4]", t.get(2).shape().toString());
        assertEquals(DType.FLOAT32, t.get(0).dtype());
    }

    @Test
    void batchwiseLayoutShapes() {
        Node n = node("GRU", 14, Attrs.builder().put("hidden_size", 6L).put("layout", 1L).build(),
                new ValueType[] {f32(3, 7, 2), f32(1, 18, 2), f32(1, 18, 6)}, "Y", "Y_h");
        List<ValueType> t = REG.infer(n);
        assertArrayEquals(s(3, 7, 1, 6), t.get(0).shape().toArray());
        assertArrayEquals(s(3, 1, 6), t.get(1).shape().toArray());
    }

    @Test
    void hiddenSizeFromRWhenAttributeAbsent() {
        Node n = node("RNN", 7, Attrs.EMPTY, new ValueType[] {f32(2, 1, 3), f32(1, 5, 3), f32(1, 5, 5)}, "Y", "Y_h");
        List<ValueType> t = REG.infer(n);
        assertArrayEquals(s(2, 1, 1, 5), t.get(0).shape().toArray());
        assertArrayEquals(s(1, 1, 5), t.get(1).shape().toArray());
    }

    @Test
    void onlyDeclaredOutputsAreTyped() {
        Node n = node("LSTM", 7, Attrs.builder().put("hidden_size", 3L).build(), new ValueType[] {f32(1, 2, 2), f32(1, 12, 2), f32(1, 12, 3)}, "", "Y_h");
        List<ValueType> t = REG.infer(n);
        assertEquals(2, t.size());
        assertArrayEquals(s(1, 2, 3), t.get(1).shape().toArray());
    }

    @Test
    void rejectsWrongRankAndActivationCount() {
        Node bad = node("RNN", 14, Attrs.builder().put("hidden_size", 3L).build(), new ValueType[] {f32(2, 3), f32(1, 3, 3), f32(1, 3, 3)}, "Y");
        assertThrows(RuntimeException.class, () -> REG.infer(bad));
        Node acts = node("LSTM", 14, Attrs.builder().put("hidden_size", 3L).put("activations", new Attr.Strs(List.of("Sigmoid", "Tanh"))).build(),
                new ValueType[] {f32(1, 2, 2), f32(1, 12, 2), f32(1, 12, 3)}, "Y");
        assertThrows(RuntimeException.class, () -> REG.infer(acts));
    }

    // ------------------------------------------------------------------------------------------------ attributes

    @Test
    void activationParametersAreConsumedByTheFunctionsThatTakeThem() {
        Node n = node("LSTM", 14, Attrs.builder().put("hidden_size", 1L).put("direction", "bidirectional")
                .put("activations", new Attr.Strs(List.of("HardSigmoid", "Tanh", "Affine", "Sigmoid", "LeakyRelu", "Elu")))
                .put("activation_alpha", new float[] {0.1f, 0.2f, 0.3f}).put("activation_beta", new float[] {0.4f}).build(),
                new ValueType[] {f32(1, 1, 1)}, "Y");
        RecurrentSpec sp = RecurrentSpec.of(n);
        assertEquals(new RecurrentSpec.Act("hardsigmoid", 0.1f, 0.4f), sp.act(0, 0));
        assertEquals(new RecurrentSpec.Act("tanh", 0f, 0f), sp.act(0, 1));
        assertEquals(new RecurrentSpec.Act("affine", 0.2f, 0f), sp.act(0, 2)); // betas used up
        assertEquals(new RecurrentSpec.Act("leakyrelu", 0.3f, 0f), sp.act(1, 1));
        assertEquals(new RecurrentSpec.Act("elu", 1.0f, 0f), sp.act(1, 2)); // alphas used up: default
        assertEquals(true, sp.backward(1));
        assertEquals(false, sp.backward(0));
    }

    @Test
    void defaultActivationsAreDuplicatedForBidirectional() {
        Node n = node("GRU", 14, Attrs.builder().put("hidden_size", 1L).put("direction", "bidirectional").build(), new ValueType[] {f32(1, 1, 1)}, "Y");
        RecurrentSpec sp = RecurrentSpec.of(n);
        assertEquals(4, sp.activations().size());
        assertEquals("sigmoid", sp.act(1, 0).name());
        assertEquals("tanh", sp.act(1, 1).name());
        Node r = node("RNN", 14, Attrs.builder().put("hidden_size", 1L).put("activations", new Attr.Strs(List.of("Tanh", "Tanh"))).build(),
                new ValueType[] {f32(1, 1, 1)}, "Y");
        assertEquals(1, RecurrentSpec.of(r).activations().size());
    }

    @Test
    void activationFunctionsMatchTheirDefinitions() {
        assertEquals(0.5 * 2 + 0.25, new RecurrentSpec.Act("affine", 0.5f, 0.25f).apply(2), 1e-9);
        assertEquals(-0.02, new RecurrentSpec.Act("leakyrelu", 0.01f, 0).apply(-2), 1e-9);
        assertEquals(0, new RecurrentSpec.Act("thresholdedrelu", 1f, 0).apply(0.5), 1e-9);
        assertEquals(1.5, new RecurrentSpec.Act("thresholdedrelu", 1f, 0).apply(1.5), 1e-9);
        assertEquals(2 * Math.tanh(0.5), new RecurrentSpec.Act("scaledtanh", 2f, 0.25f).apply(2), 1e-9);
        assertEquals(1, new RecurrentSpec.Act("hardsigmoid", 0.2f, 0.5f).apply(5), 1e-9);
        assertEquals(0.7, new RecurrentSpec.Act("hardsigmoid", 0.2f, 0.5f).apply(1), 1e-6);
        assertEquals(Math.exp(-1) - 1, new RecurrentSpec.Act("elu", 1f, 0).apply(-1), 1e-9);
        assertEquals(-0.5, new RecurrentSpec.Act("softsign", 0, 0).apply(-1), 1e-9);
        assertEquals(Math.log(1 + Math.E), new RecurrentSpec.Act("softplus", 0, 0).apply(1), 1e-9);
        assertEquals(100, new RecurrentSpec.Act("softplus", 0, 0).apply(100), 1e-9);
    }

    // ------------------------------------------------------------------------------------------------ evaluation

    @Test
    void rnnTwoSteps() {
        // h1 = tanh(0.5*1 + 0.1 + 0.2), h2 = tanh(0.5*2 + 1*h1 + 0.3)
        Node n = constNode("RNN", Attrs.builder().put("hidden_size", 1L).build(), new Tensor[] {
                Tensor.ofFloats(s(2, 1, 1), 1, 2), Tensor.ofFloats(s(1, 1, 1), 0.5f), Tensor.ofFloats(s(1, 1, 1), 1f),
                Tensor.ofFloats(s(1, 2), 0.1f, 0.2f)}, "Y", "Y_h");
        List<Tensor> r = eval(n);
        close(new double[] {0.6640367702678491, 0.9613966699063261}, r.get(0));
        assertArrayEquals(s(2, 1, 1, 1), r.get(0).shape());
        close(new double[] {0.9613966699063261}, r.get(1));
    }

    @Test
    void rnnReverseWithSequenceLengths() {
        // batch 0 runs t = 2, 1, 0; batch 1 has length 1: only t = 0, Y is 0 past its end
        Node n = constNode("RNN", Attrs.builder().put("hidden_size", 1L).put("direction", "reverse").build(), new Tensor[] {
                Tensor.ofFloats(s(3, 2, 1), 1, -1, 2, 5, 3, 7), Tensor.ofFloats(s(1, 1, 1), 1f), Tensor.ofFloats(s(1, 1, 1), 0.5f), null,
                Tensor.ofInts(s(2), 3, 1)}, "Y", "Y_h");
        List<Tensor> r = eval(n);
        close(new double[] {0.9039254296374339, -0.7615941559557649, 0.986548384933308, 0, 0.9950547536867305, 0}, r.get(0));
        close(new double[] {0.9039254296374339, -0.7615941559557649}, r.get(1));
    }

    @Test
    void lstmOneStepWithInitialCellAndPeepholes() {
        // W (iofc) = 1, 2, 3, 4; R = 0; X = 0.5; C0 = 0.5; P (iof) = 0, 0.25, 0
        // i = s(0.5), f = s(1.5), c~ = tanh(2), C = f*0.5 + i*c~, o = s(1 + 0.25*C), H = o*tanh(C)
        Node n = constNode("LSTM", Attrs.builder().put("hidden_size", 1L).build(), new Tensor[] {
                Tensor.ofFloats(s(1, 1, 1), 0.5f), Tensor.ofFloats(s(1, 4, 1), 1, 2, 3, 4), Tensor.ofFloats(s(1, 4, 1), 0, 0, 0, 0),
                null, null, null, Tensor.ofFloats(s(1, 1, 1), 0.5f), Tensor.ofFloats(s(1, 3), 0, 0.25f, 0)}, "Y", "Y_h", "Y_c");
        List<Tensor> r = eval(n);
        close(new double[] {0.5951514304498903}, r.get(1));
        close(new double[] {1.0088552008509573}, r.get(2));
    }

    @Test
    void gruLinearBeforeResetChangesWhereTheRecurrentBiasGoes() {
        // W (zrh) = 0.2, 0.3, 0.1; R = 0.1, 0.1, 0.5; Rbh = 2; X = 1; H0 = 1
        // z = s(0.3), r = s(0.4); lbr=0: h~ = tanh(0.1 + 0.5*r + 2); lbr=1: h~ = tanh(0.1 + r*(0.5 + 2)); H = (1-z)h~ + z
        Tensor[] ins = {Tensor.ofFloats(s(1, 1, 1), 1f), Tensor.ofFloats(s(1, 3, 1), 0.2f, 0.3f, 0.1f), Tensor.ofFloats(s(1, 3, 1), 0.1f, 0.1f, 0.5f),
                Tensor.ofFloats(s(1, 6), 0, 0, 0, 0, 0, 2), null, Tensor.ofFloats(s(1, 1, 1), 1f)};
        List<Tensor> a = eval(constNode("GRU", Attrs.builder().put("hidden_size", 1L).build(), ins, "Y", "Y_h"));
        List<Tensor> b = eval(constNode("GRU", Attrs.builder().put("hidden_size", 1L).put("linear_before_reset", 1L).build(), ins, "Y", "Y_h"));
        close(new double[] {0.9930436649068812}, a.get(1));
        close(new double[] {0.9664546660624745}, b.get(1));
    }

    @Test
    void batchwiseEvaluationMatchesTimeMajor() {
        // X [batch=2, seq=2, 1] holds the same sequences as the time-major X [2, 2, 1] transposed
        Tensor w = Tensor.ofFloats(s(1, 1, 1), 0.7f), rr = Tensor.ofFloats(s(1, 1, 1), -0.4f);
        List<Tensor> tm = eval(constNode("RNN", Attrs.builder().put("hidden_size", 1L).build(),
                new Tensor[] {Tensor.ofFloats(s(2, 2, 1), 1, 3, 2, 4), w, rr}, "Y", "Y_h"));
        List<Tensor> bw = eval(constNode("RNN", Attrs.builder().put("hidden_size", 1L).put("layout", 1L).build(),
                new Tensor[] {Tensor.ofFloats(s(2, 2, 1), 1, 2, 3, 4), w, rr}, "Y", "Y_h"));
        double[] y = tm.get(0).toDoubles(); // [t][d][b]
        close(new double[] {y[0], y[2], y[1], y[3]}, bw.get(0)); // [b][t][d]
        assertArrayEquals(s(2, 2, 1, 1), bw.get(0).shape());
        close(tm.get(1).toDoubles(), bw.get(1));
        assertArrayEquals(s(2, 1, 1), bw.get(1).shape());
    }

    // ------------------------------------------------------------------------------------------------ If

    @Test
    void ifTypesFollowTheConstantConditionOrMergeBranches() {
        Graph g = new Graph("main");
        g.opsets().put("", 14);
        Graph thenG = new Graph("then");
        thenG.addOutput(thenG.addConstant("a", Tensor.ofFloats(s(2, 3), new float[6])));
        Graph elseG = new Graph("else");
        elseG.addOutput(elseG.addConstant("b", Tensor.ofFloats(s(2, 5), new float[10])));
        Attrs a = Attrs.builder().put("then_branch", new Attr.GraphAttr(thenG)).put("else_branch", new Attr.GraphAttr(elseG)).build();
        Node constIf = g.addNodeExact("", "If", "if0", List.of(g.addConstant("c", Tensor.fromLongs(DType.BOOL, s(), new long[] {0}))), a, 14, List.of("o"));
        assertArrayEquals(s(2, 5), REG.infer(constIf).get(0).shape().toArray());
        Node dynIf = g.addNodeExact("", "If", "if1", List.of(g.addInput("cond", ValueType.of(DType.BOOL))), a, 14, List.of("p"));
        ValueType t = REG.infer(dynIf).get(0);
        assertEquals(DType.FLOAT32, t.dtype());
        assertEquals(2, t.shape().size(0));
        assertEquals(false, t.shape().dim(1).isKnown());
    }
}
