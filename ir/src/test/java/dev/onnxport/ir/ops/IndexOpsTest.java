package dev.onnxport.ir.ops;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Layout;
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

class IndexOpsTest {
    static final OpRegistry R = OpRegistry.standard();

    /** A node over the given inputs: Tensor entries become constants, ValueType entries graph inputs, null omitted. */
    static Node node(String op, int opset, Attrs attrs, Object... ins) {
        Graph g = new Graph("t");
        g.opsets().put("", opset);
        List<Value> vs = new ArrayList<>();
        int i = 0;
        for (Object o : ins) {
            if (o == null) vs.add(null);
            else if (o instanceof Tensor t) vs.add(g.addConstant("c" + i, t));
            else vs.add(g.addInput("x" + i, (ValueType) o));
            i++;
        }
        return g.addNode("", op, op, vs, attrs, opset, "y");
    }

    static Node node(String op, Attrs attrs, Object... ins) { return node(op, 18, attrs, ins); }

    static ValueType infer(Node n) { return R.infer(n).get(0); }

    static Tensor eval(Node n) {
        List<Tensor> in = new ArrayList<>();
        for (Value v : n.inputs()) in.add(v == null ? null : v.constant());
        List<Tensor> out = R.get(n.qualifiedOp()).eval().eval(n, in);
        return out == null ? null : out.get(0);
    }

    static Attrs a(Object... kv) {
        Attrs.Builder b = Attrs.builder();
        for (int i = 0; i < kv.length; i += 2) {
            String k = (String) kv[i];
            Object v = kv[i + 1];
            if (v instanceof Integer x) b.put(k, (long) x);
            else if (v instanceof Long x) b.put(k, x);
            else if (v instanceof String s) b.put(k, s);
            else if (v instanceof long[] l) b.put(k, l);
            else if (v instanceof float[] f) b.put(k, f);
            else if (v instanceof Float f) b.put(k, f);
        }
        return b.build();
    }

    static long[] s(long... d) { return d; }

    static Tensor longs(long[] shape, long... v) { return Tensor.ofLongs(shape, v); }

    static Tensor floats(long[] shape, float... v) { return Tensor.ofFloats(shape, v); }

    static Tensor iotaF(long... shape) {
        float[] v = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = i;
        return floats(shape, v);
    }

    // ------------------------------------------------------------------ Gather

    @Test void gatherShapes() {
        ValueType data = new ValueType(DType.FLOAT32, Shape.of(List.of(Dim.sym("N"), Dim.of(4), Dim.of(3))));
        assertEquals(Shape.of(List.of(Dim.sym("N"), Dim.of(2), Dim.of(5), Dim.of(3))),
                infer(node("Gather", a("axis", 1), data, ValueType.of(DType.INT64, 2, 5))).shape());
        // a scalar index removes the axis; negative axis counts from the end
        assertEquals(Shape.of(List.of(Dim.sym("N"), Dim.of(4))), infer(node("Gather", a("axis", -1), data, ValueType.of(DType.INT64))).shape());
        assertEquals(DType.FLOAT32, infer(node("Gather", a("axis", 0), data, ValueType.of(DType.INT32, 1))).dtype());
        assertThrows(RuntimeException.class, () -> infer(node("Gather", a("axis", 3), data, ValueType.of(DType.INT64, 1))));
    }

    @Test void gatherEvalIsExactInt64() {
        long big = (1L << 53) + 1; // not representable as a double
        Tensor shape = longs(s(3), 7, 8, big);
        assertArrayEquals(new long[] {big}, eval(node("Gather", a("axis", 0), shape, longs(s(1), -1))).toLongs());
        Tensor scalar = eval(node("Gather", a("axis", 0), shape, longs(s(), 2)));
        assertEquals(0, scalar.rank());
        assertEquals(big, scalar.getLong(0));
        Tensor two = eval(node("Gather", a("axis", 0), shape, longs(s(2), 0, -2)));
        assertArrayEquals(new long[] {7, 8}, two.toLongs());
        assertEquals(DType.INT64, two.dtype());
    }

