package dev.onnxport.cli;

import dev.onnxport.backends.runtime.OrtRunner;
import dev.onnxport.frontends.onnx.OnnxFrontend;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.onnxport.cli.CliRun.run;
import static dev.onnxport.cli.TestModels.attrs;
import static dev.onnxport.cli.TestModels.f32;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MergeTest {
    /** A: x -> relu_node: Relu -> y;  x -> neg_node: Neg -> z.  Outputs y, z. */
    static Path a(Path dir, int opset) throws Exception {
        return new TestModels("a", opset).input("x", DType.FLOAT32, 2, 3)
                .node("relu_node", "Relu", null, "y", f32(2, 3), "x")
                .node("neg_node", "Neg", null, "z", f32(2, 3), "x")
                .output("y", "z").write(dir.resolve("a.onnx"));
    }

    /** B: relu_node: Add(y, w) -> z;  mul_node: Mul(z, k=2) -> out.  Outputs z, out. Node relu_node and value z collide with A's. */
    static Path b(Path dir, int opset) throws Exception {
        return new TestModels("b", opset).input("y", DType.FLOAT32, 2, 3).input("w", DType.FLOAT32, 2, 3)
                .constant("k", Tensor.scalarFloat(2f))
                .node("relu_node", "Add", null, "z", f32(2, 3), "y", "w")
                .node("mul_node", "Mul", null, "out", f32(2, 3), "z", "k")
                .output("z", "out").write(dir.resolve("b.onnx"));
    }

    static final float[] X = TestModels.random(new Random(5), 6, -2, 2), W = TestModels.random(new Random(6), 6, -2, 2);

    static List<String> nodeNames(Graph g) { return g.nodes().stream().map(Node::name).toList(); }

    static List<String> names(List<Value> vs) { return vs.stream().map(Value::name).toList(); }

    @Test
    void keepsNamesPrefixesCollisionsAndComputesTheSame(@TempDir Path dir) throws Exception {
        Path m = dir.resolve("m.onnx");
        CliRun.Result r = run("merge", a(dir, 13).toString(), b(dir, 13).toString(), "--connect", "y:y", "-o", m.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("z->b_z") && r.err().contains("prefixed"), r.err());
        Graph g = OnnxFrontend.load(m).graph();
        assertEquals(List.of("x", "w"), names(g.inputs()), "A's inputs, then B's unconnected one");
        assertEquals(List.of("z", "b_z", "out"), names(g.outputs()), "A's unconnected output, then B's");
        assertEquals(List.of("relu_node", "neg_node", "b_relu_node", "mul_node"), nodeNames(g));
        assertEquals(List.of("k"), names(g.constants()));
        assertEquals(13, g.opset());
        try (OrtRunner ort = new OrtRunner(Files.readAllBytes(m))) {
            Map<String, Tensor> y = ort.run(Map.of("x", Tensor.ofFloats(new long[] {2, 3}, X), "w", Tensor.ofFloats(new long[] {2, 3}, W)));
            float[] z = y.get("z").toFloats(), bz = y.get("b_z").toFloats(), out = y.get("out").toFloats();
            for (int i = 0; i < 6; i++) {
                assertEquals(-X[i], z[i]);
                assertEquals(Math.max(X[i], 0f) + W[i], bz[i]);
                assertEquals(2 * (Math.max(X[i], 0f) + W[i]), out[i]);
            }
        }
    }

    @Test
    void prefixRenamesAllOfBAndOpsetIsTheHigher(@TempDir Path dir) throws Exception {
        Path m = dir.resolve("p.onnx");
        CliRun.Result r = run("merge", a(dir, 11).toString(), b(dir, 14).toString(), "--connect", "y:y", "--prefix=p_", "-q", "-o", m.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals("", r.out() + r.err());
        Graph g = OnnxFrontend.load(m).graph();
        assertEquals(List.of("x", "p_w"), names(g.inputs()));
        assertEquals(List.of("z", "p_z", "p_out"), names(g.outputs()));
        assertEquals(List.of("relu_node", "neg_node", "p_relu_node", "p_mul_node"), nodeNames(g));
        assertEquals(List.of("p_k"), names(g.constants()));
        assertEquals(14, g.opset(), "Relu-6 and Neg-6 read the same at opset 14 (Relu-13/14 and Neg-13 only gained types)");
        try (OrtRunner ort = new OrtRunner(Files.readAllBytes(m))) {
            float[] out = ort.run(Map.of("x", Tensor.ofFloats(new long[] {2, 3}, X), "p_w", Tensor.ofFloats(new long[] {2, 3}, W)))
                    .get("p_out").toFloats();
            for (int i = 0; i < 6; i++) assertEquals(2 * (Math.max(X[i], 0f) + W[i]), out[i]);
        }
        // a bare --prefix means b_
        Path m2 = dir.resolve("p2.onnx");
        assertEquals(0, run("merge", a(dir, 13).toString(), b(dir, 13).toString(), "--prefix", "--connect", "y:y", "-q", "-o", m2.toString()).code());
        assertEquals(List.of("z", "b_z", "b_out"), names(OnnxFrontend.load(m2).graph().outputs()));
    }

    @Test
    void anOpThatChangedBetweenTheOpsetsIsAnErrorByNodeName(@TempDir Path dir) throws Exception {
        // Squeeze-11 takes axes as an attribute; at opset 13 they are an input: the node cannot move up
        Path a = new TestModels("sq", 11).input("x", DType.FLOAT32, 2, 1, 3)
                .node("squeeze_1", "Squeeze", attrs("axes", new long[] {1}), "y", f32(2, 3), "x").output("y").write(dir.resolve("sq.onnx"));
        Path m = dir.resolve("bad.onnx");
        CliRun.Result r = run("merge", a.toString(), b(dir, 13).toString(), "--connect", "y:y", "-o", m.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("node 'squeeze_1' (Squeeze-11 at opset 11)") && r.err().contains("--opset 11"), r.err());
        assertFalse(Files.exists(m));
    }

    @Test
    void badConnectionsAreUsageErrors(@TempDir Path dir) throws Exception {
        Path a = a(dir, 13), b = b(dir, 13), m = dir.resolve("x.onnx");
        Path ints = new TestModels("i", 13).input("y", DType.INT32, 2, 3).node("id", "Identity", null, "o", dev.onnxport.ir.ValueType.of(DType.INT32, 2, 3), "y")
                .output("o").write(dir.resolve("ints.onnx"));
        Path wide = new TestModels("w", 13).input("y", DType.FLOAT32, 2, 4).node("id", "Identity", null, "o", f32(2, 4), "y")
                .output("o").write(dir.resolve("wide.onnx"));
        Object[][] cases = {
                {b, "nope:y", "has no output 'nope' (outputs: y, z)"},
                {b, "y:nope", "has no input 'nope' (inputs: y, w)"},
                {b, "y:y,z:y", "input 'y' is fed twice"},
                {b, "y-y", "is not A_OUT:B_IN"},
                {ints, "y:y", "element types differ"},
                {wide, "y:y", "shapes differ at dim 1"},
        };
        for (Object[] c : cases) {
            CliRun.Result r = run("merge", a.toString(), c[0].toString(), "--connect", (String) c[1], "-o", m.toString());
            assertEquals(2, r.code(), c[1] + "\n" + r);
            assertTrue(r.err().contains((String) c[2]), r.err());
        }
        assertEquals(2, run("merge", a.toString(), dir.resolve("missing.onnx").toString(), "-o", m.toString()).code());
        assertFalse(Files.exists(m));
    }

    @Test
    void withoutConnectionsBothModelsSitSideBySide(@TempDir Path dir) throws Exception {
        Path m = dir.resolve("s.onnx");
        assertEquals(0, run("merge", a(dir, 13).toString(), b(dir, 13).toString(), "-q", "-o", m.toString()).code());
        Graph g = OnnxFrontend.load(m).graph();
        assertEquals(List.of("x", "b_y", "w"), names(g.inputs()), "B's y collides with A's y");
        assertEquals(List.of("y", "z", "b_z", "out"), names(g.outputs()));
        try (OrtRunner ort = new OrtRunner(Files.readAllBytes(m))) {
            float[] out = ort.run(Map.of("x", Tensor.ofFloats(new long[] {2, 3}, X), "b_y", Tensor.ofFloats(new long[] {2, 3}, X),
                    "w", Tensor.ofFloats(new long[] {2, 3}, W))).get("out").toFloats();
            float[] want = new float[6];
            for (int i = 0; i < 6; i++) want[i] = 2 * (X[i] + W[i]);
            assertArrayEquals(want, out);
        }
    }

    /** A branch graph that reads the outer value "z" and applies op to it. */
    static Graph branch(String name, String op) {
        Graph b = new Graph(name);
        b.opsets().put("", 13);
        Value z = b.addOuterRef("z", f32(2, 3));
        Node n = b.addNodeExact("", op, name + "_node", List.of(z), dev.onnxport.ir.Attrs.EMPTY, 13, List.of(name + "_out"));
        n.output().setType(f32(2, 3));
        b.addOutput(n.output());
        return b;
    }

    @Test
    void aRenamedValueIsRenamedInsideSubgraphsThatReadIt(@TempDir Path dir) throws Exception {
        // B's z collides with A's z and becomes b_z; B's If branches read z by name and must read b_z
        Path b = new TestModels("b", 13).input("y", DType.FLOAT32, 2, 3).input("c", DType.BOOL)
                .node("double_y", "Add", null, "z", f32(2, 3), "y", "y")
                .node("pick", "If", dev.onnxport.ir.Attrs.builder().put("then_branch", new dev.onnxport.ir.Attr.GraphAttr(branch("then", "Identity")))
                        .put("else_branch", new dev.onnxport.ir.Attr.GraphAttr(branch("else", "Neg"))).build(), "picked", f32(2, 3), "c")
                .output("picked").write(dir.resolve("bif.onnx"));
        Path m = dir.resolve("if.onnx");
        CliRun.Result r = run("merge", a(dir, 13).toString(), b.toString(), "--connect", "y:y", "-o", m.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("z->b_z"), r.err());
        try (OrtRunner ort = new OrtRunner(Files.readAllBytes(m))) {
            for (boolean c : new boolean[] {true, false}) {
                Tensor cond = Tensor.of(DType.BOOL, new long[0], java.nio.ByteBuffer.wrap(new byte[] {(byte) (c ? 1 : 0)}));
                Map<String, Tensor> y = ort.run(Map.of("x", Tensor.ofFloats(new long[] {2, 3}, X), "c", cond));
                float[] picked = y.get("picked").toFloats(), z = y.get("z").toFloats();
                for (int i = 0; i < 6; i++) {
                    assertEquals(-X[i], z[i], "A's z");
                    assertEquals((c ? 1 : -1) * 2 * Math.max(X[i], 0f), picked[i], "B's If read B's z (now b_z), c=" + c);
                }
            }
        }
    }
}
