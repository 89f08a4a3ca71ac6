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
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Shape functions and evaluators of the nn family, checked against hand-computed values. */
class NnOpsTest {
    static final OpRegistry R = OpRegistry.standard();

    /** A graph with inputs of the given shapes (null entries: omitted inputs) and one node of op. */
    static Node node(String op, int opset, Attrs a, int outputs, Shape... ins) {
        Graph g = new Graph("t");
        g.opsets().put("", opset);
        List<Value> vs = new ArrayList<>();
        for (int i = 0; i < ins.length; i++) vs.add(ins[i] == null ? null : g.addInput("i" + i, new ValueType(DType.FLOAT32, ins[i])));
        List<String> outs = new ArrayList<>();
        for (int i = 0; i < outputs; i++) outs.add("o" + i);
        return g.addNodeExact("", op, "n", vs, a, opset, outs);
    }

    static Shape infer(String op, Attrs a, Shape... ins) { return R.infer(node(op, 17, a, 1, ins)).get(0).shape(); }

    static Attrs.Builder a() { return Attrs.builder(); }

    static Shape s(long... d) { return Shape.of(d); }

    // ------------------------------------------------------------------------------------------- conv & pools

    @Test
    void convExplicitPadsStridesDilations() {
        // H: (11 + 1 + 2 - ((3-1)*2+1)) / 2 + 1 = 5; W: (9 + 0 + 1 - 2) / 1 + 1 = 9
        Attrs at = a().put("strides", new long[] {2, 1}).put("dilations", new long[] {2, 1}).put("pads", new long[] {1, 0, 2, 1}).build();
        assertEquals(s(1, 4, 5, 9), infer("Conv", at, s(1, 3, 11, 9), s(4, 3, 3, 2)));
        Attrs nhwc = at.toBuilder().put(Layout.ATTR, Layout.NHWC).build();
        assertEquals(s(1, 5, 9, 4), infer("Conv", nhwc, s(1, 11, 9, 3), s(4, 3, 3, 2)));
    }

    @Test
    void convAutoPadAndSymbolicDims() {
        Shape x = Shape.of(List.of(Dim.sym("N"), Dim.of(3), Dim.sym("H"), Dim.of(10)));
        Shape y = infer("Conv", a().put("auto_pad", "SAME_UPPER").put("strides", new long[] {1, 3}).build(), x, s(8, 3, 3, 3));
        assertEquals(Dim.sym("N"), y.dim(0));
        assertEquals(Dim.of(8), y.dim(1));
        assertEquals(Dim.sym("H"), y.dim(2)); // stride 1 with SAME keeps the symbol
        assertEquals(Dim.of(4), y.dim(3)); // ceil(10 / 3)
        assertEquals(s(1, 2, 3, 2), infer("Conv", a().put("auto_pad", "VALID").put("strides", new long[] {2, 3}).build(), s(1, 1, 7, 6), s(2, 1, 3, 2)));
        // 1-D with a kernel_shape attribute and groups
        assertEquals(s(2, 6, 4), infer("Conv", a().put("kernel_shape", new long[] {3}).put("group", 2L).build(), s(2, 4, 6), s(6, 2, 3)));
    }

    @Test
    void convTransposeShapes() {
        // out = 3*(3-1) + 1 + 3 - 0 - 0 = 10 (H), 2*(3-1) + 1 + 3 = 8 (W)
        assertEquals(s(1, 2, 10, 8), infer("ConvTranspose", a().put("strides", new long[] {3, 2}).put("output_padding", new long[] {1, 1}).build(), s(1, 1, 3, 3), s(1, 2, 3, 3)));
        assertEquals(s(1, 2, 10, 8), infer("ConvTranspose", a().put("strides", new long[] {3, 2}).put("output_shape", new long[] {10, 8}).build(), s(1, 1, 3, 3), s(1, 2, 3, 3)));
        // pads [1,2,1,2]: 3*2 + 3 - 2 = 7, 2*2 + 3 - 4 = 3
        assertEquals(s(1, 2, 7, 3), infer("ConvTranspose", a().put("strides", new long[] {3, 2}).put("pads", new long[] {1, 2, 1, 2}).build(), s(1, 1, 3, 3), s(1, 2, 3, 3)));
        // SAME_UPPER: in * stride; groups multiply the weight's channel dim; dilation widens the kernel
        assertEquals(s(1, 4, 6, 6), infer("ConvTranspose", a().put("auto_pad", "SAME_UPPER").put("strides", new long[] {2, 2}).put("group", 2L).build(), s(1, 2, 3, 3), s(2, 2, 3, 3)));
        assertEquals(s(1, 1, 5, 5), infer("ConvTranspose", a().put("dilations", new long[] {2, 2}).build(), s(1, 1, 3, 3), s(1, 1, 2, 2)));
        assertEquals(s(1, 3, 2, 5), infer("ConvTranspose", a().put(Layout.ATTR, Layout.NHWC).build(), s(1, 1, 3, 1), s(1, 3, 2, 3)).permute(new int[] {0, 3, 1, 2}));
    }

