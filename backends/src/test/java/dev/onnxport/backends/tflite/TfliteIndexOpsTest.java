package dev.onnxport.backends.tflite;

import dev.onnxport.backends.Pipelines;
import dev.onnxport.backends.runtime.TfliteRunner;
import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Layout;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.ir.ops.OpRegistry;
import dev.onnxport.passes.PassContext;
import dev.onnxport.passes.PassManager;
import dev.onnxport.passes.PassOptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Forms of the index family's ops that the ONNX node tests do not reach (constant indices, scalar indices,
 * integer data, static resize scales, channels-last nodes, ...), run in the TFLite 2.6 interpreter.
 */
class TfliteIndexOpsTest {
    /** One node: Tensor inputs become constants, "name=Tensor" pairs (as Object[]{name, tensor}) graph inputs. */
    static final class G {
        final Graph g = new Graph("t");
        final Map<String, Tensor> feed = new LinkedHashMap<>();
        final List<Value> ins = new ArrayList<>();

        G(int opset) { g.opsets().put("", opset); }

        G input(String name, Tensor value) {
            ins.add(g.addInput(name, value.type()));
            feed.put(name, value);
            return this;
        }

        G input(String name, ValueType t, Tensor value) {
            ins.add(g.addInput(name, t));
            feed.put(name, value);
            return this;
        }

        G constant(Tensor t) { ins.add(g.addConstant("k" + ins.size(), t)); return this; }

        G omitted() { ins.add(null); return this; }

        Node node(String op, Attrs a) {
            Node n = g.addNodeExact("", op, "n", ins, a, g.opset(), List.of("y"));
            g.addOutput(n.output());
            return n;
        }

        /** Converts without the layout passes (nodes keep the layout they were built with) and runs once. */
        Tensor run(String op, Attrs a) {
            node(op, a);
            new PassManager(Pipelines.cleanup(), 8).run(g, PassContext.standard(new PassOptions("nchw")));
            byte[] model = new TfliteBackend().emit(g, TfliteOptions.FLOAT32);
            try (TfliteRunner r = new TfliteRunner(model)) {
                return r.run(feed).get("y");
            }
        }
    }

    static Attrs a(Object... kv) {
        Attrs.Builder b = Attrs.builder();
        for (int i = 0; i < kv.length; i += 2) {
            Object v = kv[i + 1];
            if (v instanceof Integer x) b.put((String) kv[i], (long) x);
            else if (v instanceof String s) b.put((String) kv[i], s);
            else if (v instanceof long[] l) b.put((String) kv[i], l);
            else if (v instanceof float[] f) b.put((String) kv[i], f);
            else if (v instanceof Float f) b.put((String) kv[i], f);
        }
        return b.build();
    }

    static long[] s(long... d) { return d; }

    static Tensor iotaF(long... shape) {
        float[] v = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = i * 0.5f - 3;
        return Tensor.ofFloats(shape, v);
    }

    /** The IR evaluator's answer for op on constant inputs (the evaluators have their own hand-checked tests). */
    static Tensor reference(String op, int opset, Attrs a, Tensor... ins) {
        Graph g = new Graph("ref");
        g.opsets().put("", opset);
        List<Value> vs = new ArrayList<>();
        for (Tensor t : ins) vs.add(t == null ? null : g.addConstant("c", t));
        Node n = g.addNodeExact("", op, "n", vs, a, opset, List.of("y"));
        return OpRegistry.standard().get(op).eval().eval(n, List.of(ins)).get(0);
    }

    static void assertClose(Tensor want, Tensor got, double tol) {
        assertArrayEquals(want.shape(), got.shape(), "shape");
        assertEquals(want.dtype(), got.dtype(), "dtype");
        double[] w = want.toDoubles(), g = got.toDoubles();
        for (int i = 0; i < w.length; i++) assertEquals(w[i], g[i], tol, "element " + i);
    }

    // ------------------------------------------------------------------ Gather family

