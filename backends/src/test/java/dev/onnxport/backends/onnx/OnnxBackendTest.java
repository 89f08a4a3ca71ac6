package dev.onnxport.backends.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.onnxport.ir.Attr;
import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.schemas.onnx.OnnxProto;
import dev.onnxport.schemas.onnx.OnnxProto.AttributeProto.AttributeType;
import dev.onnxport.schemas.onnx.OnnxProto.ModelProto;
import dev.onnxport.schemas.onnx.OnnxProto.NodeProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnnxBackendTest {
    static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    // ---------------------------------------------------------------------------------------------- helpers

    static ValueType f32(long... dims) { return ValueType.of(DType.FLOAT32, dims); }

    static Node node(Graph g, String op, String name, List<Value> ins, Attrs a, int opset, String... outs) {
        return g.addNodeExact("", op, name, ins, a, opset, List.of(outs));
    }

    static Node typed(Node n, ValueType t) { n.output().setType(t); return n; }

    /** Runs the model and returns each output's getValue(). */
    static Map<String, Object> run(byte[] model, Map<String, OnnxTensor> feeds) throws OrtException {
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions(); OrtSession s = ENV.createSession(model, so)) {
            return collect(s, feeds);
        }
    }

    static Map<String, Object> run(Path model, Map<String, OnnxTensor> feeds) throws OrtException {
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions(); OrtSession s = ENV.createSession(model.toString(), so)) {
            return collect(s, feeds);
        }
    }

    private static Map<String, Object> collect(OrtSession s, Map<String, OnnxTensor> feeds) throws OrtException {
        Map<String, Object> r = new LinkedHashMap<>();
        try (OrtSession.Result res = s.run(feeds)) {
            for (Map.Entry<String, OnnxValue> e : res) r.put(e.getKey(), e.getValue().getValue());
        } finally {
            for (OnnxTensor t : feeds.values()) t.close();
        }
        return r;
    }

    static OnnxTensor floats(long[] shape, float... v) throws OrtException {
        return OnnxTensor.createTensor(ENV, FloatBuffer.wrap(v), shape);
    }

    static OnnxTensor longs(long[] shape, long... v) throws OrtException {
        return OnnxTensor.createTensor(ENV, LongBuffer.wrap(v), shape);
    }

    static OnnxTensor bools(long[] shape, boolean... v) throws OrtException {
        ByteBuffer b = ByteBuffer.allocateDirect(v.length).order(ByteOrder.nativeOrder());
        for (boolean x : v) b.put((byte) (x ? 1 : 0));
        return OnnxTensor.createTensor(ENV, b.flip(), shape, OnnxJavaType.BOOL);
    }

    static float[] flat(Object o) {
        if (o instanceof float[] f) return f;
        if (o instanceof float[][] f) {
            int n = 0;
            for (float[] r : f) n += r.length;
            float[] out = new float[n];
            int k = 0;
            for (float[] r : f) for (float x : r) out[k++] = x;
            return out;
        }
        if (o instanceof Float f) return new float[] {f};
        throw new AssertionError("unexpected " + o.getClass());
    }

    static NodeProto findNode(OnnxProto.GraphProto g, String name) {
        for (NodeProto n : g.getNodeList()) if (n.getName().equals(name)) return n;
        throw new AssertionError("no node " + name);
    }

    static OnnxProto.AttributeProto findAttr(NodeProto n, String name) {
        for (OnnxProto.AttributeProto a : n.getAttributeList()) if (a.getName().equals(name)) return a;
        throw new AssertionError("no attribute " + name);
    }

    /** y = x + w, x: [1,3]. */
    static Graph addGraph(int opset) {
        Graph g = new Graph("t");
        g.opsets().put("", opset);
        Value x = g.addInput("x", f32(1, 3));
        Value c = g.addConstant("w", Tensor.ofFloats(new long[] {1, 3}, 1, 2, 3));
        typed(node(g, "Add", "add0", List.of(x, c), Attrs.EMPTY, opset, "y"), f32(1, 3));
        g.addOutput(g.nodes().get(0).output());
        return g;
    }

    // ---------------------------------------------------------------------------------------------- tests

    @Test
    void addWithInitializer() throws Exception {
        Graph g = addGraph(17);
        ModelProto m = OnnxBackend.toModel(g, OnnxOptions.DEFAULT);
        assertEquals(8, m.getIrVersion());
        assertEquals("onnxport", m.getProducerName());
        assertEquals(1, m.getOpsetImportCount());
        assertEquals("", m.getOpsetImport(0).getDomain());
        assertEquals(17, m.getOpsetImport(0).getVersion());
        OnnxProto.TensorProto w = m.getGraph().getInitializer(0);
        assertEquals("w", w.getName());
        assertEquals(12, w.getRawData().size());
        assertEquals(List.of(1L, 3L), w.getDimsList());
        assertEquals("x", m.getGraph().getInput(0).getName());
        assertEquals(1, m.getGraph().getInputCount());

        Map<String, Object> r = run(OnnxBackend.emit(g, OnnxOptions.DEFAULT), Map.of("x", floats(new long[] {1, 3}, 10, 20, 30)));
        assertArrayEquals(new float[] {11, 22, 33}, flat(r.get("y")));
    }

    @Test
    void unusedConstantsAreDroppedAndProducerIsSet() {
        Graph g = addGraph(17);
        g.addConstant("unused", Tensor.ofFloats(new long[] {2}, 1, 2));
        ModelProto m = OnnxBackend.toModel(g, new OnnxOptions(null, "me"));
        assertEquals(1, m.getGraph().getInitializerCount());
        assertEquals("me", m.getProducerName());
    }

    @Test
    void attributesOfEveryKindRunInOrt() throws Exception {
        int op = 17;
        Graph g = new Graph("attrs");
        g.opsets().put("", op);
        Value x = g.addInput("x", f32(1, 2, 2, 2));
        // INT + STRING: SpaceToDepth(blocksize=2) then DepthToSpace(blocksize=2, mode="DCR"): the identity
        Node s2d = typed(node(g, "SpaceToDepth", "s2d", List.of(x), Attrs.builder().put("blocksize", 2L).build(), op, "s2d_out"), f32(1, 8, 1, 1));
        Node d2s = typed(node(g, "DepthToSpace", "d2s", List.of(s2d.output()),
                Attrs.builder().put("blocksize", 2L).put("mode", "DCR").put("onnxport.layout", "internal").build(), op, "d2s_out"),
                f32(1, 2, 2, 2));
        // INTS: Transpose(perm)
        Node tr = typed(node(g, "Transpose", "tr", List.of(d2s.output()), Attrs.builder().put("perm", new long[] {0, 1, 3, 2}).build(), op, "tr_out"),
                f32(1, 2, 2, 2));
        // FLOAT: LeakyRelu(alpha)
        Node lr = typed(node(g, "LeakyRelu", "lr", List.of(tr.output()), Attrs.builder().put("alpha", 0.5f).build(), op, "lr_out"),
                f32(1, 2, 2, 2));
        g.addOutput(lr.output());
        // FLOATS / INTS / STRINGS / STRING / FLOAT / TENSOR via Constant
        Node cf = typed(node(g, "Constant", "cf", List.of(), Attrs.builder().put("value_floats", new float[] {1.5f, -2f}).build(), op, "cfloats"), f32(2));
        Node ci = typed(node(g, "Constant", "ci", List.of(), Attrs.builder().put("value_ints", new long[] {7, 8, 9}).build(), op, "cints"),
                ValueType.of(DType.INT64, 3));
        Node cs = typed(node(g, "Constant", "cs", List.of(), Attrs.builder().put("value_strings", new Attr.Strs(List.of("a", "bc"))).build(), op, "cstrs"),
                ValueType.of(DType.STRING, 2));
        Node cs1 = typed(node(g, "Constant", "cs1", List.of(), Attrs.builder().put("value_string", "héllo").build(), op, "cstr"),
                ValueType.of(DType.STRING));
        Node cf1 = typed(node(g, "Constant", "cf1", List.of(), Attrs.builder().put("value_float", 3.25f).build(), op, "cfloat"), f32());
        Node ct = typed(node(g, "Constant", "ct", List.of(), Attrs.builder().put("value", Tensor.ofInts(new long[] {2, 2}, 1, 2, 3, 4)).build(), op, "ctensor"),
                ValueType.of(DType.INT32, 2, 2));
        for (Node n : List.of(cf, ci, cs, cs1, cf1, ct)) g.addOutput(n.output());

        ModelProto m = OnnxBackend.toModel(g, OnnxOptions.DEFAULT);
        NodeProto d2sP = findNode(m.getGraph(), "d2s");
        assertEquals(2, d2sP.getAttributeCount(), "onnxport.* attributes are not written");
        assertEquals(AttributeType.INT, findAttr(d2sP, "blocksize").getType());
        assertEquals(AttributeType.STRING, findAttr(d2sP, "mode").getType());
        assertEquals(AttributeType.INTS, findAttr(findNode(m.getGraph(), "tr"), "perm").getType());
        assertEquals(AttributeType.FLOAT, findAttr(findNode(m.getGraph(), "lr"), "alpha").getType());
        assertEquals(AttributeType.FLOATS, findAttr(findNode(m.getGraph(), "cf"), "value_floats").getType());
        assertEquals(AttributeType.STRINGS, findAttr(findNode(m.getGraph(), "cs"), "value_strings").getType());
        assertEquals(AttributeType.TENSOR, findAttr(findNode(m.getGraph(), "ct"), "value").getType());
        // intermediate values with types are in value_info, graph outputs are not
        List<String> vi = m.getGraph().getValueInfoList().stream().map(OnnxProto.ValueInfoProto::getName).toList();
        assertEquals(List.of("s2d_out", "d2s_out", "tr_out"), vi);

        Map<String, Object> r = run(OnnxBackend.serialize(m), Map.of("x", floats(new long[] {1, 2, 2, 2}, -1, 2, 3, 4, -5, 6, 7, 8)));
        // identity, then swap the last two axes, then leaky relu 0.5
        float[] src = {-1, 2, 3, 4, -5, 6, 7, 8};
        float[] want = new float[8];
        for (int c = 0; c < 2; c++) for (int h = 0; h < 2; h++) for (int w = 0; w < 2; w++) {
            float v = src[c * 4 + w * 2 + h];
            want[c * 4 + h * 2 + w] = v < 0 ? v * 0.5f : v;
        }
        float[][][][] got = (float[][][][]) r.get("lr_out");
        float[] gotFlat = new float[8];
        for (int c = 0; c < 2; c++) for (int h = 0; h < 2; h++) for (int w = 0; w < 2; w++) gotFlat[c * 4 + h * 2 + w] = got[0][c][h][w];
        assertArrayEquals(want, gotFlat);
        assertArrayEquals(new float[] {1.5f, -2f}, (float[]) r.get("cfloats"));
        assertArrayEquals(new long[] {7, 8, 9}, (long[]) r.get("cints"));
        assertArrayEquals(new String[] {"a", "bc"}, (String[]) r.get("cstrs"));
        assertEquals("héllo", r.get("cstr"));
        assertEquals(3.25f, (Float) r.get("cfloat"));
        assertArrayEquals(new int[][] {{1, 2}, {3, 4}}, (int[][]) r.get("ctensor"));
    }

    @Test
    void tensorsAndGraphsAttributesAreWritten() {
        Graph sub = new Graph("body");
        Value si = sub.addInput("si", f32(1));
        sub.addOutput(si);
        Graph g = new Graph("t");
        g.opsets().put("", 17);
        g.opsets().put("custom.domain", 3);
        Value x = g.addInput("x", f32(1));
        Attrs a = Attrs.builder()
                .put("ts", new Attr.Tensors(List.of(Tensor.scalarLong(4), Tensor.ofFloats(new long[] {2}, 1, 2))))
                .put("gs", new Attr.Graphs(List.of(sub)))
                .build();
        Node n = g.addNodeExact("custom.domain", "MyOp", "my", List.of(x), a, 3, List.of("y"));
        g.addOutput(n.output());
        ModelProto m = OnnxBackend.toModel(g, OnnxOptions.DEFAULT);
        NodeProto p = m.getGraph().getNode(0);
        assertEquals("custom.domain", p.getDomain());
        OnnxProto.AttributeProto ts = findAttr(p, "ts");
        assertEquals(AttributeType.TENSORS, ts.getType());
        assertEquals(2, ts.getTensorsCount());
        assertEquals(OnnxProto.TensorProto.DataType.INT64_VALUE, ts.getTensors(0).getDataType());
        OnnxProto.AttributeProto gs = findAttr(p, "gs");
        assertEquals(AttributeType.GRAPHS, gs.getType());
        assertEquals("si", gs.getGraphs(0).getInput(0).getName());
        assertEquals(2, m.getOpsetImportCount());
        assertEquals("custom.domain", m.getOpsetImport(1).getDomain());
        assertEquals(3, m.getOpsetImport(1).getVersion());
    }

    @Test
    void ifWithSubgraphsReadingOuterScope() throws Exception {
        int op = 17;
        Graph g = new Graph("main");
        g.opsets().put("", op);
        Value cond = g.addInput("cond", ValueType.of(DType.BOOL));
        Value x = g.addInput("x", f32(3));
        Value k = g.addConstant("k", Tensor.ofFloats(new long[] {3}, 10, 20, 30));

        // then: x * k (outer input and outer initializer, read by name)
        Graph thenG = new Graph("then_branch");
        thenG.opsets().put("", op);
        typed(node(thenG, "Mul", "then_mul", List.of(x, k), Attrs.EMPTY, op, "then_out"), f32(3));
        thenG.addOutput(thenG.nodes().get(0).output());
        // else: x - k2, where the branch's own constant is also called "k" (shadows the outer one: renamed)
        Graph elseG = new Graph("else_branch");
        elseG.opsets().put("", op);
        Value k2 = elseG.addConstant("k", Tensor.ofFloats(new long[] {3}, 1, 1, 1));
        typed(node(elseG, "Sub", "else_sub", List.of(x, k2), Attrs.EMPTY, op, "else_out"), f32(3));
        elseG.addOutput(elseG.nodes().get(0).output());

        Attrs a = Attrs.builder().put("then_branch", new Attr.GraphAttr(thenG)).put("else_branch", new Attr.GraphAttr(elseG)).build();
        Node ifn = typed(node(g, "If", "if0", List.of(cond), a, op, "y"), f32(3));
        g.addOutput(ifn.output());

        ModelProto m = OnnxBackend.toModel(g, OnnxOptions.DEFAULT);
        NodeProto ifp = m.getGraph().getNode(0);
        assertEquals(AttributeType.GRAPH, findAttr(ifp, "then_branch").getType());
        OnnxProto.GraphProto elseP = findAttr(ifp, "else_branch").getG();
        assertEquals(1, elseP.getInitializerCount());
        String renamed = elseP.getInitializer(0).getName();
        assertFalse(renamed.equals("k"), "the branch constant may not shadow the outer 'k'");
        assertEquals(List.of("x", renamed), elseP.getNode(0).getInputList());
        assertEquals(List.of("x", "k"), findAttr(ifp, "then_branch").getG().getNode(0).getInputList());

        byte[] bytes = OnnxBackend.serialize(m);
        Map<String, Object> t = run(bytes, Map.of("cond", bools(new long[0], true), "x", floats(new long[] {3}, 1, 2, 3)));
        assertArrayEquals(new float[] {10, 40, 90}, flat(t.get("y")));
        Map<String, Object> e = run(bytes, Map.of("cond", bools(new long[0], false), "x", floats(new long[] {3}, 1, 2, 3)));
        assertArrayEquals(new float[] {0, 1, 2}, flat(e.get("y")));
    }

    @Test
    void loopBodyWithInputsShadowingOuterNames() throws Exception {
        int op = 17;
        Graph g = new Graph("main");
        g.opsets().put("", op);
        Value x = g.addInput("x", f32(2));
        Value k = g.addConstant("k", Tensor.ofFloats(new long[] {2}, 1, 10));
        Value trips = g.addConstant("trips", Tensor.scalarLong(3));
        Value cond = g.addConstant("cond", Tensor.fromLongs(DType.BOOL, new long[0], new long[] {1}));

        Graph body = new Graph("body");
        body.opsets().put("", op);
        body.addInput("i", ValueType.of(DType.INT64));
        Value bc = body.addInput("cond", ValueType.of(DType.BOOL)); // shadows the outer "cond"
        Value bv = body.addInput("x", f32(2));                      // shadows the outer "x"
        Node cid = typed(node(body, "Identity", "cond_id", List.of(bc), Attrs.EMPTY, op, "cond_out"), ValueType.of(DType.BOOL));
        Node add = typed(node(body, "Add", "acc", List.of(bv, k), Attrs.EMPTY, op, "x_out"), f32(2));
        body.addOutput(cid.output());
        body.addOutput(add.output());

        Node loop = typed(node(g, "Loop", "loop", List.of(trips, cond, x), Attrs.builder().put("body", new Attr.GraphAttr(body)).build(), op, "y"),
                f32(2));
        g.addOutput(loop.output());
        ModelProto m = OnnxBackend.toModel(g, OnnxOptions.DEFAULT);
        OnnxProto.GraphProto bp = findAttr(m.getGraph().getNode(0), "body").getG();
        List<String> bin = bp.getInputList().stream().map(OnnxProto.ValueInfoProto::getName).toList();
        assertEquals("i", bin.get(0));
        assertFalse(bin.contains("x") || bin.contains("cond"), bin.toString());
        assertEquals(List.of(bin.get(2), "k"), bp.getNode(1).getInputList());
        Map<String, Object> r = run(OnnxBackend.serialize(m), Map.of("x", floats(new long[] {2}, 5, 6)));
        assertArrayEquals(new float[] {8, 36}, flat(r.get("y")));
    }

    @Test
    void omittedOptionalInputs() throws Exception {
        int op = 13;
        Graph g = new Graph("clip");
        g.opsets().put("", op);
        Value x = g.addInput("x", f32(4));
        Value max = g.addConstant("max", Tensor.scalarFloat(2f));
        Value min = g.addConstant("min", Tensor.scalarFloat(0f));
        // min omitted in the middle
        Node c1 = typed(node(g, "Clip", "clip_max", java.util.Arrays.asList(x, null, max), Attrs.EMPTY, op, "y1"), f32(4));
        // max omitted at the end: dropped
        Node c2 = typed(node(g, "Clip", "clip_min", java.util.Arrays.asList(x, min, null), Attrs.EMPTY, op, "y2"), f32(4));
        g.addOutput(c1.output());
        g.addOutput(c2.output());
        ModelProto m = OnnxBackend.toModel(g, OnnxOptions.DEFAULT);
        assertEquals(List.of("x", "", "max"), findNode(m.getGraph(), "clip_max").getInputList());
        assertEquals(List.of("x", "min"), findNode(m.getGraph(), "clip_min").getInputList());
        Map<String, Object> r = run(OnnxBackend.serialize(m), Map.of("x", floats(new long[] {4}, -3, 1, 2.5f, 5)));
        assertArrayEquals(new float[] {-3, 1, 2, 2}, flat(r.get("y1")));
        assertArrayEquals(new float[] {0, 1, 2.5f, 5}, flat(r.get("y2")));
    }

    @Test
    void omittedOptionalOutputsAreBlank() throws Exception {
        int op = 17;
        Graph g = new Graph("drop");
        g.opsets().put("", op);
        Value x = g.addInput("x", f32(2));
        Node d = g.addNodeExact("", "Dropout", "drop", List.of(x), Attrs.EMPTY, op, java.util.Arrays.asList("y", ""));
        d.output().setType(f32(2));
        g.addOutput(d.output());
        ModelProto m = OnnxBackend.toModel(g, OnnxOptions.DEFAULT);
        assertEquals(List.of("y"), m.getGraph().getNode(0).getOutputList());
        Map<String, Object> r = run(OnnxBackend.serialize(m), Map.of("x", floats(new long[] {2}, 4, 5)));
        assertArrayEquals(new float[] {4, 5}, flat(r.get("y")));
    }

    @Test
    void int64AndBoolTensors() throws Exception {
        int op = 17;
        Graph g = new Graph("ints");
        g.opsets().put("", op);
        Value a = g.addInput("a", ValueType.of(DType.INT64, 4));
        Value m = g.addInput("m", ValueType.of(DType.BOOL, 4));
        Value off = g.addConstant("off", Tensor.ofLongs(new long[] {4}, 1L << 40, -5, 0, 7));
        Value mask = g.addConstant("mask", Tensor.fromLongs(DType.BOOL, new long[] {4}, new long[] {1, 1, 0, 0}));
        Value thr = g.addConstant("thr", Tensor.scalarLong(3));
        Node sum = typed(node(g, "Add", "sum", List.of(a, off), Attrs.EMPTY, op, "sum"), ValueType.of(DType.INT64, 4));
        Node gt = typed(node(g, "Greater", "gt", List.of(sum.output(), thr), Attrs.EMPTY, op, "gt"), ValueType.of(DType.BOOL, 4));
        Node and = typed(node(g, "And", "and", List.of(gt.output(), mask), Attrs.EMPTY, op, "both"), ValueType.of(DType.BOOL, 4));
        Node xor = typed(node(g, "Xor", "xor", List.of(and.output(), m), Attrs.EMPTY, op, "flip"), ValueType.of(DType.BOOL, 4));
        g.addOutput(sum.output());
        g.addOutput(xor.output());
        Map<String, Object> r = run(OnnxBackend.emit(g, OnnxOptions.DEFAULT),
                Map.of("a", longs(new long[] {4}, 1, 2, 3, -4), "m", bools(new long[] {4}, false, true, false, true)));
        long[] want = {1 + (1L << 40), 2 - 5, 3, -4 + 7};
        assertArrayEquals(want, (long[]) r.get("sum"));
        boolean[] in = {false, true, false, true};
        boolean[] mk = {true, true, false, false};
        boolean[] flip = new boolean[4];
        for (int i = 0; i < 4; i++) flip[i] = ((want[i] > 3) && mk[i]) ^ in[i];
        assertArrayEquals(flip, (boolean[]) r.get("flip"));
    }

    @Test
    void stringInitializer() throws Exception {
        int op = 17;
        Graph g = new Graph("s");
        g.opsets().put("", op);
        Value idx = g.addInput("i", ValueType.of(DType.INT64, 2));
        Value words = g.addConstant("words", Tensor.ofStrings(new long[] {3}, List.of("zero", "one", "twö")));
        Node ga = typed(node(g, "Gather", "gather", List.of(words, idx), Attrs.EMPTY, op, "w"), ValueType.of(DType.STRING, 2));
        g.addOutput(ga.output());
        ModelProto m = OnnxBackend.toModel(g, OnnxOptions.DEFAULT);
        assertEquals(3, m.getGraph().getInitializer(0).getStringDataCount());
        Map<String, Object> r = run(OnnxBackend.serialize(m), Map.of("i", longs(new long[] {2}, 2, 0)));
        assertArrayEquals(new String[] {"twö", "zero"}, (String[]) r.get("w"));
    }

    @Test
    void symbolicDims() throws Exception {
        int op = 17;
        Graph g = new Graph("sym");
        g.opsets().put("", op);
        ValueType t = new ValueType(DType.FLOAT32, Shape.of(List.of(Dim.sym("N"), Dim.of(2))));
        Value x = g.addInput("x", t);
        Value u = g.addInput("u", new ValueType(DType.FLOAT32, null));
        Value c = g.addConstant("c", Tensor.ofFloats(new long[] {2}, 100, 200));
        Node n = typed(node(g, "Add", "add", List.of(x, c), Attrs.EMPTY, op, "y"), t);
        Node n2 = typed(node(g, "Relu", "relu", List.of(u), Attrs.EMPTY, op, "z"), new ValueType(DType.FLOAT32, null));
        g.addOutput(n.output());
        g.addOutput(n2.output());
        ModelProto m = OnnxBackend.toModel(g, OnnxOptions.DEFAULT);
        OnnxProto.TensorShapeProto sp = m.getGraph().getInput(0).getType().getTensorType().getShape();
        assertEquals("N", sp.getDim(0).getDimParam());
        assertEquals(2, sp.getDim(1).getDimValue());
        assertFalse(m.getGraph().getInput(1).getType().getTensorType().hasShape());
        assertTrue(m.getGraph().getInput(1).getType().getTensorType().hasElemType());
        byte[] bytes = OnnxBackend.serialize(m);
        for (int batch : new int[] {1, 3}) {
            float[] in = new float[batch * 2];
            float[] want = new float[batch * 2];
            for (int i = 0; i < in.length; i++) { in[i] = i; want[i] = i + (i % 2 == 0 ? 100 : 200); }
            Map<String, Object> r = run(bytes, Map.of("x", floats(new long[] {batch, 2}, in), "u", floats(new long[] {3}, -1, 0, 2)));
            assertArrayEquals(want, flat(r.get("y")));
            assertArrayEquals(new float[] {0, 0, 2}, flat(r.get("z")));
        }
    }

    @Test
    void deterministic() {
        byte[] a = OnnxBackend.emit(addGraph(17), OnnxOptions.DEFAULT);
        Graph g = addGraph(17);
        byte[] b = OnnxBackend.emit(g, OnnxOptions.DEFAULT);
        byte[] c = OnnxBackend.emit(g, OnnxOptions.DEFAULT);
        assertArrayEquals(a, b);
        assertArrayEquals(b, c);
    }

    @Test
    void opsetOverride() throws Exception {
        Graph g = addGraph(17);
        ModelProto m13 = OnnxBackend.toModel(g, OnnxOptions.withOpset(13));
        assertEquals(13, m13.getOpsetImport(0).getVersion());
        assertEquals(7, m13.getIrVersion());
        Map<String, Object> r = run(OnnxBackend.serialize(m13), Map.of("x", floats(new long[] {1, 3}, 1, 1, 1)));
        assertArrayEquals(new float[] {2, 3, 4}, flat(r.get("y")));

        // IR 3 (opset 7): initializers are listed among the graph inputs too
        ModelProto m7 = OnnxBackend.toModel(g, OnnxOptions.withOpset(7));
        assertEquals(3, m7.getIrVersion());
        assertEquals(List.of("x", "w"), m7.getGraph().getInputList().stream().map(OnnxProto.ValueInfoProto::getName).toList());
        r = run(OnnxBackend.serialize(m7), Map.of("x", floats(new long[] {1, 3}, 1, 1, 1)));
        assertArrayEquals(new float[] {2, 3, 4}, flat(r.get("y")));

        assertEquals(8, OnnxBackend.toModel(g, OnnxOptions.DEFAULT).getIrVersion());
        Map<Integer, Integer> table = new HashMap<>(Map.of(7, 3, 8, 3, 9, 4, 10, 5, 11, 6, 12, 7, 13, 7, 14, 7, 15, 8, 16, 8));
        table.putAll(Map.of(17, 8, 18, 8, 19, 9, 20, 9, 21, 10, 22, 10));
        table.forEach((o, ir) -> assertEquals(ir, OnnxBackend.irVersionFor(o), "opset " + o));
    }

    @Test
    void externalData(@TempDir Path dir) throws Exception {
        int op = 17;
        Graph g = new Graph("big");
        g.opsets().put("", op);
        Value x = g.addInput("x", f32(1000));
        float[] w1 = new float[1000];
        float[] w2 = new float[1000];
        for (int i = 0; i < 1000; i++) { w1[i] = i * 0.5f; w2[i] = -i; }
        Value a = g.addConstant("w1", Tensor.ofFloats(new long[] {1000}, w1));
        Value b = g.addConstant("w2", Tensor.ofFloats(new long[] {1000}, w2));
        Value s = g.addConstant("small", Tensor.scalarFloat(1f));
        Node n1 = typed(node(g, "Add", "a1", List.of(x, a), Attrs.EMPTY, op, "t"), f32(1000));
        Node n2 = typed(node(g, "Mul", "m1", List.of(n1.output(), b), Attrs.EMPTY, op, "u"), f32(1000));
        Node n3 = typed(node(g, "Add", "a2", List.of(n2.output(), s), Attrs.EMPTY, op, "y"), f32(1000));
        g.addOutput(n3.output());

        Path model = dir.resolve("m.onnx");
        List<Path> files = OnnxBackend.emit(g, OnnxOptions.DEFAULT, model, 100);
        Path data = dir.resolve("m.onnx.data");
        assertEquals(List.of(model.toAbsolutePath(), data.toAbsolutePath()), files);
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(model));
        long expectedOffset = 0;
        for (OnnxProto.TensorProto t : m.getGraph().getInitializerList()) {
            if (t.getName().equals("small")) {
                assertFalse(t.hasDataLocation());
                assertEquals(4, t.getRawData().size());
                continue;
            }
            assertEquals(OnnxProto.TensorProto.DataLocation.EXTERNAL, t.getDataLocation());
            assertEquals(0, t.getRawData().size());
            Map<String, String> kv = new HashMap<>();
            for (OnnxProto.StringStringEntryProto e : t.getExternalDataList()) kv.put(e.getKey(), e.getValue());
            assertEquals("m.onnx.data", kv.get("location"));
            assertEquals(expectedOffset, Long.parseLong(kv.get("offset")));
            assertEquals(4000, Long.parseLong(kv.get("length")));
            expectedOffset += 4096;
        }
        assertEquals(4096 + 4000, Files.size(data));

        float[] in = new float[1000];
        float[] want = new float[1000];
        for (int i = 0; i < 1000; i++) { in[i] = i % 7; want[i] = (in[i] + w1[i]) * w2[i] + 1f; }
        Map<String, Object> r = run(model, Map.of("x", floats(new long[] {1000}, in)));
        assertArrayEquals(want, flat(r.get("y")));

        // under the threshold: one self-contained file
        Path inline = dir.resolve("inline.onnx");
        assertEquals(List.of(inline.toAbsolutePath()), OnnxBackend.emit(g, OnnxOptions.DEFAULT, inline));
        assertArrayEquals(OnnxBackend.emit(g, OnnxOptions.DEFAULT), Files.readAllBytes(inline));
        assertFalse(Files.exists(dir.resolve("inline.onnx.data")));
        r = run(inline, Map.of("x", floats(new long[] {1000}, in)));
        assertArrayEquals(want, flat(r.get("y")));
    }

    @Test
    void undefinedValueIsReported() {
        Graph other = new Graph("other");
        Value z = other.addInput("z", f32(1));
        Graph g = new Graph("t");
        g.opsets().put("", 17);
        Node n = node(g, "Relu", "relu", List.of(z), Attrs.EMPTY, 17, "y");
        g.addOutput(n.output());
        ConversionException e = assertThrows(ConversionException.class, () -> OnnxBackend.toModel(g, OnnxOptions.DEFAULT));
        assertTrue(e.getMessage().contains("'z'"), e.getMessage());
        assertTrue(e.getMessage().contains("relu"), e.getMessage());
    }

    @Test
    void constantAndInputAsGraphOutputs() throws Exception {
        Graph g = new Graph("pass");
        g.opsets().put("", 17);
        Value x = g.addInput("x", f32(2));
        Value c = g.addConstant("c", Tensor.ofFloats(new long[] {2}, 5, 6));
        g.addOutput(x);
        g.addOutput(c);
        ModelProto m = OnnxBackend.toModel(g, OnnxOptions.DEFAULT);
        assertEquals(1, m.getGraph().getInitializerCount());
        Map<String, Object> r = run(OnnxBackend.serialize(m), Map.of("x", floats(new long[] {2}, 1, 2)));
        assertArrayEquals(new float[] {1, 2}, flat(r.get("x")));
        assertArrayEquals(new float[] {5, 6}, flat(r.get("c")));
    }
}
