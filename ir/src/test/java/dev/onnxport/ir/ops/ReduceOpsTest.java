package dev.onnxport.ir.ops;

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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReduceOpsTest {
    static final OpRegistry REG = OpRegistry.standard();

    /** data [3, 2, 2] = 1..12 */
    static final Tensor X = Tensor.ofFloats(new long[] {3, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);

    static Graph graph() {
        Graph g = new Graph("t");
        g.opsets().put("", 18);
        return g;
    }

    static Node node(Graph g, String op, int opset, Attrs a, int outs, Value... ins) {
        String[] names = new String[outs];
        for (int i = 0; i < outs; i++) names[i] = "out" + i;
        return g.addNode("", op, op, Arrays.asList(ins), a, opset, names);
    }

    static List<ValueType> infer(Node n) { return REG.infer(n); }

    static List<Tensor> eval(Node n, Tensor... ins) { return REG.get(n.qualifiedOp()).eval().eval(n, Arrays.asList(ins)); }

    static void close(double[] expected, Tensor t) {
        double[] d = t.toDoubles();
        assertEquals(expected.length, d.length, "element count");
        for (int i = 0; i < d.length; i++) {
            if (Double.isNaN(expected[i])) assertTrue(Double.isNaN(d[i]), "NaN at " + i);
            else assertEquals(expected[i], d[i], 1e-5 * Math.max(1, Math.abs(expected[i])), "at " + i + " of " + Arrays.toString(d));
        }
    }

    static Attrs keep(long k) { return Attrs.builder().put("keepdims", k).build(); }

    // ------------------------------------------------------------------------------------------------ shapes

    @Test void attributeAxesKeepAndDrop() {
        Graph g = graph();
        Value x = g.addInput("x", ValueType.of(DType.FLOAT32, 3, 2, 2));
        Node k = node(g, "ReduceMean", 13, Attrs.builder().put("axes", new long[] {1}).put("keepdims", 1L).build(), 1, x);
        assertEquals(ValueType.of(DType.FLOAT32, 3, 1, 2), infer(k).get(0));
        Node d = node(g, "ReduceMax", 13, Attrs.builder().put("axes", new long[] {-1, 0}).put("keepdims", 0L).build(), 1, x);
        assertEquals(ValueType.of(DType.FLOAT32, 2), infer(d).get(0));
        Node all = node(g, "ReduceProd", 13, keep(1), 1, x);
        assertEquals(ValueType.of(DType.FLOAT32, 1, 1, 1), infer(all).get(0));
        Node allDrop = node(g, "ReduceL2", 13, keep(0), 1, x);
        assertEquals(ValueType.of(DType.FLOAT32), infer(allDrop).get(0));
    }

    @Test void constantAxesInput() {
        Graph g = graph();
        Value x = g.addInput("x", ValueType.of(DType.FLOAT32, 3, 2, 2));
        Value ax = g.addConstant("axes", Tensor.ofLongs(new long[] {1}, -2));
        Node s = node(g, "ReduceSum", 13, keep(0), 1, x, ax);
        assertEquals(ValueType.of(DType.FLOAT32, 3, 2), infer(s).get(0));
        // ReduceSum-11 has axes as attribute: a second input is not axes there, but ReduceSum-13 reads it
        Node l1 = node(g, "ReduceL1", 18, keep(1), 1, x, ax);
        assertEquals(ValueType.of(DType.FLOAT32, 3, 1, 2), infer(l1).get(0));
        assertTrue(ReduceOps.axesAsInput(s));
        assertFalse(ReduceOps.axesAsInput(node(g, "ReduceL1", 13, keep(1), 1, x)));
    }

    @Test void runtimeAxesGiveSymbolicDims() {
        Graph g = graph();
        Value x = g.addInput("x", ValueType.of(DType.FLOAT32, 3, 1, 2));
        Value ax = g.addInput("axes", ValueType.of(DType.INT64, 1));
        Node keepN = node(g, "ReduceSum", 13, keep(1), 1, x, ax);
        Shape s = infer(keepN).get(0).shape();
        assertEquals(3, s.rank());
        assertFalse(s.dim(0).isKnown());
        assertEquals(Dim.of(1), s.dim(1), "a dim of 1 stays 1 whichever axes are reduced");
        Node drop = node(g, "ReduceMax", 18, keep(0), 1, x, ax);
        Shape d = infer(drop).get(0).shape();
        assertEquals(2, d.rank(), "rank drops by the number of run-time axes");
        ReduceOps.ReduceAxes ra = ReduceOps.reduceAxes(drop, 3);
        assertTrue(ra.isRuntime());
        assertEquals(1, ra.runtimeCount());
        Value unknownLen = g.addInput("axes2", new ValueType(DType.INT64, Shape.of(List.of(Dim.sym("n")))));
        Node unk = node(g, "ReduceMin", 18, keep(0), 1, x, unknownLen);
        assertNull(infer(unk).get(0).shape(), "unknown number of axes and keepdims=0: unknown rank");
    }

    @Test void emptyAxesMeanAllOrNoop() {
        Graph g = graph();
        Value x = g.addInput("x", ValueType.of(DType.FLOAT32, 3, 2, 2));
        Value empty = g.addInput("axes", ValueType.of(DType.INT64, 0));
        Node all = node(g, "ReduceSum", 13, keep(1), 1, x, empty);
        assertEquals(ValueType.of(DType.FLOAT32, 1, 1, 1), infer(all).get(0));
        assertArrayEquals(new int[] {0, 1, 2}, ReduceOps.reduceAxes(all, 3).axes());
        Node noop = node(g, "ReduceSum", 13, Attrs.builder().put("keepdims", 0L).put("noop_with_empty_axes", 1L).build(), 1, x, empty);
        assertEquals(ValueType.of(DType.FLOAT32, 3, 2, 2), infer(noop).get(0));
        assertTrue(ReduceOps.reduceAxes(noop, 3).noop());
        Node absent = node(g, "ReduceMean", 18, Attrs.builder().put("noop_with_empty_axes", 1L).build(), 1, x);
        assertTrue(ReduceOps.reduceAxes(absent, 3).noop());
    }

    @Test void normalizeAxesSortsAndDeduplicates() {
        assertArrayEquals(new int[] {0, 2}, ReduceOps.normalizeAxes(new long[] {2, -3, 0}, 3));
        assertThrows(RuntimeException.class, () -> ReduceOps.normalizeAxes(new long[] {3}, 3));
    }

    @Test void argShapes() {
        Graph g = graph();
        Value x = g.addInput("x", ValueType.of(DType.FLOAT32, 2, 3, 4));
        assertEquals(ValueType.of(DType.INT64, 1, 3, 4), infer(node(g, "ArgMax", 13, Attrs.EMPTY, 1, x)).get(0));
        assertEquals(ValueType.of(DType.INT64, 2, 3),
                infer(node(g, "ArgMin", 13, Attrs.builder().put("axis", -1L).put("keepdims", 0L).build(), 1, x)).get(0));
    }

    @Test void topKShapes() {
        Graph g = graph();
        Value x = g.addInput("x", ValueType.of(DType.FLOAT32, 3, 4));
        Value k = g.addConstant("k", Tensor.ofLongs(new long[] {1}, 3));
        List<ValueType> t = infer(node(g, "TopK", 11, Attrs.builder().put("axis", 1L).build(), 2, x, k));
        assertEquals(ValueType.of(DType.FLOAT32, 3, 3), t.get(0));
        assertEquals(ValueType.of(DType.INT64, 3, 3), t.get(1));
        List<ValueType> v1 = infer(node(g, "TopK", 1, Attrs.builder().put("axis", 0L).put("k", 2L).build(), 2, x));
        assertEquals(ValueType.of(DType.FLOAT32, 2, 4), v1.get(0));
        Value kr = g.addInput("kr", ValueType.of(DType.INT64, 1));
        Shape s = infer(node(g, "TopK", 11, Attrs.EMPTY, 2, x, kr)).get(0).shape();
        assertEquals(Dim.of(3), s.dim(0));
        assertFalse(s.dim(1).isKnown());
        Value big = g.addConstant("big", Tensor.ofLongs(new long[] {1}, 5));
        assertThrows(RuntimeException.class, () -> infer(node(g, "TopK", 11, Attrs.EMPTY, 2, x, big)));
    }

    @Test void cumAndNmsShapes() {
        Graph g = graph();
        Value x = g.addInput("x", ValueType.of(DType.INT32, 2, 3));
        Value ax = g.addInput("axis", ValueType.of(DType.INT32));
        assertEquals(ValueType.of(DType.INT32, 2, 3), infer(node(g, "CumSum", 14, Attrs.EMPTY, 1, x, ax)).get(0));
        assertEquals(ValueType.of(DType.INT32, 2, 3), infer(node(g, "CumProd", 22, Attrs.EMPTY, 1, x, ax)).get(0));
        Value boxes = g.addInput("boxes", ValueType.of(DType.FLOAT32, 1, 6, 4));
        Value scores = g.addInput("scores", ValueType.of(DType.FLOAT32, 1, 1, 6));
        Shape s = infer(node(g, "NonMaxSuppression", 11, Attrs.EMPTY, 1, boxes, scores)).get(0).shape();
        assertEquals(2, s.rank());
        assertFalse(s.dim(0).isKnown());
        assertEquals(Dim.of(3), s.dim(1));
    }

    // ------------------------------------------------------------------------------------------------ evaluators

    static Tensor reduce(String op, Tensor x, long[] axes, long keepdims) {
        Graph g = graph();
        Value xv = g.addInput("x", x.type());
        Attrs a = Attrs.builder().put("keepdims", keepdims).put("axes", axes).build();
        return eval(node(g, op, 13, a, 1, xv), x).get(0);
    }

    @Test void reduceEvaluatorsAxis1() {
        // groups over axis 1 of [[1,2],[3,4]], [[5,6],[7,8]], [[9,10],[11,12]]: pairs (1,3) (2,4) (5,7) (6,8) (9,11) (10,12)
        close(new double[] {4, 6, 12, 14, 20, 22}, reduce("ReduceSum", X, new long[] {1}, 0));
        close(new double[] {2, 3, 6, 7, 10, 11}, reduce("ReduceMean", X, new long[] {1}, 1));
        close(new double[] {3, 4, 7, 8, 11, 12}, reduce("ReduceMax", X, new long[] {1}, 1));
        close(new double[] {1, 2, 5, 6, 9, 10}, reduce("ReduceMin", X, new long[] {-2}, 1));
        close(new double[] {3, 8, 35, 48, 99, 120}, reduce("ReduceProd", X, new long[] {1}, 1));
        close(new double[] {10, 20, 74, 100, 202, 244}, reduce("ReduceSumSquare", X, new long[] {1}, 1));
        close(new double[] {Math.sqrt(10), Math.sqrt(20), Math.sqrt(74), 10, Math.sqrt(202), Math.sqrt(244)},
                reduce("ReduceL2", X, new long[] {1}, 1));
        close(new double[] {Math.log(4), Math.log(6), Math.log(12), Math.log(14), Math.log(20), Math.log(22)},
                reduce("ReduceLogSum", X, new long[] {1}, 1));
        Tensor r = reduce("ReduceSum", X, new long[] {1}, 1);
        assertArrayEquals(new long[] {3, 1, 2}, r.shape());
    }

    @Test void reduceL1AndLogSumExp() {
        Tensor neg = Tensor.ofFloats(new long[] {2, 2}, -1, 2, -3, 4);
        close(new double[] {4, 6}, reduce("ReduceL1", neg, new long[] {0}, 0));
        // log(e^1000 + e^1000) = 1000 + log 2 (needs the max shift to avoid overflow)
        Tensor big = Tensor.ofFloats(new long[] {1, 2}, 1000, 1000);
        close(new double[] {1000 + Math.log(2)}, reduce("ReduceLogSumExp", big, new long[] {1}, 0));
        close(new double[] {Math.log(Math.exp(-1) + Math.exp(-3)), Math.log(Math.exp(2) + Math.exp(4))},
                reduce("ReduceLogSumExp", neg, new long[] {0}, 0));
    }

    @Test void reduceAllAxesAndNoop() {
        Graph g = graph();
        Value xv = g.addInput("x", X.type());
        Tensor all = eval(node(g, "ReduceSum", 13, keep(0), 1, xv, g.addInput("a", ValueType.of(DType.INT64, 0))),
                X, Tensor.ofLongs(new long[] {0})).get(0);
        assertArrayEquals(new long[0], all.shape());
        close(new double[] {78}, all);
        Node noop = node(g, "ReduceSum", 13, Attrs.builder().put("noop_with_empty_axes", 1L).build(), 1, xv,
                g.addInput("b", ValueType.of(DType.INT64, 0)));
        assertEquals(X, eval(noop, X, Tensor.ofLongs(new long[] {0})).get(0));
        Node runtime = node(g, "ReduceSum", 13, keep(1), 1, xv, g.addInput("c", ValueType.of(DType.INT64, 1)));
        assertNull(eval(runtime, X, null), "axes input not constant: no folding");
    }

    @Test void reduceIntegersAndBools() {
        Tensor i = Tensor.ofLongs(new long[] {2, 3}, 1, -2, 3, 4, 5, -6);
        Tensor s = reduce("ReduceSum", i, new long[] {1}, 0);
        assertEquals(DType.INT64, s.dtype());
        assertArrayEquals(new long[] {2, 3}, s.toLongs());
        assertArrayEquals(new long[] {-6, -120}, reduce("ReduceProd", i, new long[] {1}, 0).toLongs());
        assertArrayEquals(new long[] {3, 5}, reduce("ReduceMax", i, new long[] {1}, 0).toLongs());
        assertArrayEquals(new long[] {0, 1}, reduce("ReduceMean", i, new long[] {1}, 0).toLongs(), "integer mean truncates: 2/3=0, 3/3=1");
        // shape arithmetic: product of a shape vector
        assertArrayEquals(new long[] {24}, reduce("ReduceProd", Tensor.ofLongs(new long[] {3}, 2, 3, 4), new long[] {0}, 1).toLongs());
        Tensor b = Tensor.fromLongs(DType.BOOL, new long[] {2, 2}, new long[] {1, 0, 1, 1});
        assertArrayEquals(new long[] {1, 1}, reduce("ReduceMax", b, new long[] {1}, 0).toLongs());
        assertArrayEquals(new long[] {0, 1}, reduce("ReduceMin", b, new long[] {1}, 0).toLongs());
    }

    @Test void reduceEmptySetValues() {
        Tensor e = Tensor.ofFloats(new long[] {2, 0, 4});
        close(new double[] {0, 0, 0, 0, 0, 0, 0, 0}, reduce("ReduceSum", e, new long[] {1}, 1));
        close(new double[] {1, 1, 1, 1, 1, 1, 1, 1}, reduce("ReduceProd", e, new long[] {1}, 1));
        Tensor mx = reduce("ReduceMax", e, new long[] {1}, 1);
        assertEquals(Double.NEGATIVE_INFINITY, mx.getDouble(0));
        assertEquals(Double.POSITIVE_INFINITY, reduce("ReduceMin", e, new long[] {1}, 1).getDouble(3));
        assertEquals(Double.NEGATIVE_INFINITY, reduce("ReduceLogSum", e, new long[] {1}, 0).getDouble(0));
        assertEquals(Double.NEGATIVE_INFINITY, reduce("ReduceLogSumExp", e, new long[] {1}, 0).getDouble(0));
        assertArrayEquals(new long[] {2, 0, 1}, reduce("ReduceSum", e, new long[] {2}, 1).shape());
    }

    @Test void argMaxMinEval() {
        Graph g = graph();
        Tensor x = Tensor.ofFloats(new long[] {2, 3}, 2, 7, 7, 5, 1, 1);
        Value xv = g.addInput("x", x.type());
        assertArrayEquals(new long[] {1, 0}, eval(node(g, "ArgMax", 13, Attrs.builder().put("axis", 1L).put("keepdims", 0L).build(), 1, xv), x).get(0).toLongs());
        assertArrayEquals(new long[] {2, 0}, eval(node(g, "ArgMax", 13,
                Attrs.builder().put("axis", 1L).put("keepdims", 0L).put("select_last_index", 1L).build(), 1, xv), x).get(0).toLongs());
        Tensor mn = eval(node(g, "ArgMin", 13, Attrs.builder().put("axis", -1L).put("select_last_index", 1L).build(), 1, xv), x).get(0);
        assertArrayEquals(new long[] {2, 1}, mn.shape());
        assertArrayEquals(new long[] {0, 2}, mn.toLongs());
        assertArrayEquals(new long[] {0, 1, 1}, eval(node(g, "ArgMin", 13, Attrs.builder().put("keepdims", 0L).build(), 1, xv), x).get(0).toLongs());
    }

    @Test void topKEval() {
        Graph g = graph();
        Tensor x = Tensor.ofFloats(new long[] {2, 4}, 3, 1, 3, 2, 0, 5, -1, 5);
        Value xv = g.addInput("x", x.type());
        Value kv = g.addInput("k", ValueType.of(DType.INT64, 1));
        List<Tensor> r = eval(node(g, "TopK", 11, Attrs.EMPTY, 2, xv, kv), x, Tensor.ofLongs(new long[] {1}, 2));
        close(new double[] {3, 3, 5, 5}, r.get(0));
        assertArrayEquals(new long[] {0, 2, 1, 3}, r.get(1).toLongs(), "ties: the lower index first");
        List<Tensor> s = eval(node(g, "TopK", 11, Attrs.builder().put("largest", 0L).build(), 2, xv, kv), x, Tensor.ofLongs(new long[] {1}, 3));
        close(new double[] {1, 2, 3, -1, 0, 5}, s.get(0));
        assertArrayEquals(new long[] {1, 3, 0, 2, 0, 1}, s.get(1).toLongs());
        List<Tensor> ax0 = eval(node(g, "TopK", 1, Attrs.builder().put("axis", 0L).put("k", 1L).build(), 2, xv), x);
        close(new double[] {3, 5, 3, 5}, ax0.get(0));
        assertArrayEquals(new long[] {0, 1, 0, 1}, ax0.get(1).toLongs());
    }

    @Test void cumEval() {
        Graph g = graph();
        Tensor x = Tensor.ofInts(new long[] {2, 3}, 1, 2, 3, 4, 5, 6);
        Value xv = g.addInput("x", x.type());
        Value av = g.addInput("axis", ValueType.of(DType.INT32));
        Tensor ax0 = Tensor.ofInts(new long[0], 0), ax1 = Tensor.ofInts(new long[0], -1);
        assertArrayEquals(new long[] {1, 2, 3, 5, 7, 9}, eval(node(g, "CumSum", 14, Attrs.EMPTY, 1, xv, av), x, ax0).get(0).toLongs());
        assertArrayEquals(new long[] {1, 3, 6, 4, 9, 15}, eval(node(g, "CumSum", 14, Attrs.EMPTY, 1, xv, av), x, ax1).get(0).toLongs());
        assertArrayEquals(new long[] {0, 1, 3, 0, 4, 9},
                eval(node(g, "CumSum", 14, Attrs.builder().put("exclusive", 1L).build(), 1, xv, av), x, ax1).get(0).toLongs());
        assertArrayEquals(new long[] {5, 3, 0, 11, 6, 0},
                eval(node(g, "CumSum", 14, Attrs.builder().put("exclusive", 1L).put("reverse", 1L).build(), 1, xv, av), x, ax1).get(0).toLongs());
        assertArrayEquals(new long[] {6, 6, 3, 120, 30, 6},
                eval(node(g, "CumProd", 22, Attrs.builder().put("reverse", 1L).build(), 1, xv, av), x, ax1).get(0).toLongs());
        assertArrayEquals(new long[] {1, 1, 2, 1, 4, 20},
                eval(node(g, "CumProd", 22, Attrs.builder().put("exclusive", 1L).build(), 1, xv, av), x, ax1).get(0).toLongs());
        Tensor f = Tensor.ofFloats(new long[] {3}, 0.5f, 2, 4);
        close(new double[] {0.5, 2.5, 6.5}, eval(node(g, "CumSum", 14, Attrs.EMPTY, 1, g.addInput("f", f.type()), av), f, ax0).get(0));
    }

    @Test void everyReductionIsRegistered() {
        List<String> ops = new ArrayList<>(ReduceOps.REDUCTIONS);
        ops.addAll(List.of("ArgMax", "ArgMin", "TopK", "CumSum", "CumProd", "NonMaxSuppression"));
        for (String op : ops) assertTrue(REG.knows(op), op);
    }
}