    @Test void gatherScalarRunTimeIndex() {
        Tensor data = iotaF(3, 4);
        Tensor idx = Tensor.scalarLong(-1);
        Tensor got = new G(13).input("d", data).input("i", idx).run("Gather", a("axis", 1));
        assertClose(reference("Gather", 13, a("axis", 1), data, idx), got, 0);
    }

    @Test void gatherConstantNegativeIndicesOfInt64() {
        Tensor data = Tensor.ofLongs(s(5), 10, 11, 12, 13, (1L << 40) + 7);
        Tensor got = new G(13).input("d", data).constant(Tensor.ofLongs(s(2, 2), -1, 0, 2, -5)).run("Gather", Attrs.EMPTY);
        assertArrayEquals(new long[] {(1L << 40) + 7, 10, 12, 10}, got.toLongs());
        assertArrayEquals(s(2, 2), got.shape());
    }

    @Test void gatherInt32DataInt32Indices() {
        Tensor data = Tensor.ofInts(s(2, 3), 1, 2, 3, 4, 5, 6);
        Tensor idx = Tensor.ofInts(s(2), -1, 0);
        Tensor got = new G(13).input("d", data).input("i", idx).run("Gather", a("axis", -1));
        assertArrayEquals(new int[] {3, 1, 6, 4}, got.toInts());
    }

    @Test void gatherElementsConstantIndices() {
        Tensor data = iotaF(3, 4);
        Tensor idx = Tensor.ofLongs(s(2, 4), 0, 2, -1, 1, 1, 0, 2, 2);
        Tensor got = new G(13).input("d", data).constant(idx).run("GatherElements", a("axis", 0));
        assertClose(reference("GatherElements", 13, a("axis", 0), data, idx), got, 0);
    }

    @Test void gatherNdConstantBatchIndices() {
        Tensor data = iotaF(2, 3, 4);
        Tensor idx = Tensor.ofLongs(s(2, 2, 2), 0, 1, -1, -1, 2, 3, 1, 0);
        Tensor got = new G(13).input("d", data).constant(idx).run("GatherND", a("batch_dims", 1));
        assertClose(reference("GatherND", 13, a("batch_dims", 1), data, idx), got, 0);
        Tensor idx2 = Tensor.ofLongs(s(3, 1), 1, -1, 0);
        Tensor got2 = new G(13).input("d", data).input("i", idx2).run("GatherND", Attrs.EMPTY);
        assertClose(reference("GatherND", 13, Attrs.EMPTY, data, idx2), got2, 0);
    }

    // ------------------------------------------------------------------ Scatter family

    @Test void scatterNdInt64AndConstantIndices() {
        Tensor data = Tensor.ofLongs(s(4, 2), 1, 2, 3, 4, 5, 6, 7, 8);
        Tensor idx = Tensor.ofLongs(s(2, 1), -1, 1);
        Tensor upd = Tensor.ofLongs(s(2, 2), 50, 60, 70, 80);
        assertClose(reference("ScatterND", 16, Attrs.EMPTY, data, idx, upd),
                new G(16).input("d", data).input("i", idx).input("u", upd).run("ScatterND", Attrs.EMPTY), 0);
        // constant unique indices: one combined step for max
        Tensor f = iotaF(4, 2);
        Tensor fu = Tensor.ofFloats(s(2, 2), 9, -9, 9, -9);
        assertClose(reference("ScatterND", 16, a("reduction", "max"), f, idx, fu),
                new G(16).input("d", f).constant(idx).input("u", fu).run("ScatterND", a("reduction", "max")), 0);
        // constant repeated indices: one step per row
        Tensor rep = Tensor.ofLongs(s(2, 1), 2, 2);
        assertClose(reference("ScatterND", 16, a("reduction", "mul"), f, rep, fu),
                new G(16).input("d", f).constant(rep).input("u", fu).run("ScatterND", a("reduction", "mul")), 1e-6);
    }