    @Test
    void transposedGeometryCropsAndExtends() {
        Node n = node("ConvTranspose", 17, a().put("strides", new long[] {3, 2}).build(), 1, s(1, 1, 3, 3), s(1, 2, 3, 3));
        NnGeometry.Window w = NnGeometry.window(n, new long[] {3, 3});
        // output_shape larger than the full result: zeros appended at the end (negative end padding)
        NnGeometry.Axis ax = NnGeometry.transposed(w, new long[] {0, 0}, new long[] {10, 8}, 0, 3);
        assertEquals(new NnGeometry.Axis(3, 10, 0, -1), ax);
        Node same = node("ConvTranspose", 17, a().put("strides", new long[] {2, 2}).put("auto_pad", "SAME_LOWER").build(), 1, s(1, 1, 4, 4), s(1, 1, 3, 3));
        // full = 2*3 + 3 = 9, out = 8, total 1: SAME_LOWER puts it at the beginning
        assertEquals(new NnGeometry.Axis(4, 8, 1, 0), NnGeometry.transposed(NnGeometry.window(same, new long[] {3, 3}), null, null, 0, 4));
    }

    @Test
    void poolShapesCeilModeAndIndices() {
        assertEquals(s(1, 1, 2, 2), infer("MaxPool", a().put("kernel_shape", new long[] {3, 3}).put("strides", new long[] {2, 2}).put("ceil_mode", 1L).build(), s(1, 1, 4, 4)));
        assertEquals(s(1, 1, 1, 1), infer("MaxPool", a().put("kernel_shape", new long[] {3, 3}).put("strides", new long[] {2, 2}).build(), s(1, 1, 4, 4)));
        // the last window would start in the end padding: ceil_mode output shrinks by one
        assertEquals(s(1, 1, 1, 1), infer("MaxPool", a().put("kernel_shape", new long[] {1, 1}).put("strides", new long[] {2, 2}).put("ceil_mode", 1L).build(), s(1, 1, 2, 2)));
        List<ValueType> two = R.infer(node("MaxPool", 12, a().put("kernel_shape", new long[] {2, 2}).build(), 2, s(1, 3, 5, 5)));
        assertEquals(s(1, 3, 4, 4), two.get(0).shape());
        assertEquals(DType.INT64, two.get(1).dtype());
        assertEquals(s(1, 3, 32, 32), infer("AveragePool", a().put("kernel_shape", new long[] {2, 2}).put("auto_pad", "SAME_LOWER").build(), s(1, 3, 32, 32)));
        assertEquals(s(1, 1, 9, 9, 9), infer("AveragePool", a().put("kernel_shape", new long[] {5, 5, 5}).put("strides", new long[] {3, 3, 3})
                .put("dilations", new long[] {2, 2, 2}).put("ceil_mode", 1L).build(), s(1, 1, 32, 32, 32)));
        assertEquals(s(1, 3, 30, 30), infer("LpPool", a().put("kernel_shape", new long[] {3, 3}).put("pads", new long[] {2, 2, 2, 2}).build(), s(1, 3, 28, 28)));
        assertEquals(s(2, 3, 1, 1), infer("GlobalAveragePool", Attrs.EMPTY, s(2, 3, 5, 7)));
        assertEquals(s(2, 1, 1, 1, 3), infer("GlobalMaxPool", a().put(Layout.ATTR, Layout.NHWC).build(), s(2, 4, 5, 7, 3)));
    }

    @Test
    void windowTaps() {
        // window of output 0 with stride 2, kernel 3, pad 1 covers -1, 0, 1: two real taps, three with the padding
        assertEquals(2, NnGeometry.taps(0, 2, 3, 1, 1, 0, 5));
        assertEquals(3, NnGeometry.taps(0, 2, 3, 1, 1, -1, 6));
        // dilation 2 from 3: taps 3, 5, 7; input size 6 keeps two
        assertEquals(2, NnGeometry.taps(1, 3, 3, 2, 0, 0, 6));
    }