    @Test void gatherEvalAxis1() {
        // data [[0,1,2],[3,4,5]] axis 1 indices [[2,0]] -> [[[2,0]],[[5,3]]]
        Tensor out = eval(node("Gather", a("axis", 1), iotaF(2, 3), longs(s(1, 2), 2, 0)));
        assertArrayEquals(s(2, 1, 2), out.shape());
        assertArrayEquals(new float[] {2, 0, 5, 3}, out.toFloats());
        assertNull(FoldableCheck.tryEval(node("Gather", a("axis", 0), iotaF(2, 3), longs(s(1), 5))), "out-of-range index does not fold");
    }

    /** Evaluation failures surface as exceptions, which constant folding turns into "leave it at run time". */
    static final class FoldableCheck {
        static Tensor tryEval(Node n) {
            try { return eval(n); } catch (RuntimeException e) { return null; }
        }
    }

    // ------------------------------------------------------------------ GatherElements / GatherND

    @Test void gatherElements() {
        // ONNX example: data [[1,2],[3,4]], indices [[0,0],[1,0]], axis 1 -> [[1,1],[4,3]]
        Node n = node("GatherElements", a("axis", 1), floats(s(2, 2), 1, 2, 3, 4), longs(s(2, 2), 0, 0, 1, 0));
        assertEquals(ValueType.of(DType.FLOAT32, 2, 2), infer(n));
        assertArrayEquals(new float[] {1, 1, 4, 3}, eval(n).toFloats());
        // axis 0 with a negative index: data 3x3 1..9, indices [[1,2,0],[2,0,-3]] -> [[4,8,3],[7,2,3]]
        Node m = node("GatherElements", a("axis", 0), floats(s(3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9), longs(s(2, 3), 1, 2, 0, 2, 0, -3));
        assertArrayEquals(new float[] {4, 8, 3, 7, 2, 3}, eval(m).toFloats());
    }

    @Test void gatherNd() {
        // batch_dims 0: data [[0,1],[2,3]], indices [[0,0],[1,1]] -> [0,3]
        Node n = node("GatherND", Attrs.EMPTY, longs(s(2, 2), 0, 1, 2, 3), longs(s(2, 2), 0, 0, 1, 1));
        assertEquals(ValueType.of(DType.INT64, 2), infer(n));
        assertArrayEquals(new long[] {0, 3}, eval(n).toLongs());
        // slices: data [2,2,2] indices [[[0,1]],[[1,0]]] -> shape [2,1,2] [[[2,3]],[[4,5]]]
        Node m = node("GatherND", Attrs.EMPTY, iotaF(2, 2, 2), longs(s(2, 1, 2), 0, 1, 1, 0));
        assertEquals(ValueType.of(DType.FLOAT32, 2, 1, 2), infer(m));
        assertArrayEquals(new float[] {2, 3, 4, 5}, eval(m).toFloats());
        // batch_dims 1: data [[[0,1],[2,3]],[[4,5],[6,7]]], indices [[1],[0]] -> [[2,3],[4,5]]
        Node b = node("GatherND", a("batch_dims", 1), iotaF(2, 2, 2), longs(s(2, 1), 1, 0));
        assertEquals(ValueType.of(DType.FLOAT32, 2, 2), infer(b));
        assertArrayEquals(new float[] {2, 3, 4, 5}, eval(b).toFloats());
        // negative coordinates wrap
        assertArrayEquals(new long[] {3}, eval(node("GatherND", Attrs.EMPTY, longs(s(2, 2), 0, 1, 2, 3), longs(s(1, 2), -1, -1))).toLongs());
    }

    // ------------------------------------------------------------------ Scatter*

    @Test void scatterNd() {
        // ONNX example: data 1..8, indices [[4],[3],[1],[7]], updates [9,10,11,12] -> [1,11,3,10,9,6,7,12]
        Node n = node("ScatterND", Attrs.EMPTY, floats(s(8), 1, 2, 3, 4, 5, 6, 7, 8), longs(s(4, 1), 4, 3, 1, 7), floats(s(4), 9, 10, 11, 12));
        assertEquals(ValueType.of(DType.FLOAT32, 8), infer(n));
        assertArrayEquals(new float[] {1, 11, 3, 10, 9, 6, 7, 12}, eval(n).toFloats());
        // add with a duplicate index, int64 data
        Node add = node("ScatterND", a("reduction", "add"), longs(s(4), 1, 2, 3, 4), longs(s(3, 1), 0, 0, -1), longs(s(3), 10, 20, 30));
        assertArrayEquals(new long[] {31, 2, 3, 34}, eval(add).toLongs());
        // mul / max / min on slices: data [2,2], row 1 updated
        Tensor d = floats(s(2, 2), 1, 2, 3, 4);
        Tensor u = floats(s(1, 2), 5, -1);
        assertArrayEquals(new float[] {1, 2, 15, -4}, eval(node("ScatterND", a("reduction", "mul"), d, longs(s(1, 1), 1), u)).toFloats());
        assertArrayEquals(new float[] {1, 2, 5, 4}, eval(node("ScatterND", a("reduction", "max"), d, longs(s(1, 1), 1), u)).toFloats());
        assertArrayEquals(new float[] {1, 2, 3, -1}, eval(node("ScatterND", a("reduction", "min"), d, longs(s(1, 1), 1), u)).toFloats());
    }

    @Test void scatterElements() {
        // ONNX example: zeros 3x3, indices [[1,0,2],[0,2,1]], updates [[1.0,1.1,1.2],[2.0,2.1,2.2]]
        Node n = node("ScatterElements", Attrs.EMPTY, floats(s(3, 3), new float[9]), longs(s(2, 3), 1, 0, 2, 0, 2, 1),
                floats(s(2, 3), 1.0f, 1.1f, 1.2f, 2.0f, 2.1f, 2.2f));
        assertEquals(ValueType.of(DType.FLOAT32, 3, 3), infer(n));
        assertArrayEquals(new float[] {2.0f, 1.1f, 0, 1.0f, 0, 2.2f, 0, 2.1f, 1.2f}, eval(n).toFloats());
        // axis 1 with negative index: [[1,2,3,4,5]], indices [[1,-2]], updates [[1.1,2.1]] -> [[1,1.1,3,2.1,5]]
        Tensor d = floats(s(1, 5), 1, 2, 3, 4, 5);
        Tensor u = floats(s(1, 2), 1.1f, 2.1f);
        assertArrayEquals(new float[] {1, 1.1f, 3, 2.1f, 5}, eval(node("ScatterElements", a("axis", 1), d, longs(s(1, 2), 1, -2), u)).toFloats());
        // the opset-9 Scatter spelling
        assertArrayEquals(new float[] {1, 1.1f, 3, 2.1f, 5}, eval(node("Scatter", 9, a("axis", 1), d, longs(s(1, 2), 1, 3), u)).toFloats());
        // reductions with a duplicate index: updates at 1 and 1
        Tensor dup = longs(s(1, 2), 1, 1);
        assertArrayEquals(new float[] {1, 5.2f, 3, 4, 5}, eval(node("ScatterElements", a("axis", 1, "reduction", "add"), d, dup, u)).toFloats(), 1e-6f);
        assertArrayEquals(new float[] {1, 2 * 1.1f * 2.1f, 3, 4, 5}, eval(node("ScatterElements", a("axis", 1, "reduction", "mul"), d, dup, u)).toFloats(), 1e-6f);
        assertArrayEquals(new float[] {1, 2.1f, 3, 4, 5}, eval(node("ScatterElements", a("axis", 1, "reduction", "max"), d, dup, u)).toFloats());
        assertArrayEquals(new float[] {1, 1.1f, 3, 4, 5}, eval(node("ScatterElements", a("axis", 1, "reduction", "min"), d, dup, u)).toFloats());
    }

    // ------------------------------------------------------------------ OneHot

    @Test void oneHot() {
        Tensor depth = floats(s(), 4);
        Tensor values = floats(s(2), -1, 7);
        Node n = node("OneHot", 11, Attrs.EMPTY, longs(s(3), 1, -1, 9), depth, values);
        assertEquals(ValueType.of(DType.FLOAT32, 3, 4), infer(n));
        // 1 -> position 1; -1 wraps to 3; 9 is out of range -> all off
        assertArrayEquals(new float[] {-1, 7, -1, -1, -1, -1, -1, 7, -1, -1, -1, -1}, eval(n).toFloats());
        // axis 0 puts depth first: indices [2] -> [4,2]
        Node m = node("OneHot", 11, a("axis", 0), longs(s(2), 0, 3), depth, Tensor.ofInts(s(2), 0, 1));
        assertEquals(ValueType.of(DType.INT32, 4, 2), infer(m));
        assertArrayEquals(new int[] {1, 0, 0, 0, 0, 0, 0, 1}, eval(m).toInts());
        // run-time depth: symbolic dim at the axis
        Node r = node("OneHot", 11, a("axis", -2), ValueType.of(DType.INT64, 2, 3), ValueType.of(DType.INT64), values);
        Shape rs = infer(r).shape();
        assertEquals(3, rs.rank());
        assertEquals(Dim.of(2), rs.dim(0));
        assertFalse(rs.dim(1).isKnown());
        assertEquals(Dim.of(3), rs.dim(2));
    }

    // ------------------------------------------------------------------ ReverseSequence / NonZero

    @Test void reverseSequence() {
        // ONNX example (time_axis 0, batch_axis 1): x[t][b] = 4t+b... lens [4,3,2,1]
        Tensor x = floats(s(4, 4), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        Node n = node("ReverseSequence", 10, a("time_axis", 0, "batch_axis", 1), x, longs(s(4), 4, 3, 2, 1));
        assertEquals(ValueType.of(DType.FLOAT32, 4, 4), infer(n));
        assertArrayEquals(new float[] {12, 9, 6, 3, 8, 5, 2, 7, 4, 1, 10, 11, 0, 13, 14, 15}, eval(n).toFloats());
        Node b = node("ReverseSequence", 10, a("time_axis", 1, "batch_axis", 0), x, longs(s(4), 1, 2, 3, 4));
        assertArrayEquals(new float[] {0, 1, 2, 3, 5, 4, 6, 7, 10, 9, 8, 11, 15, 14, 13, 12}, eval(b).toFloats());
    }

    @Test void nonZero() {
        Node n = node("NonZero", Attrs.EMPTY, floats(s(2, 2), 1, 0, 1, 1));
        assertEquals(ValueType.of(DType.INT64, 2, 3), infer(n));
        Tensor t = eval(n);
        assertArrayEquals(s(2, 3), t.shape());
        assertArrayEquals(new long[] {0, 1, 1, 0, 0, 1}, t.toLongs());
        Shape dyn = infer(node("NonZero", Attrs.EMPTY, ValueType.of(DType.BOOL, 3, 4, 5))).shape();
        assertEquals(Dim.of(3), dyn.dim(0));
        assertFalse(dyn.dim(1).isKnown());
    }

    // ------------------------------------------------------------------ DepthToSpace / SpaceToDepth

    @Test void depthToSpace() {
        Tensor x = iotaF(1, 8, 1, 1);
        Node dcr = node("DepthToSpace", 13, a("blocksize", 2, "mode", "DCR"), x);
        assertEquals(ValueType.of(DType.FLOAT32, 1, 2, 2, 2), infer(dcr));
        // DCR: out[c][i][j] = x[(2i+j)*2 + c]
        assertArrayEquals(new float[] {0, 2, 4, 6, 1, 3, 5, 7}, eval(dcr).toFloats());
        // CRD: out[c][i][j] = x[4c + 2i + j]
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7}, eval(node("DepthToSpace", 13, a("blocksize", 2, "mode", "CRD"), x)).toFloats());
        // channels-last form: [N,H,W,C] in and out
        Node nhwc = node("DepthToSpace", 13, a("blocksize", 2, Layout.ATTR, Layout.NHWC), ValueType.of(DType.FLOAT32, 1, 3, 5, 8));
        assertEquals(ValueType.of(DType.FLOAT32, 1, 6, 10, 2), infer(nhwc));
        assertThrows(RuntimeException.class, () -> infer(node("DepthToSpace", 13, a("blocksize", 3), ValueType.of(DType.FLOAT32, 1, 8, 2, 2))));
    }