    @Test void scatterElementsRunTimeIndicesAllReductions() {
        Tensor data = iotaF(3, 3);
        Tensor idx = Tensor.ofLongs(s(2, 3), 1, 0, -1, 1, 2, 2);
        Tensor upd = Tensor.ofFloats(s(2, 3), 4, -4, 5, -5, 6, -6);
        for (String red : List.of("add", "mul", "max", "min")) {
            Attrs at = a("axis", 1, "reduction", red);
            assertClose(reference("ScatterElements", 18, at, data, idx, upd),
                    new G(18).input("d", data).input("i", idx).input("u", upd).run("ScatterElements", at), 1e-6);
        }
        // constant repeated indices without reduction: the last write wins, as in the reference
        Tensor rep = Tensor.ofLongs(s(2, 3), 0, 1, 2, 0, 1, 2);
        assertClose(reference("ScatterElements", 18, a("axis", 1), data, rep, upd),
                new G(18).input("d", data).constant(rep).input("u", upd).run("ScatterElements", a("axis", 1)), 0);
        Tensor repNd = Tensor.ofLongs(s(3, 1), 1, -2, 0);
        Tensor updNd = Tensor.ofFloats(s(3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertClose(reference("ScatterND", 18, Attrs.EMPTY, data, repNd, updNd),
                new G(18).input("d", data).constant(repNd).input("u", updNd).run("ScatterND", Attrs.EMPTY), 0);
        Attrs none = a("axis", 0);
        Tensor uniq = Tensor.ofLongs(s(2, 3), 0, 1, 2, 2, 0, 1);
        assertClose(reference("ScatterElements", 18, none, data, uniq, upd),
                new G(18).input("d", data).constant(uniq).input("u", upd).run("ScatterElements", none), 0);
    }

    @Test void boolAndSmallIntegerData() {
        for (DType dt : List.of(DType.BOOL, DType.INT16)) {
            Tensor data = Tensor.fromLongs(dt, s(2, 3), new long[] {1, 0, 1, 1, 1, 0});
            Tensor idx = Tensor.ofLongs(s(2, 1), 1, 0);
            assertClose(reference("GatherND", 13, Attrs.EMPTY, data, idx), new G(13).input("d", data).input("i", idx).run("GatherND", Attrs.EMPTY), 0);
            Tensor ei = Tensor.ofLongs(s(2, 2), 2, 0, 1, -1);
            assertClose(reference("GatherElements", 13, a("axis", 1), data, ei),
                    new G(13).input("d", data).input("i", ei).run("GatherElements", a("axis", 1)), 0);
            Tensor upd = Tensor.fromLongs(dt, s(1, 3), new long[] {0, 1, 0});
            Tensor si = Tensor.ofLongs(s(1, 1), 0);
            assertClose(reference("ScatterND", 16, Attrs.EMPTY, data, si, upd),
                    new G(16).input("d", data).input("i", si).input("u", upd).run("ScatterND", Attrs.EMPTY), 0);
            Tensor lens = Tensor.ofLongs(s(2), 3, 2);
            Attrs rs = a("time_axis", 1, "batch_axis", 0);
            assertClose(reference("ReverseSequence", 10, rs, data, lens), new G(10).input("x", data).input("l", lens).run("ReverseSequence", rs), 0);
            Tensor img = Tensor.fromLongs(dt, s(1, 4, 1, 2), new long[] {1, 0, 0, 1, 1, 1, 0, 0});
            assertClose(reference("DepthToSpace", 13, a("blocksize", 2), img), new G(13).input("x", img).run("DepthToSpace", a("blocksize", 2)), 0);
        }
    }

    @Test void float16ScatterIsRefusedWithAReason() {
        Tensor data = Tensor.fromDoubles(DType.FLOAT16, s(3), new double[] {1, 2, 3});
        ConversionException e = assertThrows(ConversionException.class, () -> new G(16).input("d", data)
                .input("i", Tensor.ofLongs(s(1, 1), 0)).input("u", Tensor.fromDoubles(DType.FLOAT16, s(1), new double[] {5})).run("ScatterND", Attrs.EMPTY));
        assertTrue(e.getMessage().contains("SCATTER_ND"), e.getMessage());
    }

    // ------------------------------------------------------------------ OneHot / ReverseSequence / NonZero

    @Test void oneHotConstantIndicesAndValues() {
        Tensor idx = Tensor.ofLongs(s(2, 2), 0, -1, 3, 7);
        Tensor depth = Tensor.scalarLong(4);
        Tensor values = Tensor.ofLongs(s(2), 5, 9);
        Tensor want = reference("OneHot", 11, a("axis", 1), idx, depth, values);
        // data-dependent parts constant, so give the graph a run-time input through a second OneHot
        Tensor got = new G(11).constant(idx).constant(depth).input("v", values).run("OneHot", a("axis", 1));
        assertClose(want, got, 0);
        Tensor got2 = new G(11).input("i", Tensor.ofInts(s(2, 2), 0, -1, 3, 7)).constant(depth).constant(values).run("OneHot", a("axis", 1));
        assertClose(want, got2, 0);
    }

    @Test void reverseSequenceInt32Lengths() {
        Tensor x = iotaF(3, 4, 2);
        Tensor lens = Tensor.ofInts(s(4), 3, 1, 2, 0);
        Attrs at = a("time_axis", 0, "batch_axis", 1);
        assertClose(reference("ReverseSequence", 10, at, x, lens), new G(10).input("x", x).input("l", lens).run("ReverseSequence", at), 0);
    }

    @Test void nonZeroWithRunTimeCount() {
        // a static count (declared or folded) runs like the node test; an unknown one gives a dynamic output
        Tensor x = Tensor.ofFloats(s(2, 3), 0, 1.5f, 0, -2, 0, 3);
        G g = new G(13).input("x", x);
        g.node("NonZero", Attrs.EMPTY);
        new PassManager(Pipelines.cleanup(), 8).run(g.g, PassContext.standard(new PassOptions("nchw")));
        assertTrue(!g.g.outputs().get(0).shape().dim(1).isKnown());
        byte[] model = new TfliteBackend().emit(g.g, TfliteOptions.FLOAT32);
        tflite.SubGraph sg = tflite.Model.getRootAsModel(java.nio.ByteBuffer.wrap(model)).subgraphs(0);
        tflite.Tensor out = sg.tensors(sg.outputs(0));
        assertEquals(2, out.shapeSignatureLength());
        assertEquals(2, out.shapeSignature(0));
        assertEquals(-1, out.shapeSignature(1));
        try (TfliteRunner r = new TfliteRunner(model)) {
            assertClose(reference("NonZero", 13, Attrs.EMPTY, x), r.run(g.feed).get("y"), 0);
            Tensor x2 = Tensor.ofFloats(s(2, 3), 1, 1, 1, 0, 0, 7); // a different count
            assertClose(reference("NonZero", 13, Attrs.EMPTY, x2), r.run(Map.of("x", x2)).get("y"), 0);
        }
    }

    // ------------------------------------------------------------------ DepthToSpace / SpaceToDepth

    @Test void depthSpaceInOnnxLayout() {
        Tensor x = iotaF(2, 8, 2, 3);
        for (String mode : List.of("DCR", "CRD")) {
            Attrs at = a("blocksize", 2, "mode", mode);
            assertClose(reference("DepthToSpace", 13, at, x), new G(13).input("x", x).run("DepthToSpace", at), 0);
        }
        Tensor y = iotaF(1, 3, 4, 6);
        assertClose(reference("SpaceToDepth", 13, a("blocksize", 2), y), new G(13).input("x", y).run("SpaceToDepth", a("blocksize", 2)), 0);
    }

    static Tensor nhwc(Tensor t) {
        long[] s = t.shape();
        long[] o = {s[0], s[2], s[3], s[1]};
        float[] v = new float[(int) t.numel()];
        int p = 0;
        for (int n = 0; n < s[0]; n++) for (int h = 0; h < s[2]; h++) for (int w = 0; w < s[3]; w++) for (int c = 0; c < s[1]; c++)
            v[p++] = (float) t.getDouble(((n * s[1] + c) * s[2] + h) * s[3] + w);
        return Tensor.ofFloats(o, v);
    }

    @Test void depthSpaceChannelsLast() {
        Tensor x = iotaF(1, 8, 2, 3);
        for (String mode : List.of("DCR", "CRD")) {
            Attrs at = a("blocksize", 2, "mode", mode);
            Tensor want = nhwc(reference("DepthToSpace", 13, at, x));
            Attrs marked = at.toBuilder().put(Layout.ATTR, Layout.NHWC).build();
            assertClose(want, new G(13).input("x", nhwc(x)).run("DepthToSpace", marked), 0);
        }
        Tensor y = iotaF(2, 2, 4, 6);
        Tensor want = nhwc(reference("SpaceToDepth", 13, a("blocksize", 2), y));
        assertClose(want, new G(13).input("x", nhwc(y)).run("SpaceToDepth", a("blocksize", 2, Layout.ATTR, Layout.NHWC)), 0);
    }

    // ------------------------------------------------------------------ Resize / Upsample

    @Test void resizeNearestHandChecked() {
        Tensor x = Tensor.ofFloats(s(1, 1, 2, 2), 1, 2, 3, 4);
        Tensor got = new G(13).input("x", x).omitted().constant(Tensor.ofFloats(s(4), 1, 1, 2, 1.5f)).run("Resize", a("mode", "nearest"));
        // half_pixel, round_prefer_floor: rows 0,0,1,1; cols x=(j+.5)/1.5-.5 = -0.17,0.5,1.17 -> 0,0,1
        assertArrayEquals(new float[] {1, 1, 2, 1, 1, 2, 3, 3, 4, 3, 3, 4}, got.toFloats());
        assertArrayEquals(s(1, 1, 4, 3), got.shape());
    }

    @Test void resizeLinearHandChecked() {
        Tensor x = Tensor.ofFloats(s(1, 4), 0, 10, 20, 30);
        // 1-D along the last axis of a 2-D tensor, align_corners 4 -> 7: step 0.5
        Tensor got = new G(13).input("x", x).omitted().omitted().constant(Tensor.ofLongs(s(2), 1, 7))
                .run("Resize", a("mode", "linear", "coordinate_transformation_mode", "align_corners"));
        assertArrayEquals(new float[] {0, 5, 10, 15, 20, 25, 30}, got.toFloats(), 1e-5f);
    }

    @Test void upsampleAndOpset10Legacy() {
        Tensor x = Tensor.ofFloats(s(1, 1, 1, 4), 1, 2, 3, 4);
        Tensor up = new G(7).input("x", x).run("Upsample", a("mode", "nearest", "scales", new float[] {1, 1, 2, 2}));
        assertArrayEquals(new float[] {1, 1, 2, 2, 3, 3, 4, 4, 1, 1, 2, 2, 3, 3, 4, 4}, up.toFloats());
        Tensor lin = new G(9).input("x", x).constant(Tensor.ofFloats(s(4), 1, 1, 1, 2)).run("Upsample", a("mode", "linear"));
        // asymmetric: x/2 -> 0, .5, 1, 1.5, 2, 2.5, 3, 3.5 (clamped at 3)
        assertArrayEquals(new float[] {1, 1.5f, 2, 2.5f, 3, 3.5f, 4, 4}, lin.toFloats(), 1e-6f);
        // opset-10 Resize downsampling nearest takes ceil(x/scale): 0.5 -> positions 0, 2
        Tensor down = new G(10).input("x", x).constant(Tensor.ofFloats(s(4), 1, 1, 1, 0.5f)).run("Resize", a("mode", "nearest"));
        assertArrayEquals(new float[] {1, 3}, down.toFloats());
    }

    @Test void resizeIntegerNearestAndRank3() {
        Tensor x = Tensor.ofInts(s(2, 3), 1, 2, 3, 4, 5, 6);
        Tensor got = new G(13).input("x", x).omitted().constant(Tensor.ofFloats(s(2), 1, 2)).run("Resize",
                a("mode", "nearest", "coordinate_transformation_mode", "asymmetric", "nearest_mode", "floor"));
        assertArrayEquals(new int[] {1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6}, got.toInts());
        Tensor y = Tensor.fromLongs(DType.UINT8, s(1, 2, 2), new long[] {10, 20, 30, 40});
        Tensor u8 = new G(13).input("x", y).omitted().omitted().constant(Tensor.ofLongs(s(3), 1, 4, 1))
                .run("Resize", a("mode", "nearest", "coordinate_transformation_mode", "half_pixel"));
        assertArrayEquals(new long[] {10, 10, 30, 30}, u8.toLongs());
    }

    @Test void resizeLinearOfIntegersIsRefused() {
        Tensor x = Tensor.ofInts(s(1, 1, 2, 2), 1, 2, 3, 4);
        ConversionException e = assertThrows(ConversionException.class,
                () -> new G(13).input("x", x).omitted().constant(Tensor.ofFloats(s(4), 1, 1, 2, 2)).run("Resize", a("mode", "linear")));
        assertTrue(e.getMessage().contains("float32"), e.getMessage());
    }

    /**
     * Static scales (weights computed in Java, the float64 reference algorithm) and run-time scales (the same
     * arithmetic as TFLite ops, checked against the ONNX node tests) must agree.
     */
    @Test void staticAndRunTimeScalesAgree() {
        Tensor x = iotaF(1, 2, 5, 7);
        float[][] scaleSets = {{1, 1, 2, 1.5f}, {1, 1, 0.6f, 0.45f}, {1, 1, 1.7f, 3}};
        String[][] cfgs = {
            {"nearest", "half_pixel", "round_prefer_floor"}, {"nearest", "asymmetric", "floor"}, {"nearest", "align_corners", "round_prefer_ceil"},
            {"nearest", "tf_half_pixel_for_nn", "ceil"}, {"linear", "half_pixel", ""}, {"linear", "pytorch_half_pixel", ""},
            {"linear", "align_corners", ""}, {"linear", "asymmetric", ""}, {"linear", "half_pixel_symmetric", ""},
            {"cubic", "half_pixel", ""}, {"cubic", "align_corners", ""}, {"cubic", "asymmetric", "exclude"},
            {"linear", "half_pixel", "antialias"}, {"cubic", "half_pixel", "antialias"},
        };
        for (float[] sc : scaleSets) {
            for (String[] c : cfgs) {
                Attrs.Builder b = Attrs.builder().put("mode", c[0]).put("coordinate_transformation_mode", c[1]);
                if (c[0].equals("nearest")) b.put("nearest_mode", c[2]);
                if (c[2].equals("exclude")) b.put("exclude_outside", 1L);
                if (c[2].equals("antialias")) b.put("antialias", 1L);
                Attrs at = b.build();
                Tensor scales = Tensor.ofFloats(s(4), sc);
                Tensor st = new G(19).input("x", x).omitted().constant(scales).run("Resize", at);
                // run-time scales: the output shape comes from the static run
                G rt = new G(19).input("x", x).omitted().input("s", scales);
                Node n = rt.node("Resize", at);
                n.output().setType(new ValueType(DType.FLOAT32, dev.onnxport.ir.Shape.of(st.shape())));
                new PassManager(Pipelines.cleanup(), 8).run(rt.g, PassContext.standard(new PassOptions("nchw")));
                Tensor got;
                try (TfliteRunner r = new TfliteRunner(new TfliteBackend().emit(rt.g, TfliteOptions.FLOAT32))) {
                    got = r.run(rt.feed).get("y");
                }
                String what = java.util.Arrays.toString(sc) + " " + String.join("/", c);
                assertArrayEquals(st.shape(), got.shape(), what);
                double[] w = st.toDoubles(), g = got.toDoubles();
                for (int i = 0; i < w.length; i++) assertEquals(w[i], g[i], 1e-4 + 1e-4 * Math.abs(w[i]), what + " element " + i);
            }
        }
    }

    @Test void resizeChannelsLastMatchesOnnxLayout() {
        Tensor x = iotaF(1, 3, 4, 5);
        float[][] scaleSets = {{1, 1, 2, 0.8f}, {1, 1, 2, 2}, {1, 1, 3, 1}, {1, 1, 0.5f, 0.6f}, {1, 1, 1.5f, 2.5f}};
        String[][] cfgs = {
            {"nearest", "half_pixel", "round_prefer_floor"}, {"nearest", "asymmetric", "floor"}, {"nearest", "align_corners", "round_prefer_ceil"},
            {"nearest", "tf_half_pixel_for_nn", "floor"}, {"nearest", "half_pixel", "round_prefer_ceil"}, {"linear", "half_pixel", ""},
            {"linear", "align_corners", ""}, {"linear", "asymmetric", ""}, {"linear", "pytorch_half_pixel", ""}, {"cubic", "half_pixel", ""},
        };
        int kernels = 0;
        for (float[] sc : scaleSets) {
            for (String[] c : cfgs) {
                Attrs.Builder b = Attrs.builder().put("mode", c[0]).put("coordinate_transformation_mode", c[1]);
                if (c[0].equals("nearest")) b.put("nearest_mode", c[2]);
                Attrs at = b.build();
                Tensor scales = Tensor.ofFloats(s(4), sc);
                Tensor want = nhwc(new G(13).input("x", x).omitted().constant(scales).run("Resize", at));
                G g = new G(13).input("x", nhwc(x)).omitted().constant(scales);
                Tensor got = g.run("Resize", at.toBuilder().put(Layout.ATTR, Layout.NHWC).build());
                String what = java.util.Arrays.toString(sc) + " " + String.join("/", c);
                assertArrayEquals(want.shape(), got.shape(), what);
                double[] w = want.toDoubles(), gv = got.toDoubles();
                for (int i = 0; i < w.length; i++) assertEquals(w[i], gv[i], 1e-5, what + " element " + i);
                kernels += usesResizeKernel(g.g) ? 1 : 0;
            }
        }
        assertTrue(kernels >= 10, "the TFLite resize kernels are used where they are exact (" + kernels + ")");
    }

    static boolean usesResizeKernel(Graph g) {
        byte[] model = new TfliteBackend().emit(g, TfliteOptions.FLOAT32);
        tflite.Model m = tflite.Model.getRootAsModel(java.nio.ByteBuffer.wrap(model));
        for (int i = 0; i < m.operatorCodesLength(); i++) {
            int code = Math.max(m.operatorCodes(i).builtinCode(), m.operatorCodes(i).deprecatedBuiltinCode());
            if (code == tflite.BuiltinOperator.RESIZE_BILINEAR || code == tflite.BuiltinOperator.RESIZE_NEAREST_NEIGHBOR) return true;
        }
        return false;
    }

    @Test void commonUpsamplesUseTheKernels() {
        Tensor x = nhwc(iotaF(1, 2, 3, 3));
        // Upsample nearest 2x (floor of x/2) and bilinear align_corners / half_pixel / asymmetric
        G up = new G(7).input("x", x);
        up.run("Upsample", a("mode", "nearest", "scales", new float[] {1, 1, 2, 2}, Layout.ATTR, Layout.NHWC));
        assertTrue(usesResizeKernel(up.g));
        for (String ctm : List.of("half_pixel", "align_corners", "asymmetric")) {
            G g = new G(13).input("x", x).omitted().constant(Tensor.ofFloats(s(4), 1, 1, 2, 2));
            g.run("Resize", a("mode", "linear", "coordinate_transformation_mode", ctm, Layout.ATTR, Layout.NHWC));
            assertTrue(usesResizeKernel(g.g), ctm);
        }
    }
}
