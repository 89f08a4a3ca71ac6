package dev.onnxport.backends.check;

import dev.onnxport.backends.Pipelines;
import dev.onnxport.backends.onnx.OnnxBackend;
import dev.onnxport.backends.onnx.OnnxOptions;
import dev.onnxport.backends.runtime.OrtRunner;
import dev.onnxport.backends.runtime.TfliteRunner;
import dev.onnxport.backends.tflite.TfliteBackend;
import dev.onnxport.backends.tflite.TfliteOptions;
import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.passes.PassOptions;
import dev.onnxport.schemas.onnx.OnnxProto.ModelProto;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The provenance the emitters store for onnxport check, the TFLite debug copy, and the ORT debug copy. */
class CheckProvenanceTest {
    /** x[1,3,8,8] -> Conv(3->4, 3x3, pad 1) -> Relu -> y, and a side output s = Sigmoid(x). */
    static Graph convRelu() {
        Graph g = new Graph("t");
        g.opsets().put("", 13);
        Value x = g.addInput("x", new ValueType(DType.FLOAT32, Shape.of(1, 3, 8, 8)));
        float[] w = new float[4 * 3 * 3 * 3];
        for (int i = 0; i < w.length; i++) w[i] = (float) Math.sin(i) * 0.3f;
        Value wv = g.addConstant("w", Tensor.ofFloats(new long[] {4, 3, 3, 3}, w));
        Node conv = g.addNodeExact("", "Conv", "conv", List.of(x, wv),
                Attrs.builder().put("pads", new long[] {1, 1, 1, 1}).build(), 13, List.of("c"));
        conv.output().setType(new ValueType(DType.FLOAT32, Shape.of(1, 4, 8, 8)));
        Node relu = g.addNodeExact("", "Relu", "relu", List.of(conv.output()), Attrs.EMPTY, 13, List.of("y"));
        relu.output().setType(conv.output().type());
        Node sig = g.addNodeExact("", "Sigmoid", "sig", List.of(x), Attrs.EMPTY, 13, List.of("s"));
        sig.output().setType(x.type());
        g.addOutput(relu.output());
        g.addOutput(sig.output());
        return g;
    }

    static Tensor input() {
        float[] v = new float[3 * 8 * 8];
        for (int i = 0; i < v.length; i++) v[i] = (float) Math.cos(i * 0.7);
        return Tensor.ofFloats(new long[] {1, 3, 8, 8}, v);
    }

    static byte[] tflite(Graph g) {
        return Pipelines.toTflite(g, TfliteOptions.FLOAT32, PassOptions.DEFAULT);
    }

    @Test
    void tfliteCarriesProvenanceDeterministically() {
        byte[] a = tflite(convRelu()), b = tflite(convRelu());
        assertArrayEquals(a, b, "same graph and options give the same bytes");
        TfliteFile f = TfliteFile.read(a);
        ProvenanceMetadata p = f.provenance();
        assertNotNull(p, "metadata " + ProvenanceMetadata.NAME);
        Map<String, ProvenanceMetadata.Entry> byOnnx = new HashMap<>();
        for (ProvenanceMetadata.Entry e : p.entries) byOnnx.putIfAbsent(e.onnxName(), e);
        // the conv output is channels-last in TFLite: tensor axis i = ONNX axis perm[i]
        ProvenanceMetadata.Entry c = byOnnx.get("c");
        assertNotNull(c, p.toJson());
        assertArrayEquals(new int[] {0, 2, 3, 1}, c.perm());
        assertArrayEquals(new int[] {1, 8, 8, 4}, f.tensor(c.tensor()).shape());
        assertNotNull(byOnnx.get("x"));
        assertEquals(f.operators().size(), p.ops.size(), "one node index per operator");
        // the CONV_2D operator is attributed to the IR node 'conv'
        for (TfliteFile.OpInfo o : f.operators()) {
            if (o.opName().equals("CONV_2D")) assertEquals("conv", p.nodes.get(p.ops.get(o.index())).name());
        }
    }

