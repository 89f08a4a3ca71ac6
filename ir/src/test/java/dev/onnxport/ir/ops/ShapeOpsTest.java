package dev.onnxport.ir.ops;

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

/** Shape functions and evaluators of the shape family, against hand-computed values. */
class ShapeOpsTest {
    static final OpRegistry REG = OpRegistry.standard();
    static final long MAX = Long.MAX_VALUE, MIN = Long.MIN_VALUE;
    static final java.util.concurrent.atomic.AtomicInteger SEQ = new java.util.concurrent.atomic.AtomicInteger();

    // ---------------------------------------------------------------------------------------------- helpers

    static Graph g(int opset) {
        Graph g = new Graph("t");
        g.opsets().put("", opset);
        return g;
    }

    static Shape sh(Object... dims) {
        List<Dim> d = new ArrayList<>();
        for (Object o : dims) d.add(o instanceof String s ? Dim.sym(s) : Dim.of(((Number) o).longValue()));
        return Shape.of(d);
    }

    static Value in(Graph g, String name, DType dt, Object... dims) { return g.addInput(name, new ValueType(dt, sh(dims))); }

    static Value k(Graph g, Tensor t) { return g.addConstant("k", t); }

    static Tensor longs(long... v) { return Tensor.ofLongs(new long[] {v.length}, v); }