    @Test
    void badWindowsAreRejected() {
        assertThrows(RuntimeException.class, () -> infer("Conv", a().put("pads", new long[] {1, 1}).build(), s(1, 1, 5, 5), s(1, 1, 3, 3)));
        assertThrows(RuntimeException.class, () -> infer("MaxPool", a().put("kernel_shape", new long[] {7, 7}).build(), s(1, 1, 5, 5)));
    }

    // ------------------------------------------------------------------------------------------- normalizations

    @Test
    void normalizationShapes() {
        List<ValueType> bn = R.infer(node("BatchNormalization", 15, a().put("training_mode", 1L).build(), 3, s(2, 3, 4, 5), s(3), s(3), s(3), s(3)));
        assertEquals(s(2, 3, 4, 5), bn.get(0).shape());
        assertEquals(s(3), bn.get(1).shape());
        assertEquals(s(3), bn.get(2).shape());
        List<ValueType> ln = R.infer(node("LayerNormalization", 17, a().put("axis", 2L).build(), 3, s(2, 3, 4, 5), s(4, 5), s(4, 5)));
        assertEquals(s(2, 3, 4, 5), ln.get(0).shape());
        assertEquals(s(2, 3, 1, 1), ln.get(1).shape());
        assertEquals(s(2, 3, 1, 1), ln.get(2).shape());
        assertEquals(s(3, 1, 1), R.infer(node("LayerNormalization", 17, a().put("axis", -2L).build(), 3, s(3, 4, 5), s(4, 5))).get(2).shape());
        assertEquals(s(5, 5, 5, 5), infer("LRN", a().put("size", 3L).build(), s(5, 5, 5, 5)));
        assertEquals(s(3, 4, 2, 2), infer("GroupNormalization", a().put("num_groups", 2L).build(), s(3, 4, 2, 2), s(4), s(4)));
        assertEquals(s(2, 3), infer("RMSNormalization", Attrs.EMPTY, s(2, 3), s(3)));
        assertEquals(s(2, 2, 3), infer("LpNormalization", Attrs.EMPTY, s(2, 2, 3)));
        assertEquals(s(3, 3, 3, 1), infer("MeanVarianceNormalization", Attrs.EMPTY, s(3, 3, 3, 1)));
        assertEquals(s(2, 3, 4), infer("InstanceNormalization", Attrs.EMPTY, s(2, 3, 4), s(3), s(3)));
    }

    // ------------------------------------------------------------------------------------------- Gemm / MatMul

    @Test
    void gemmAndMatMulShapes() {
        assertEquals(s(3, 5), infer("Gemm", a().put("transA", 1L).put("transB", 1L).build(), s(4, 3), s(5, 4), s(1, 5)));
        assertEquals(s(), infer("MatMul", Attrs.EMPTY, s(3), s(3)));
        assertEquals(s(2, 1), infer("MatMul", Attrs.EMPTY, s(4), s(2, 4, 1)));
        assertEquals(s(1, 2, 4), infer("MatMul", Attrs.EMPTY, s(1, 2, 4, 3), s(3)));
        assertEquals(s(3, 2, 3, 2), infer("MatMul", Attrs.EMPTY, s(3, 1, 3, 4), s(1, 2, 4, 2)));
        Shape sym = infer("MatMul", Attrs.EMPTY, Shape.of(List.of(Dim.sym("B"), Dim.of(7), Dim.of(4))), s(4, 6));
        assertEquals(Shape.of(List.of(Dim.sym("B"), Dim.of(7), Dim.of(6))), sym);
        assertThrows(RuntimeException.class, () -> infer("MatMul", Attrs.EMPTY, s(2, 3), s(4, 2)));
    }

    static Tensor f(long[] shape, float... v) { return Tensor.ofFloats(shape, v); }

    static List<Tensor> eval(String op, int opset, Attrs a, Tensor... ins) {
        Shape[] shapes = new Shape[ins.length];
        for (int i = 0; i < ins.length; i++) shapes[i] = ins[i] == null ? null : Shape.of(ins[i].shape());
        Node n = node(op, opset, a, 1, shapes);
        List<Tensor> in = new ArrayList<>();
        for (Tensor t : ins) in.add(t);
        return R.get(op).eval().eval(n, in);
    }