    @Test void spaceToDepth() {
        Tensor x = iotaF(1, 2, 2, 2);
        Node n = node("SpaceToDepth", 13, a("blocksize", 2), x);
        assertEquals(ValueType.of(DType.FLOAT32, 1, 8, 1, 1), infer(n));
        // inverse of DCR DepthToSpace: out[(2i+j)*2 + c] = x[c][i][j]
        assertArrayEquals(new float[] {0, 4, 1, 5, 2, 6, 3, 7}, eval(n).toFloats());
        Node sym = node("SpaceToDepth", 13, a("blocksize", 2), new ValueType(DType.FLOAT32, Shape.of(List.of(Dim.sym("N"), Dim.of(3), Dim.of(4), Dim.sym("W")))));
        Shape ss = infer(sym).shape();
        assertEquals(Dim.sym("N"), ss.dim(0));
        assertEquals(Dim.of(12), ss.dim(1));
        assertEquals(Dim.of(2), ss.dim(2));
        assertFalse(ss.dim(3).isKnown());
    }

    // ------------------------------------------------------------------ Resize / Upsample

    @Test void resizeShapes() {
        ValueType x = ValueType.of(DType.FLOAT32, 1, 3, 2, 4);
        // opset 13 scales: floor(2*0.6)=1, floor(4*0.6)=2
        assertEquals(ValueType.of(DType.FLOAT32, 1, 3, 1, 2), infer(node("Resize", 13, Attrs.EMPTY, x, null, floats(s(4), 1, 1, 0.6f, 0.6f))));
        // sizes; the empty scales tensor counts as absent
        assertEquals(ValueType.of(DType.FLOAT32, 1, 3, 7, 9),
                infer(node("Resize", 11, Attrs.EMPTY, x, floats(s(0)), floats(s(0)), longs(s(4), 1, 3, 7, 9))));
        // opset 10: (X, scales)
        assertEquals(ValueType.of(DType.FLOAT32, 1, 3, 4, 8), infer(node("Resize", 10, Attrs.EMPTY, x, floats(s(4), 1, 1, 2, 2))));
        // axes + keep_aspect_ratio_policy: 2x4 to sizes [7,7]: not_larger uses 7/4 -> round(3.5)=4, 7
        assertEquals(ValueType.of(DType.FLOAT32, 1, 3, 4, 7),
                infer(node("Resize", 19, a("axes", new long[] {2, 3}, "keep_aspect_ratio_policy", "not_larger"), x, null, null, longs(s(2), 7, 7))));
        assertEquals(ValueType.of(DType.FLOAT32, 1, 3, 7, 14),
                infer(node("Resize", 19, a("axes", new long[] {-2, -1}, "keep_aspect_ratio_policy", "not_smaller"), x, null, null, longs(s(2), 7, 7))));
        // axes reorder scales
        assertEquals(ValueType.of(DType.FLOAT32, 1, 3, 6, 8), infer(node("Resize", 19, a("axes", new long[] {3, 2}), x, null, floats(s(2), 2, 3))));
        // run-time scales: resized dims become symbolic, others stay
        Shape rs = infer(node("Resize", 13, Attrs.EMPTY, x, null, ValueType.of(DType.FLOAT32, 4))).shape();
        assertFalse(rs.dim(2).isKnown());
        assertFalse(rs.dim(3).isKnown());
        // channels-last marker: input and output are [N,H,W,C]
        assertEquals(ValueType.of(DType.FLOAT32, 1, 4, 8, 3),
                infer(node("Resize", 13, a(Layout.ATTR, Layout.NHWC), ValueType.of(DType.FLOAT32, 1, 2, 4, 3), null, floats(s(4), 1, 1, 2, 2))));
        // a symbolic batch with scale 1 keeps its symbol
        ValueType sym = new ValueType(DType.FLOAT32, Shape.of(List.of(Dim.sym("N"), Dim.of(3), Dim.of(2), Dim.of(2))));
        assertEquals(Shape.of(List.of(Dim.sym("N"), Dim.of(3), Dim.of(4), Dim.of(4))),
                infer(node("Resize", 13, Attrs.EMPTY, sym, null, floats(s(4), 1, 1, 2, 2))).shape());
    }

    @Test void upsampleShapes() {
        ValueType x = ValueType.of(DType.FLOAT32, 1, 1, 2, 2);
        assertEquals(ValueType.of(DType.FLOAT32, 1, 1, 4, 6), infer(node("Upsample", 7, a("scales", new float[] {1, 1, 2, 3}), x)));
        assertEquals(ValueType.of(DType.FLOAT32, 1, 1, 4, 6), infer(node("Upsample", 9, Attrs.EMPTY, x, floats(s(4), 1, 1, 2, 3))));
    }

    @Test void everyOpIsRegistered() {
        for (String op : Arrays.asList("Gather", "GatherElements", "GatherND", "ScatterND", "ScatterElements", "Scatter", "OneHot",
                "ReverseSequence", "NonZero", "Resize", "Upsample", "DepthToSpace", "SpaceToDepth"))
            assertTrue(R.knows(op), op);
    }
}
