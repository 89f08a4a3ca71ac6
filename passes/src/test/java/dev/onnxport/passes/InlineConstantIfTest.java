package dev.onnxport.passes;

import dev.onnxport.ir.Attr;
import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.ir.ops.OpRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InlineConstantIfTest {
    static final ValueType F2 = ValueType.of(DType.FLOAT32, 2);

    /** A registry with an Equal evaluator of its own, so that the test does not depend on another family's. */
    static PassContext ctx() {
        OpRegistry r = new OpRegistry();
        r.register("Equal", n -> List.of(ValueType.of(DType.BOOL)),
                (n, ins) -> List.of(Tensor.fromLongs(DType.BOOL, new long[0], new long[] {ins.get(0).getLong(0) == ins.get(1).getLong(0) ? 1 : 0})));
        return new PassContext(r, PassOptions.DEFAULT);
    }

    /** then: y = Add(x, 1) with a branch constant; else: y = Mul(x, k) where k is a parent value. */
    static Graph model(Value[] xOut, boolean constCond) {
        Graph g = new Graph("main");
        g.opsets().put("", 17);
        Value x = g.addInput("x", F2);
        Value k = g.addNode("", "Neg", "neg", List.of(x), Attrs.EMPTY, 17, "k").output();
        k.setType(F2);
        Value cond;
        if (constCond) {
            cond = g.addConstant("cond", Tensor.fromLongs(DType.BOOL, new long[0], new long[] {1}));
        } else {
            Value sr = g.addConstant("sr", Tensor.scalarLong(16000));
            Value ref = g.addConstant("sr16k", Tensor.scalarLong(16000));
            cond = g.addNode("", "Equal", "eq", List.of(sr, ref), Attrs.EMPTY, 17, "is16k").output();
        }
        Graph thenG = new Graph("then");
        Value tx = thenG.addOuterRef("x", F2);
        Value one = thenG.addConstant("one", Tensor.ofFloats(new long[] {2}, 1, 1));
        Node add = thenG.addNodeExact("", "Add", "add", List.of(tx, one), Attrs.EMPTY, 17, List.of("k")); // name clashes with the parent's k
        add.output().setType(F2);
        thenG.addOutput(add.output());
        Graph elseG = new Graph("else");
        Value ex = elseG.addOuterRef("x", F2), ek = elseG.addOuterRef("k", F2);
        Node mul = elseG.addNodeExact("", "Mul", "mul", List.of(ex, ek), Attrs.EMPTY, 17, List.of("m"));
        elseG.addOutput(mul.output());
        Attrs a = Attrs.builder().put("then_branch", new Attr.GraphAttr(thenG)).put("else_branch", new Attr.GraphAttr(elseG)).build();
        Node iff = g.addNodeExact("", "If", "if", List.of(cond), a, 17, List.of("y"));
        Node after = g.addNodeExact("", "Relu", "relu", List.of(iff.output()), Attrs.EMPTY, 17, List.of("z"));
        g.addOutput(iff.output());
        g.addOutput(after.output());
        xOut[0] = x;
        return g;
    }

    static Node only(Graph g, String op) {
        List<Node> l = g.nodes().stream().filter(n -> n.opType().equals(op)).toList();
        assertEquals(1, l.size(), op + " in " + g.dump());
        return l.get(0);
    }

    @Test
    void inlinesTheThenBranchOfAConstantCondition() {
        Value[] x = new Value[1];
        Graph g = model(x, true);
        assertTrue(new InlineConstantIf().run(g, ctx()));
        g.topoSort();
        assertEquals(0, g.nodes().stream().filter(n -> n.opType().equals("If")).count());
        Node add = only(g, "Add");
        assertSame(x[0], add.input(0));
        assertTrue(add.input(1).isConstant());
        assertEquals(1.0, add.input(1).constant().getDouble(1));
        assertNotEquals("k", add.output().name()); // renamed: the parent already has a 'k'
        assertEquals("y", g.outputs().get(0).name()); // the graph output keeps the If's name
        assertSame(add.output(), g.outputs().get(0));
        assertSame(add.output(), only(g, "Relu").input(0));
        assertEquals(F2, add.output().type());
    }

    @Test
    void evaluatesAComputedConditionAndMapsOuterReferences() {
        Value[] x = new Value[1];
        Graph g = model(x, false);
        // flip the comparison so that the else branch is taken
        Node eq = only(g, "Equal");
        g.setInput(eq, 1, g.addConstant("sr8k", Tensor.scalarLong(8000)));
        PassContext c = ctx();
        assertTrue(new InlineConstantIf().run(g, c));
        Node mul = only(g, "Mul");
        assertSame(x[0], mul.input(0));
        assertSame(only(g, "Neg").output(), mul.input(1));
        assertEquals("y", g.outputs().get(0).name());
        assertSame(mul.output(), only(g, "Relu").input(0));
        assertTrue(c.log().get(0).contains("else_branch"));
        g.removeDeadCode();
        assertEquals(Map.of("Neg", 1, "Mul", 1, "Relu", 1), g.opHistogram());
    }

    @Test
    void findsAnOuterReferenceFoldedIntoARenamedConstant() {
        Value[] x = new Value[1];
        Graph g = model(x, true);
        Graph thenG = only(g, "If").attrs().getGraph("then_branch");
        // as fold-constants leaves it: 'c0' was replaced by a constant 'c0_folded' that keeps c0's provenance
        Value folded = g.addConstant("c0_folded", Tensor.ofFloats(new long[] {2}, 3, 4));
        folded.setProvenance(dev.onnxport.ir.Provenance.of("c0"));
        Value ref = thenG.addOuterRef("c0", F2);
        Node sub = thenG.addNodeExact("", "Sub", "sub", List.of(thenG.outputs().get(0), ref), Attrs.EMPTY, 17, List.of("s"));
        thenG.setOutput(0, sub.output());
        assertTrue(new InlineConstantIf().run(g, ctx()));
        assertSame(folded, only(g, "Sub").input(1));
    }

    @Test
    void leavesARuntimeConditionAlone() {
        Graph g = new Graph("main");
        g.opsets().put("", 17);
        Value cond = g.addInput("cond", ValueType.of(DType.BOOL));
        Graph thenG = new Graph("then");
        thenG.addOutput(thenG.addConstant("a", Tensor.scalarFloat(1)));
        Graph elseG = new Graph("else");
        elseG.addOutput(elseG.addConstant("b", Tensor.scalarFloat(2)));
        Attrs a = Attrs.builder().put("then_branch", new Attr.GraphAttr(thenG)).put("else_branch", new Attr.GraphAttr(elseG)).build();
        Node iff = g.addNodeExact("", "If", "if", List.of(cond), a, 17, List.of("y"));
        g.addOutput(iff.output());
        assertFalse(new InlineConstantIf().run(g, ctx()));
        assertEquals(1, g.nodes().size());
    }

    @Test
    void aBranchThatReturnsAConstantGivesAnIdentityForTheGraphOutput() {
        Graph g = new Graph("main");
        g.opsets().put("", 17);
        Value cond = g.addConstant("cond", Tensor.fromLongs(DType.BOOL, new long[] {1}, new long[] {0}));
        Graph thenG = new Graph("then");
        thenG.addOutput(thenG.addConstant("a", Tensor.scalarFloat(1)));
        Graph elseG = new Graph("else");
        elseG.addOutput(elseG.addConstant("b", Tensor.scalarFloat(2)));
        Attrs a = Attrs.builder().put("then_branch", new Attr.GraphAttr(thenG)).put("else_branch", new Attr.GraphAttr(elseG)).build();
        Node iff = g.addNodeExact("", "If", "if", List.of(cond), a, 17, List.of("y"));
        g.addOutput(iff.output());
        assertTrue(new InlineConstantIf().run(g, ctx()));
        Node id = only(g, "Identity");
        assertEquals(2.0, id.input(0).constant().getDouble(0));
        assertEquals("y", g.outputs().get(0).name());
    }

    @Test
    void reportsAnOuterReferenceTheParentLost() {
        Value[] x = new Value[1];
        Graph g = model(x, true);
        Graph thenG = only(g, "If").attrs().getGraph("then_branch");
        Value ref = thenG.addOuterRef("gone", F2);
        Node sub = thenG.addNodeExact("", "Sub", "sub", List.of(thenG.outputs().get(0), ref), Attrs.EMPTY, 17, List.of("s"));
        thenG.setOutput(0, sub.output());
        var e = assertThrows(dev.onnxport.ir.ConversionException.class, () -> new InlineConstantIf().run(g, ctx()));
        assertTrue(e.getMessage().contains("'gone'"), e.getMessage());
    }

    @Test
    void runsInsideThePassManager() {
        Value[] x = new Value[1];
        Graph g = model(x, false);
        new PassManager(List.of(new InlineConstantIf(), new DeadCode()), 4).run(g, ctx());
        assertEquals(Map.of("Add", 1, "Relu", 1), g.opHistogram());
        assertEquals(List.of("y", "z"), g.outputs().stream().map(Value::name).toList());
    }
}