    @Test
    void matMulEvaluator() {
        // [[1,2],[3,4]] x [[5,6],[7,8]] = [[19,22],[43,50]]
        Tensor r = eval("MatMul", 13, Attrs.EMPTY, f(new long[] {2, 2}, 1, 2, 3, 4), f(new long[] {2, 2}, 5, 6, 7, 8)).get(0);
        assertArrayEquals(new long[] {2, 2}, r.shape());
        assertArrayEquals(new double[] {19, 22, 43, 50}, r.toDoubles());
        // batched with broadcasting: [2,1,2] x [2,1] -> [2,1,1]
        Tensor b = eval("MatMul", 13, Attrs.EMPTY, f(new long[] {2, 1, 2}, 1, 2, 3, 4), f(new long[] {2, 1}, 10, 1)).get(0);
        assertArrayEquals(new long[] {2, 1, 1}, b.shape());
        assertArrayEquals(new double[] {12, 34}, b.toDoubles());
        // vector x vector -> scalar; int64 stays exact
        Tensor iv = eval("MatMul", 13, Attrs.EMPTY, Tensor.ofLongs(new long[] {3}, 1, 2, 3), Tensor.ofLongs(new long[] {3}, 4, 5, 6)).get(0);
        assertArrayEquals(new long[0], iv.shape());
        assertEquals(DType.INT64, iv.dtype());
        assertEquals(32, iv.getLong(0));
    }

    @Test
    void gemmEvaluator() {
        // A^T = [[1,3],[2,4]]; B = I; alpha 2 -> [[2,6],[4,8]]; + 0.5 * C[1,2] = [10, 20]
        Tensor r = eval("Gemm", 13, a().put("transA", 1L).put("alpha", 2f).put("beta", 0.5f).build(),
                f(new long[] {2, 2}, 1, 2, 3, 4), f(new long[] {2, 2}, 1, 0, 0, 1), f(new long[] {1, 2}, 10, 20)).get(0);
        assertArrayEquals(new double[] {7, 16, 9, 18}, r.toDoubles());
    }

    @Test
    void softmaxFamilyEvaluators() {
        Tensor x = f(new long[] {2, 2}, 0, (float) Math.log(3), 1, 1);
        double[] sm = eval("Softmax", 13, Attrs.EMPTY, x).get(0).toDoubles();
        assertEquals(0.25, sm[0], 1e-6);
        assertEquals(0.75, sm[1], 1e-6);
        assertEquals(0.5, sm[2], 1e-6);
        double[] ls = eval("LogSoftmax", 13, Attrs.EMPTY, x).get(0).toDoubles();
        assertEquals(Math.log(0.25), ls[0], 1e-6);
        // opset 11 axis 0 coerces to [1, 4]: softmax over all four elements (1 + 3 + e + e)
        double[] all = eval("Softmax", 11, a().put("axis", 0L).build(), x).get(0).toDoubles();
        assertEquals(1 / (4 + 2 * Math.E), all[0], 1e-6);
        // opset 13 axis 0: per column
        double[] col = eval("Softmax", 13, a().put("axis", 0L).build(), x).get(0).toDoubles();
        assertEquals(1 / (1 + Math.E), col[0], 1e-6);
        // Hardmax: first maximum wins
        double[] hm = eval("Hardmax", 13, Attrs.EMPTY, f(new long[] {2, 3}, 1, 5, 5, 2, 0, 1)).get(0).toDoubles();
        assertArrayEquals(new double[] {0, 1, 0, 1, 0, 0}, hm);
    }

    // ------------------------------------------------------------------------------------------- Einsum

    @Test
    void einsumShapes() {
        assertEquals(s(5, 2, 4), infer("Einsum", a().put("equation", "bij, bjk -> bik").build(), s(5, 2, 3), s(5, 3, 4)));
        assertEquals(s(), infer("Einsum", a().put("equation", "i,i").build(), s(5), s(5)));
        assertEquals(s(2, 4), infer("Einsum", a().put("equation", "ij,jk").build(), s(2, 3), s(3, 4)));
        assertEquals(s(4, 3), infer("Einsum", a().put("equation", "ij->ji").build(), s(3, 4)));
        assertEquals(s(3, 5), infer("Einsum", a().put("equation", "...ii ->...i").build(), s(3, 5, 5)));
        assertEquals(s(2, 7, 3, 4), infer("Einsum", a().put("equation", "...ij,...jk").build(), s(2, 1, 3, 5), s(7, 5, 4)));
        NnEinsum.Equation eq = NnEinsum.parse("...ij,jk->...ik", new int[] {4, 2});
        assertEquals(List.of("89ij", "jk"), eq.inputs());
        assertEquals("89ik", eq.output());
        assertThrows(RuntimeException.class, () -> NnEinsum.parse("ij,jk", new int[] {3, 2}));
    }
}
