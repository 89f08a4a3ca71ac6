package dev.onnxport.passes.portable;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.passes.Pass;
import dev.onnxport.passes.PassContext;
import dev.onnxport.passes.PassManager;
import dev.onnxport.passes.PassOptions;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The registry, and pure-IR properties of every portable pass (numbers are checked in backends' tests). */
class PortablePassesTest {
    static PassContext ctx() { return PassContext.standard(PassOptions.DEFAULT); }

    static ValueType f32(long... d) { return ValueType.of(DType.FLOAT32, d); }

    static Value node(Graph g, String domain, String op, Attrs a, ValueType t, Value... ins) {
        Node n = g.addNode(domain, op, op.toLowerCase(), java.util.Arrays.asList(ins), a, domain.isEmpty() ? g.opset() : 1, op.toLowerCase());
        n.output().setType(t);
        return n.output();
    }

    @Test void registry() {
        List<String> names = PortablePasses.names();
        assertEquals(List.of("reduce-keepdims", "gather-to-slice", "unsqueeze-to-reshape", "gathernd-decompose", "gridsample-decompose",
                "nms-single-class", "inverse-decompose", "det-decompose", "mvn-decompose", "atan-family", "primitive-activations",
                "dynamic-batch", "fused-argmax"), names);
        assertEquals(names.size(), new HashSet<>(names).size());
        List<Pass> all = PortablePasses.all();
        for (int i = 0; i < all.size(); i++) {
            Pass p = all.get(i);
            assertEquals(names.get(i), p.name());
            assertEquals(p.name(), PortablePasses.byName(p.name()).name());
            assertFalse(p.description().isBlank() || p.description().contains("\n"), p.name());
        }
        assertEquals(names.size() - 3, PortablePasses.defaults().size());
        assertTrue(PortablePasses.isOptIn("fused-argmax"));
        assertTrue(PortablePasses.isOptIn("nms-single-class"), "it changes results by design (best-class NMS)");
        assertTrue(PortablePasses.isOptIn("dynamic-batch"), "it changes the model's input shapes");
        assertTrue(PortablePasses.optInReason("dynamic-batch").contains("input shapes"));
        assertEquals(null, PortablePasses.optInReason("mvn-decompose"));
        assertTrue(PortablePasses.defaults().stream().noneMatch(p -> p.name().equals("dynamic-batch")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PortablePasses.byName("nope"));
        assertTrue(e.getMessage().contains("gridsample-decompose"));
        Pass mvn = PortablePasses.byName("mvn-decompose", PortableOptions.DEFAULT.withMvnAntiFusion(true));
        assertTrue(assertInstanceOf(MvnDecompose.class, mvn).antiFusion());
        assertThrows(IllegalArgumentException.class, () -> PortableOptions.DEFAULT.withArgmaxScale(1.5));
    }

    /** A graph none of the passes applies to: Conv, Relu, Add, a computed Reshape target, and a dynamic batch. */
    static Graph plain() {
        Graph g = new Graph("plain");
        g.opsets().put("", 13);
        Value x = g.addInput("x", new ValueType(DType.FLOAT32, dev.onnxport.ir.Shape.of(List.of(dev.onnxport.ir.Dim.sym("N"), dev.onnxport.ir.Dim.of(3),
                dev.onnxport.ir.Dim.of(8), dev.onnxport.ir.Dim.of(8)))));
        Value w = g.addConstant("w", Tensor.ofFloats(new long[] {2, 3, 1, 1}, 1, 2, 3, 4, 5, 6));
        Value c = node(g, "", "Conv", Attrs.EMPTY, null, x, w);
        Value r = node(g, "", "Relu", Attrs.EMPTY, null, c);
        Value s = node(g, "", "Shape", Attrs.EMPTY, ValueType.of(DType.INT64, 4), r);
        Value y = node(g, "", "Reshape", Attrs.EMPTY, null, node(g, "", "Add", Attrs.EMPTY, null, r, r), s);
        g.addOutput(y);
        return g;
    }

    @Test void everyPassLeavesAnUnrelatedGraphAlone() {
        for (Pass p : PortablePasses.all()) {
            Graph g = plain();
            String before = g.dump();
            int constants = g.constants().size();
            assertFalse(p.run(g, ctx()), p.name());
            assertEquals(before, g.dump(), p.name());
            assertEquals(constants, g.constants().size(), p.name());
        }
    }

    /** One graph with every op the default passes rewrite, static shapes. */
    static Graph everything() {
        Graph g = new Graph("all");
        g.opsets().put("", 17);
        g.opsets().put("com.microsoft", 1);
        Value x = g.addInput("x", f32(1, 2, 4, 4));
        Value grid = g.addInput("grid", f32(1, 3, 3, 2));
        Value gs = node(g, "", "GridSample", Attrs.EMPTY, f32(1, 2, 3, 3), x, grid);
        Value mx = node(g, "", "ReduceMax", Attrs.builder().put("axes", new long[] {1}).put("keepdims", 0L).build(), f32(1, 3, 3), gs);
        Value u = node(g, "", "Unsqueeze", Attrs.EMPTY, f32(1, 1, 3, 3), mx, g.addConstant("a1", Tensor.ofLongs(new long[] {1}, 1)));
        Value gat = node(g, "", "Gather", Attrs.builder().put("axis", 2L).build(), f32(1, 1, 3), u, g.addConstant("i", Tensor.scalarLong(1)));
        Value u2 = node(g, "", "Unsqueeze", Attrs.EMPTY, f32(1, 1, 3, 1), gat, g.addConstant("a2", Tensor.ofLongs(new long[] {1}, -1)));
        Value at = node(g, "", "Atan", Attrs.EMPTY, f32(1, 1, 3, 1), u2);
        Value er = node(g, "", "Erf", Attrs.EMPTY, f32(1, 1, 3, 1), at);
        Value mvn = node(g, "", "MeanVarianceNormalization", Attrs.EMPTY, f32(1, 2, 4, 4), x);
        Value m3 = node(g, "", "Reshape", Attrs.EMPTY, f32(1, 8, 2, 2), mvn, g.addConstant("t", Tensor.ofLongs(new long[] {4}, 1, 8, 2, 2)));
        Value det = node(g, "", "Det", Attrs.EMPTY, f32(1, 8), m3);
        Value inv = node(g, "com.microsoft", "Inverse", Attrs.EMPTY, f32(1, 8, 2, 2), m3);
        Value gnd = node(g, "", "GatherND", Attrs.EMPTY, f32(2, 2, 2), inv, g.addConstant("gi", Tensor.ofLongs(new long[] {2, 2}, 0, 1, 0, 7)));
        g.addOutput(er);
        g.addOutput(det);
        g.addOutput(gnd);
        return g;
    }

    @Test void allDefaultsRunTogetherAndSettle() {
        Graph g = everything();
        PassContext ctx = ctx();
        List<Pass> passes = new java.util.ArrayList<>(PortablePasses.defaults());
        passes.add(PortablePasses.byName("dynamic-batch")); // opt-in, asked for here
        new PassManager(passes, 4).run(g, ctx);
        Set<String> left = g.opHistogram().keySet();
        for (String op : List.of("GridSample", "Unsqueeze", "Atan", "Erf", "MeanVarianceNormalization", "Det", "com.microsoft.Inverse", "GatherND"))
            assertFalse(left.contains(op), op + " left: " + left);
        assertFalse(g.inputs().get(0).shape().dim(0).isKnown(), "dynamic-batch made the batch symbolic");
        for (Pass p : passes) {
            String before = g.dump();
            assertFalse(p.run(g, ctx), p.name() + " is not idempotent");
            assertEquals(before, g.dump());
        }
    }

    @Test void passOptionsKeepTheirOldConstructorAndCarryPortableOptionsAndATargetOpset() {
        PassOptions o = new PassOptions("nchw");
        assertEquals(PortableOptions.DEFAULT, o.portable());
        assertEquals(0, o.targetOpset());
        assertEquals(13, o.opsetFor(13));
        PassOptions t = o.withPortable(PortableOptions.DEFAULT.withMvnAntiFusion(true)).withTargetOpset(11);
        assertTrue(t.portable().mvnAntiFusion());
        assertEquals(11, t.opsetFor(13));
        assertEquals("nchw", t.ioLayout());
        assertEquals(PortableOptions.DEFAULT, new PassOptions("nhwc", null, 0).portable());
    }

    @Test void createdNodesTakeTheTargetOpsetsForm() {
        // opset 13: a Gather of a scalar index read by a plain reader becomes Slice + Squeeze; at target opset 11 the
        // Squeeze takes its axes as an attribute (Squeeze-11), at the graph's own opset as an input (Squeeze-13)
        for (int target : new int[] {0, 11}) {
            Graph g = new Graph("t");
            g.opsets().put("", 13);
            Value x = g.addInput("x", f32(2, 3));
            Value y = node(g, "", "Gather", Attrs.builder().put("axis", 1L).build(), f32(2), x, g.addConstant("i", Tensor.scalarLong(1)));
            g.addOutput(node(g, "", "Relu", Attrs.EMPTY, f32(2), y));
            PassContext c = PassContext.standard(new PassOptions("nchw").withTargetOpset(target));
            assertTrue(new GatherToSlice().run(g, c));
            Node sq = g.nodes().stream().filter(n -> n.opType().equals("Squeeze")).findFirst().orElseThrow();
            assertEquals(target == 0 ? 13 : 11, sq.opset());
            assertEquals(target == 11, sq.attrs().has("axes"), sq.describe());
            assertEquals(target == 11 ? 1 : 2, sq.inputs().size());
            Node relu = g.nodes().stream().filter(n -> n.opType().equals("Relu")).findFirst().orElseThrow();
            assertEquals(13, relu.opset(), "existing nodes keep their opset");
        }
    }
}