    @Test
    void debugCopyExposesIntermediateTensors() {
        byte[] bytes = tflite(convRelu());
        TfliteFile f = TfliteFile.read(bytes);
        try (TfliteTarget t = new TfliteTarget(bytes)) {
            Mapped c = t.mapping().stream().filter(m -> m.onnxName().equals("c")).findFirst().orElseThrow();
            assertEquals("CONV_2D", c.ops());
            byte[] dbg = f.withOutputs(new int[] {c.index()});
            assertEquals(f.outputs().length + 1, TfliteFile.read(dbg).outputs().length);
            Mapped in = t.inputs().get(0);
            Map<String, Tensor> feed = Map.of(in.name(), Compare.toTarget(input(), in.perm()));
            Tensor got = t.run(feed, List.of(c)).get(c);
            Tensor want;
            try (OrtRunner ort = new OrtRunner(OrtRunner.exposeOutputs(onnx(convRelu()), List.of("c")).toByteArray())) {
                want = ort.run(Map.of("x", input()), List.of("c")).get("c");
            }
            Compare.Stats s = Compare.compare(want, got, c.perm(), null, 1e-5, 0, null);
            assertTrue(s.pass() && s.count() == 4 * 64, s.toString());
            // the original outputs still come first and are unchanged
            try (TfliteRunner plain = new TfliteRunner(bytes); TfliteRunner debug = new TfliteRunner(dbg)) {
                assertEquals(plain.outputNames(), debug.outputNames().subList(0, plain.outputNames().size()));
            }
        }
    }

    static ModelProto onnx(Graph g) {
        return OnnxBackend.toModel(g, OnnxOptions.DEFAULT);
    }

    @Test
    void ortDebugCopyAddsUntypedOutputs() {
        ModelProto m = onnx(convRelu());
        ModelProto d = OrtRunner.exposeOutputs(m, OrtRunner.nodeOutputs(m));
        assertEquals(List.of("c", "y", "s"), OrtRunner.nodeOutputs(m));
        assertEquals(3, d.getGraph().getOutputCount(), "y and s were outputs already, c is added");
        try (OrtRunner ort = new OrtRunner(d.toByteArray())) {
            Map<String, Tensor> r = ort.run(Map.of("x", input()), List.of("c"));
            assertEquals(List.of("c"), List.copyOf(r.keySet()), "only the requested output is fetched");
            assertArrayEquals(new long[] {1, 4, 8, 8}, r.get("c").shape());
        }
    }

    @Test
    void onnxWritesOnlyDivergentProvenance() {
        Graph g = convRelu();
        Pipelines.prepareOnnx(g);
        ModelProto m = onnx(g);
        assertTrue(m.getMetadataPropsList().stream().noneMatch(e -> e.getKey().equals(ProvenanceMetadata.NAME)),
                "every value carries the ONNX tensor of its name: nothing to record");
        Graph h = convRelu();
        // a folded constant named after its origin: recorded
        Value k = h.addConstant("c_folded", Tensor.ofFloats(new long[] {1}, 1f));
        k.setProvenance(dev.onnxport.ir.Provenance.of("c"));
        Node add = h.addNodeExact("", "Add", "add", List.of(h.outputs().get(0), k), Attrs.EMPTY, 13, List.of("z"));
        add.output().setType(h.outputs().get(0).type());
        h.addOutput(add.output());
        ModelProto m2 = onnx(h);
        String json = m2.getMetadataPropsList().stream().filter(e -> e.getKey().equals(ProvenanceMetadata.NAME)).findFirst().orElseThrow().getValue();
        ProvenanceMetadata p = ProvenanceMetadata.parse(json);
        assertEquals(1, p.entries.size(), json);
        assertEquals("c_folded", p.entries.get(0).name());
        assertEquals("c", p.entries.get(0).onnxName());
    }

    @Test
    void metadataJsonRoundTrip() {
        ProvenanceMetadata p = new ProvenanceMetadata();
        p.entries.add(new ProvenanceMetadata.Entry(3, null, "a \"q\"", new int[] {0, 2, 3, 1}));
        p.entries.add(new ProvenanceMetadata.Entry(4, null, "b", null));
        p.entries.add(new ProvenanceMetadata.Entry(-1, "v", null, null));
        p.nodes.add(new ProvenanceMetadata.NodeRef("n", "Conv"));
        p.ops.add(0);
        p.ops.add(-1);
        ProvenanceMetadata q = ProvenanceMetadata.parse(p.toBytes());
        assertEquals(p.toJson(), q.toJson());
        assertArrayEquals(new int[] {0, 2, 3, 1}, q.entries.get(0).perm());
        assertEquals("a \"q\"", q.entries.get(0).onnxName());
        assertNull(q.entries.get(1).perm());
        assertNull(q.entries.get(2).onnxName());
        assertEquals(List.of(0, -1), q.ops);
        byte[] padded = java.util.Arrays.copyOf(p.toBytes(), p.toBytes().length + 5);
        assertEquals(p.toJson(), ProvenanceMetadata.parse(padded).toJson(), "zero padding is ignored");
    }
}