    static Tensor iota(DType dt, long... shape) {
        long[] v = new long[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = i;
        return Tensor.fromLongs(dt, shape, v);
    }

    static Node node(Graph g, String op, int opset, Attrs a, Value... ins) {
        return g.addNodeExact("", op, op, Arrays.asList(ins), a, opset, List.of(op + "_out" + SEQ.incrementAndGet()));
    }

    static Node nodeN(Graph g, String op, int opset, Attrs a, int outs, Value... ins) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < outs; i++) names.add(op + "_out" + SEQ.incrementAndGet());
        return g.addNodeExact("", op, op, Arrays.asList(ins), a, opset, names);
    }

    static ValueType infer(Node n) { return REG.infer(n).get(0); }

    static Shape shapeOf(Node n) { return infer(n).shape(); }

    static List<Tensor> eval(Node n, Tensor... ins) { return REG.get(n.qualifiedOp()).eval().eval(n, Arrays.asList(ins)); }

    static Tensor eval1(Node n, Tensor... ins) { return eval(n, ins).get(0); }

    static Attrs.Builder at() { return Attrs.builder(); }

    /** Infers the node's output types into its outputs (as the InferShapes pass would). */
    static Node inferred(Node n) {
        List<ValueType> ts = REG.infer(n);
        for (int i = 0; i < ts.size(); i++) n.output(i).setType(ts.get(i));
        return n;
    }

    // ---------------------------------------------------------------------------------------------- Reshape family

    @Test void reshapeCopiesZerosAndInfersMinusOne() {
        Graph g = g(13);
        Node n = node(g, "Reshape", 13, Attrs.EMPTY, in(g, "x", DType.FLOAT32, 2, 3, 4), k(g, longs(0, -1)));
        assertEquals(sh(2, 12), shapeOf(n));
        Tensor r = eval1(n, iota(DType.FLOAT32, 2, 3, 4), longs(0, -1));
        assertArrayEquals(new long[] {2, 12}, r.shape());
        assertEquals(23.0, r.getDouble(23));
    }

    @Test void reshapeAllowZeroKeepsZeros() {
        Graph g = g(14);
        Node n = node(g, "Reshape", 14, at().put("allowzero", 1).build(), in(g, "x", DType.FLOAT32, 0, 3, 4), k(g, longs(3, 4, 0)));
        assertEquals(sh(3, 4, 0), shapeOf(n));
        Node m = node(g, "Reshape", 14, Attrs.EMPTY, in(g, "y", DType.FLOAT32, 2, 3, 4), k(g, longs(4, 0, 2)));
        assertEquals(sh(4, 3, 2), shapeOf(m));
    }

    @Test void reshapeWithSymbolsCancelsMatchingDims() {
        Graph g = g(13);
        Value x = in(g, "x", DType.FLOAT32, "N", 3, 4);
        assertEquals(sh("N", 12), ShapeOpsMath.reshapeDims(x.shape(),
                List.of(ShapeOpsMath.SymInt.of(Dim.sym("N")), ShapeOpsMath.SymInt.of(-1)), false).stream().collect(java.util.stream.Collectors.collectingAndThen(
                        java.util.stream.Collectors.toList(), Shape::of)));
        Node n = node(g, "Reshape", 13, Attrs.EMPTY, x, k(g, longs(-1, 6)));
        Shape s = shapeOf(n);
        assertFalse(s.dim(0).isKnown());
        assertEquals(Dim.of(6), s.dim(1));
        Node m = node(g, "Reshape", 13, Attrs.EMPTY, x, k(g, longs(0, 2, -1)));
        assertEquals(sh("N", 2, 6), shapeOf(m));
    }

    @Test void reshapeOfAShapeSubgraphKeepsTheSymbol() {
        // PyTorch's x.view(x.size(0), -1): Shape -> Gather(0) -> Unsqueeze -> Concat([.., -1]) -> Reshape
        Graph g = g(13);
        Value x = in(g, "x", DType.FLOAT32, "batch", 3, 4);
        Node shape = inferred(node(g, "Shape", 13, Attrs.EMPTY, x));
        Node gather = node(g, "Gather", 13, Attrs.EMPTY, shape.output(), k(g, Tensor.scalarLong(0)));
        gather.output().setType(ValueType.of(DType.INT64));
        Node unsq = inferred(node(g, "Unsqueeze", 13, Attrs.EMPTY, gather.output(), k(g, longs(0))));
        Node cat = inferred(node(g, "Concat", 13, at().put("axis", 0).build(), unsq.output(), k(g, longs(-1))));
        Node reshape = node(g, "Reshape", 13, Attrs.EMPTY, x, cat.output());
        assertEquals(sh("batch", 12), shapeOf(reshape));
        assertEquals(List.of("batch", "-1"), ShapeOpsMath.symbolicInts(cat.output()).stream().map(Object::toString).toList());
        // the Expand / ConstantOfShape of such a vector keep the symbol too
        Node cos = node(g, "ConstantOfShape", 13, Attrs.EMPTY, unsq.output());
        assertEquals(sh("batch"), shapeOf(cos));
        assertEquals(DType.FLOAT32, infer(cos).dtype());
    }

    @Test void reshapeRejectsMismatchedSizes() {
        Graph g = g(13);
        Node n = node(g, "Reshape", 13, Attrs.EMPTY, in(g, "x", DType.FLOAT32, 2, 3), k(g, longs(4, -1)));
        assertThrows(ConversionException.class, () -> infer(n));
    }

    @Test void reshapeOfARunTimeShapeHasItsLength() {
        Graph g = g(13);
        Node n = node(g, "Reshape", 13, Attrs.EMPTY, in(g, "x", DType.FLOAT32, 2, 3), in(g, "s", DType.INT64, 3));
        Shape s = shapeOf(n);
        assertEquals(3, s.rank());
        assertFalse(s.dim(0).isKnown());
    }

    @Test void flattenAxes() {
        Graph g = g(13);
        Value x = in(g, "x", DType.FLOAT32, 2, 3, 4, 5);
        assertEquals(sh(1, 120), shapeOf(node(g, "Flatten", 13, at().put("axis", 0).build(), x)));
        assertEquals(sh(6, 20), shapeOf(node(g, "Flatten", 13, at().put("axis", -2).build(), x)));
        assertEquals(sh(120, 1), shapeOf(node(g, "Flatten", 13, at().put("axis", 4).build(), x)));
        assertEquals(sh("N", 60), shapeOf(node(g, "Flatten", 13, Attrs.EMPTY, in(g, "y", DType.FLOAT32, "N", 3, 4, 5))));
        Node n = node(g, "Flatten", 13, at().put("axis", 2).build(), x);
        assertArrayEquals(new long[] {6, 20}, eval1(n, iota(DType.INT64, 2, 3, 4, 5)).shape());
    }

    @Test void squeezeAndUnsqueezeEveryOpsetForm() {
        Graph g = g(13);
        Value x = in(g, "x", DType.FLOAT32, 1, 3, 1, 5);
        assertEquals(sh(3, 5), shapeOf(node(g, "Squeeze", 11, Attrs.EMPTY, x)));
        assertEquals(sh(1, 3, 5), shapeOf(node(g, "Squeeze", 11, at().put("axes", new long[] {-2}).build(), x)));
        assertEquals(sh(3, 1, 5), shapeOf(node(g, "Squeeze", 13, Attrs.EMPTY, x, k(g, longs(0)))));
        assertThrows(ConversionException.class, () -> infer(node(g, "Squeeze", 13, Attrs.EMPTY, x, k(g, longs(1)))));
        assertEquals(sh(1, 1, 3, 1, 5, 1), shapeOf(node(g, "Unsqueeze", 11, at().put("axes", new long[] {0, -1}).build(), x)));
        Node u = node(g, "Unsqueeze", 13, Attrs.EMPTY, in(g, "y", DType.FLOAT32, 3, 4, 5), k(g, longs(4, 3)));
        assertEquals(sh(3, 4, 5, 1, 1), shapeOf(u));
        assertArrayEquals(new long[] {3, 4, 5, 1, 1}, eval1(u, iota(DType.FLOAT32, 3, 4, 5), longs(4, 3)).shape());
        Node s = node(g, "Squeeze", 13, Attrs.EMPTY, x, k(g, longs(2, 0)));
        assertArrayEquals(new long[] {3, 5}, eval1(s, iota(DType.FLOAT32, 1, 3, 1, 5), longs(2, 0)).shape());
        // axes computed at run time: unknown shape
        assertNull(shapeOf(node(g, "Unsqueeze", 13, Attrs.EMPTY, x, in(g, "ax", DType.INT64, 1))));
    }

    // ---------------------------------------------------------------------------------------------- Transpose / Concat / Split

    @Test void transposeDefaultReversesAndEvaluates() {
        Graph g = g(13);
        Value x = in(g, "x", DType.INT64, 2, 3, 4);
        assertEquals(sh(4, 3, 2), shapeOf(node(g, "Transpose", 13, Attrs.EMPTY, x)));
        Node n = node(g, "Transpose", 13, at().put("perm", new long[] {1, 2, 0}).build(), x);
        assertEquals(sh(3, 4, 2), shapeOf(n));
        Tensor r = eval1(n, iota(DType.INT64, 2, 3, 4));
        // r[i][j][k] = x[k][i][j] = 12k + 4i + j
        assertEquals(12 * 1 + 4 * 2 + 3, r.getLong(((2 * 4) + 3) * 2 + 1));
        assertThrows(ConversionException.class, () -> infer(node(g, "Transpose", 13, at().put("perm", new long[] {0, 0, 1}).build(), x)));
    }

    @Test void concatIsExactForInt64AndKeepsSymbols() {
        Graph g = g(13);
        Node n = node(g, "Concat", 13, at().put("axis", -1).build(), in(g, "a", DType.INT64, "N", 2), in(g, "b", DType.INT64, "N", 3));
        assertEquals(sh("N", 5), shapeOf(n));
        Node m = node(g, "Concat", 13, at().put("axis", 0).build(), in(g, "c", DType.INT64, 2), in(g, "d", DType.INT64, 1));
        Tensor r = eval1(m, longs(MAX, (1L << 62) + 1), longs(MIN));
        assertArrayEquals(new long[] {MAX, (1L << 62) + 1, MIN}, r.toLongs());
        Node sc = node(g, "Concat", 13, at().put("axis", 0).build(), in(g, "e", DType.INT64), in(g, "f", DType.INT64));
        assertThrows(ConversionException.class, () -> infer(sc));
        Node two = node(g, "Concat", 13, at().put("axis", 1).build(), in(g, "p", DType.FLOAT32, 2, 1), in(g, "q", DType.FLOAT32, 2, 2));
        Tensor t = eval1(two, Tensor.ofFloats(new long[] {2, 1}, 1, 2), Tensor.ofFloats(new long[] {2, 2}, 3, 4, 5, 6));
        assertArrayEquals(new float[] {1, 3, 4, 2, 5, 6}, t.toFloats());
    }

    @Test void splitEveryOpsetForm() {
        Graph g = g(18);
        Value x = in(g, "x", DType.FLOAT32, 7, 2);
        Node n = nodeN(g, "Split", 18, at().put("num_outputs", 3).build(), 3, x);
        List<ValueType> ts = REG.infer(n);
        assertEquals(List.of(sh(3, 2), sh(3, 2), sh(1, 2)), ts.stream().map(ValueType::shape).toList());
        List<Tensor> r = eval(n, iota(DType.FLOAT32, 7, 2));
        assertArrayEquals(new float[] {12, 13}, r.get(2).toFloats());
        Node a = nodeN(g, "Split", 11, at().put("axis", 1).put("split", new long[] {1, 1}).build(), 2, x);
        assertEquals(sh(7, 1), REG.infer(a).get(1).shape());
        Value y = in(g, "y", DType.INT64, 6);
        Node b = nodeN(g, "Split", 13, Attrs.EMPTY, 3, y, k(g, longs(1, 2, 3)));
        assertEquals(sh(3), REG.infer(b).get(2).shape());
        assertArrayEquals(new long[] {3, 4, 5}, eval(b, iota(DType.INT64, 6), longs(1, 2, 3)).get(2).toLongs());
        Node c = nodeN(g, "Split", 13, Attrs.EMPTY, 3, y);
        assertEquals(sh(2), REG.infer(c).get(0).shape());
        assertThrows(ConversionException.class, () -> REG.infer(nodeN(g, "Split", 13, Attrs.EMPTY, 4, y)));
    }

    // ---------------------------------------------------------------------------------------------- Slice

    @Test void sliceClampsLikeOnnx() {
        assertArrayEquals(new long[] {0, 10, 10}, ShapeOpsMath.sliceAxis(10, MIN, MAX, 1));
        assertArrayEquals(new long[] {9, -1, 10}, ShapeOpsMath.sliceAxis(10, MAX, MIN, -1));
        assertArrayEquals(new long[] {8, -1, 3}, ShapeOpsMath.sliceAxis(10, -2, MIN, -3));
        assertArrayEquals(new long[] {0, 0, 0}, ShapeOpsMath.sliceAxis(10, -100, -100, 1));
        assertArrayEquals(new long[] {10, 10, 0}, ShapeOpsMath.sliceAxis(10, 1000, 1000, 1));
        assertArrayEquals(new long[] {0, -1, 1}, ShapeOpsMath.sliceAxis(10, -100, -101, -1));
    }

    @Test void sliceEveryOpsetForm() {
        Graph g = g(13);
        Value x = in(g, "x", DType.INT64, 10);
        Node n = node(g, "Slice", 13, Attrs.EMPTY, x, k(g, longs(8)), k(g, longs(MIN)), k(g, longs(0)), k(g, longs(-3)));
        assertEquals(sh(3), shapeOf(n));
        assertArrayEquals(new long[] {8, 5, 2}, eval1(n, iota(DType.INT64, 10), longs(8), longs(MIN), longs(0), longs(-3)).toLongs());
        Value y = in(g, "y", DType.FLOAT32, 3, 4, 5);
        Node a = node(g, "Slice", 9, at().put("starts", new long[] {1, 0}).put("ends", new long[] {1000, -1}).put("axes", new long[] {0, 2}).build(), y);
        assertEquals(sh(2, 4, 4), shapeOf(a));
        Node b = node(g, "Slice", 10, Attrs.EMPTY, y, k(g, longs(0, 1)), k(g, longs(2, 3)));
        assertEquals(sh(2, 2, 5), shapeOf(b));
        Tensor r = eval1(b, iota(DType.FLOAT32, 3, 4, 5), longs(0, 1), longs(2, 3));
        assertEquals(5.0, r.getDouble(0));
        assertEquals(20 + 10 + 4, r.getDouble(19));
        // dynamic dims keep their symbol for whole-axis slices; run-time parameters give unknown dims on the sliced axes
        Value z = in(g, "z", DType.FLOAT32, "N", 8);
        assertEquals(sh("N", 4), shapeOf(node(g, "Slice", 13, Attrs.EMPTY, z, k(g, longs(0, 2)), k(g, longs(MAX, 6)))));
        Shape d = shapeOf(node(g, "Slice", 13, Attrs.EMPTY, z, in(g, "s", DType.INT64, 1), in(g, "e", DType.INT64, 1), k(g, longs(1))));
        assertEquals(Dim.sym("N"), d.dim(0));
        assertFalse(d.dim(1).isKnown());
    }

    // ---------------------------------------------------------------------------------------------- Expand / Tile / Pad

    @Test void expandIsBidirectional() {
        Graph g = g(13);
        Node n = node(g, "Expand", 13, Attrs.EMPTY, in(g, "x", DType.FLOAT32, 3, 1), k(g, longs(2, 1, 4)));
        assertEquals(sh(2, 3, 4), shapeOf(n));
        Tensor r = eval1(n, Tensor.ofFloats(new long[] {3, 1}, 1, 2, 3), longs(2, 1, 4));
        assertEquals(3.0, r.getDouble(23));
        assertEquals(2.0, r.getDouble(4));
        Node m = node(g, "Expand", 13, Attrs.EMPTY, in(g, "y", DType.FLOAT32, "N", 1), k(g, longs(1, 5)));
        assertEquals(sh("N", 5), shapeOf(m));
    }

    @Test void tileRepeats() {
        Graph g = g(13);
        Node n = node(g, "Tile", 13, Attrs.EMPTY, in(g, "x", DType.INT64, 2, 2), k(g, longs(1, 2)));
        assertEquals(sh(2, 4), shapeOf(n));
        assertArrayEquals(new long[] {0, 1, 0, 1, 2, 3, 2, 3}, eval1(n, iota(DType.INT64, 2, 2), longs(1, 2)).toLongs());
    }

    @Test void padModesMatchNumpy() {
        Tensor x = longs(1, 2, 3);
        assertArrayEquals(new long[] {3, 2, 1, 2, 3, 2, 1}, ShapeOpsKernels.pad(x, new long[] {2, 2}, "reflect", null).toLongs());
        assertArrayEquals(new long[] {1, 1, 1, 2, 3, 3, 3}, ShapeOpsKernels.pad(x, new long[] {2, 2}, "edge", null).toLongs());
        assertArrayEquals(new long[] {2, 3, 1, 2, 3, 1, 2}, ShapeOpsKernels.pad(x, new long[] {2, 2}, "wrap", null).toLongs());
        assertArrayEquals(new long[] {9, 1, 2}, ShapeOpsKernels.pad(x, new long[] {1, -1}, "constant", Tensor.scalarLong(9)).toLongs());
        assertArrayEquals(new long[] {2, 1, 2, 3, 2, 1, 2, 3}, ShapeOpsKernels.pad(x, new long[] {1, 4}, "reflect", null).toLongs());
    }

    @Test void padEveryOpsetForm() {
        Graph g = g(18);
        Value x = in(g, "x", DType.FLOAT32, 1, 3, 4, 5);
        assertEquals(sh(1, 3, 7, 11), shapeOf(node(g, "Pad", 18, Attrs.EMPTY, x, k(g, longs(1, 2, 2, 4)), null, k(g, longs(2, -1)))));
        assertEquals(sh(1, 5, 4, 4), shapeOf(node(g, "Pad", 11, Attrs.EMPTY, x, k(g, longs(0, 1, 0, 0, 0, 1, 0, -1)))));
        assertEquals(sh(3, 3, 4, 5), shapeOf(node(g, "Pad", 2, at().put("pads", new long[] {1, 0, 0, 0, 1, 0, 0, 0}).put("mode", "edge").build(), x)));
        Node v = node(g, "Pad", 13, Attrs.EMPTY, in(g, "y", DType.INT32, 2), k(g, longs(1, 2)), k(g, Tensor.ofInts(new long[0], 7)));
        assertArrayEquals(new long[] {7, 0, 1, 7, 7}, eval1(v, iota(DType.INT32, 2), longs(1, 2), Tensor.ofInts(new long[0], 7)).toLongs());
        Node a = node(g, "Pad", 2, at().put("pads", new long[] {0, 1}).put("value", 2.5f).build(), in(g, "z", DType.FLOAT32, 2));
        assertArrayEquals(new float[] {0, 1, 2.5f}, eval1(a, iota(DType.FLOAT32, 2)).toFloats());
        Shape d = shapeOf(node(g, "Pad", 18, Attrs.EMPTY, x, in(g, "p", DType.INT64, 2), null, k(g, longs(1))));
        assertEquals(Dim.of(4), d.dim(2));
        assertFalse(d.dim(1).isKnown());
    }

    // ---------------------------------------------------------------------------------------------- Shape, Size, ConstantOfShape, Range, Identity

    @Test void shapeAndSize() {
        Graph g = g(15);
        Value x = in(g, "x", DType.FLOAT32, "N", 3, 4);
        Node s = node(g, "Shape", 15, at().put("start", 1).put("end", -1).build(), x);
        assertEquals(ValueType.of(DType.INT64, 1), infer(s));
        assertArrayEquals(new long[] {3}, eval1(s, iota(DType.FLOAT32, 2, 3, 4)).toLongs());
        assertArrayEquals(new long[] {}, eval1(node(g, "Shape", 15, at().put("start", 2).put("end", 1).build(), x), iota(DType.FLOAT32, 2, 3, 4)).toLongs());
        Node z = node(g, "Size", 13, Attrs.EMPTY, x);
        assertEquals(ValueType.of(DType.INT64), infer(z));
        assertEquals(24, eval1(z, iota(DType.FLOAT32, 2, 3, 4)).getLong(0));
    }

    @Test void constantOfShapeValueAndDefault() {
        Graph g = g(13);
        Node n = node(g, "ConstantOfShape", 13, at().put("value", Tensor.ofLongs(new long[] {1}, MAX)).build(), k(g, longs(2, 3)));
        assertEquals(ValueType.of(DType.INT64, 2, 3), infer(n));
        Tensor r = eval1(n, longs(2, 3));
        assertEquals(6, r.numel());
        assertEquals(MAX, r.getLong(5));
        Node d = node(g, "ConstantOfShape", 13, Attrs.EMPTY, k(g, longs(0)));
        Tensor z = eval1(d, longs(0));
        assertEquals(DType.FLOAT32, z.dtype());
        assertEquals(0, z.numel());
    }

    @Test void rangeCountsAndValues() {
        Graph g = g(11);
        Node n = node(g, "Range", 11, Attrs.EMPTY, k(g, Tensor.scalarLong(10)), k(g, Tensor.scalarLong(-3)), k(g, Tensor.scalarLong(-4)));
        assertEquals(ValueType.of(DType.INT64, 4), infer(n));
        assertArrayEquals(new long[] {10, 6, 2, -2}, eval1(n, Tensor.scalarLong(10), Tensor.scalarLong(-3), Tensor.scalarLong(-4)).toLongs());
        Node f = node(g, "Range", 11, Attrs.EMPTY, k(g, Tensor.scalarFloat(1)), k(g, Tensor.scalarFloat(2)), k(g, Tensor.scalarFloat(0.3f)));
        Tensor r = eval1(f, Tensor.scalarFloat(1), Tensor.scalarFloat(2), Tensor.scalarFloat(0.3f));
        assertEquals(4, r.numel());
        assertEquals(1.9f, r.toFloats()[3], 1e-6f);
        assertEquals(0, ShapeOpsMath.rangeCount(Tensor.scalarLong(5), Tensor.scalarLong(1), Tensor.scalarLong(2)));
        assertEquals(2, ShapeOpsMath.rangeCount(Tensor.scalarLong(MIN), Tensor.scalarLong(MIN + 3), Tensor.scalarLong(2)));
        Node dyn = node(g, "Range", 11, Attrs.EMPTY, in(g, "a", DType.INT32), k(g, Tensor.ofInts(new long[0], 5)), k(g, Tensor.ofInts(new long[0], 1)));
        assertEquals(1, shapeOf(dyn).rank());
        assertFalse(shapeOf(dyn).dim(0).isKnown());
    }

    @Test void identityPassesThrough() {
        Graph g = g(13);
        Node n = node(g, "Identity", 13, Attrs.EMPTY, in(g, "x", DType.BOOL, "N", 2));
        assertEquals(new ValueType(DType.BOOL, sh("N", 2)), infer(n));
        Tensor t = longs(1, 2);
        assertTrue(eval1(n, t) == t);
    }

    // ---------------------------------------------------------------------------------------------- Compress, EyeLike, Trilu, CenterCropPad

    @Test void compressWithAndWithoutAxis() {
        Graph g = g(11);
        Tensor cond = Tensor.fromLongs(DType.BOOL, new long[] {3}, new long[] {0, 1, 1});
        Node n = node(g, "Compress", 11, at().put("axis", -1).build(), in(g, "x", DType.FLOAT32, 2, 3), k(g, cond));
        assertEquals(sh(2, 2), shapeOf(n));
        assertArrayEquals(new float[] {1, 2, 4, 5}, eval1(n, iota(DType.FLOAT32, 2, 3), cond).toFloats());
        Node f = node(g, "Compress", 11, Attrs.EMPTY, in(g, "y", DType.FLOAT32, 2, 3), k(g, cond));
        assertEquals(sh(2), shapeOf(f));
        assertArrayEquals(new float[] {1, 2}, eval1(f, iota(DType.FLOAT32, 2, 3), cond).toFloats());
    }

    @Test void eyeLikeOffDiagonalAndType() {
        Graph g = g(9);
        Node n = node(g, "EyeLike", 9, at().put("k", 1).put("dtype", (long) DType.INT64.onnxCode()).build(), in(g, "x", DType.FLOAT32, 3, 4));
        assertEquals(ValueType.of(DType.INT64, 3, 4), infer(n));
        assertArrayEquals(new long[] {0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}, eval1(n, iota(DType.FLOAT32, 3, 4)).toLongs());
    }

    @Test void triluUpperAndLower() {
        Graph g = g(14);
        Value x = in(g, "x", DType.INT64, 3, 3);
        Node u = node(g, "Trilu", 14, Attrs.EMPTY, x, k(g, Tensor.scalarLong(1)));
        assertEquals(sh(3, 3), shapeOf(u));
        Tensor in = longs(1, 2, 3, 4, 5, 6, 7, 8, 9).reshape(new long[] {3, 3});
        assertArrayEquals(new long[] {0, 2, 3, 0, 0, 6, 0, 0, 0}, eval1(u, in, Tensor.scalarLong(1)).toLongs());
        Node l = node(g, "Trilu", 14, at().put("upper", 0).build(), x);
        assertArrayEquals(new long[] {1, 0, 0, 4, 5, 0, 7, 8, 9}, eval1(l, in).toLongs());
        assertArrayEquals(new long[] {0, 0, 0, 4, 0, 0, 7, 8, 0}, eval1(l, in, Tensor.scalarLong(-1)).toLongs());
    }

    @Test void centerCropPadCropsAndPads() {
        Graph g = g(18);
        Node n = node(g, "CenterCropPad", 18, at().put("axes", new long[] {0}).build(), in(g, "x", DType.INT64, 5, 2), k(g, longs(3)));
        assertEquals(sh(3, 2), shapeOf(n));
        assertArrayEquals(new long[] {2, 3, 4, 5, 6, 7}, eval1(n, iota(DType.INT64, 5, 2), longs(3)).toLongs());
        Node p = node(g, "CenterCropPad", 18, Attrs.EMPTY, in(g, "y", DType.INT64, 2), k(g, longs(5)));
        assertArrayEquals(new long[] {0, 0, 1, 0, 0}, eval1(p, longs(0, 1), longs(5)).toLongs());
        assertArrayEquals(new long[] {0, 0}, ShapeOpsMath.centerCropPad(5, 4));
        assertArrayEquals(new long[] {0, 1}, ShapeOpsMath.centerCropPad(4, 7));
        assertArrayEquals(new long[] {1, 0}, ShapeOpsMath.centerCropPad(6, 4));
    }

    @Test void opset1Forms() {
        Graph g = g(1);
        Node c = node(g, "Concat", 1, Attrs.EMPTY, in(g, "a", DType.FLOAT32, 2, 1), in(g, "b", DType.FLOAT32, 2, 3));
        assertEquals(sh(2, 4), shapeOf(c));
        Node t = node(g, "Tile", 1, Attrs.EMPTY, in(g, "x", DType.INT64, 2, 3), k(g, Tensor.scalarLong(2)), k(g, Tensor.scalarLong(1)));
        assertEquals(sh(2, 6), shapeOf(t));
        assertArrayEquals(new long[] {0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5}, eval1(t, iota(DType.INT64, 2, 3), Tensor.scalarLong(2), Tensor.scalarLong(1)).toLongs());
        Node r = node(g, "Reshape", 1, at().put("shape", new long[] {3, -1}).build(), in(g, "y", DType.FLOAT32, 2, 3));
        assertEquals(sh(3, 2), shapeOf(r));
        assertArrayEquals(new long[] {3, 2}, eval1(r, iota(DType.FLOAT32, 2, 3)).shape());
        Node p = node(g, "Pad", 1, at().put("paddings", new long[] {1, 0}).put("mode", "edge").build(), in(g, "z", DType.INT64, 2));
        assertArrayEquals(new long[] {0, 0, 1}, eval1(p, iota(DType.INT64, 2)).toLongs());
    }

    @Test void everyFamilyOpIsRegisteredWithAnEvaluator() {
        for (String op : List.of("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split", "Slice", "Expand", "Tile", "Pad",
                "Shape", "Size", "ConstantOfShape", "Range", "Identity", "Compress", "EyeLike", "Trilu", "CenterCropPad")) {
            assertTrue(REG.knows(op), op);
            assertTrue(REG.get(op).eval() != null, op);
        }
    }
}
