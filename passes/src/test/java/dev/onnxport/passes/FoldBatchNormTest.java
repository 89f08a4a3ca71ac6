package dev.onnxport.passes;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FoldBatchNorm on tiny graphs built in code. The reference numbers come from direct implementations here
 * (passes has no onnxruntime dependency): BN(op(x, W, B)) before folding must equal op(x, W', B') after.
 */
class FoldBatchNormTest {
    final Random rnd = new Random(7);

    Tensor random(long... shape) {
        float[] v = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
        return Tensor.ofFloats(shape, v);
    }

    Tensor positive(long... shape) {
        float[] v = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = 0.2f + rnd.nextFloat();
        return Tensor.ofFloats(shape, v);
    }

    static boolean run(Graph g) {
        return new FoldBatchNorm().run(g, PassContext.standard(PassOptions.DEFAULT));
    }

    static long count(Graph g, String op) { return g.nodes().stream().filter(n -> n.opType().equals(op)).count(); }

    /** NCHW 2-D convolution with groups and symmetric padding p, stride 1. */
    static double[] conv(double[] x, long[] xs, double[] w, long[] ws, double[] b, long group, int p) {
        int n = (int) xs[0], c = (int) xs[1], h = (int) xs[2], wd = (int) xs[3];
        int m = (int) ws[0], cg = (int) ws[1], kh = (int) ws[2], kw = (int) ws[3];
        int oh = h + 2 * p - kh + 1, ow = wd + 2 * p - kw + 1, mg = (int) (m / group);
        double[] y = new double[n * m * oh * ow];
        for (int bi = 0; bi < n; bi++) for (int o = 0; o < m; o++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
            double s = b == null ? 0 : b[o];
            int g = o / mg;
            for (int ci = 0; ci < cg; ci++) for (int u = 0; u < kh; u++) for (int v = 0; v < kw; v++) {
                int yi = i + u - p, xj = j + v - p;
                if (yi < 0 || yi >= h || xj < 0 || xj >= wd) continue;
                int cin = g * cg + ci;
                s += x[((bi * c + cin) * h + yi) * wd + xj] * w[((o * cg + ci) * kh + u) * kw + v];
            }
            y[((bi * m + o) * oh + i) * ow + j] = s;
        }
        return y;
    }

    /** NCHW 2-D transposed convolution, stride s, no padding, groups. W [C, M/group, kh, kw]. */
    static double[] convT(double[] x, long[] xs, double[] w, long[] ws, double[] b, long group, int s) {
        int n = (int) xs[0], c = (int) xs[1], h = (int) xs[2], wd = (int) xs[3];
        int mg = (int) ws[1], kh = (int) ws[2], kw = (int) ws[3], m = (int) (mg * group), cg = (int) (c / group);
        int oh = (h - 1) * s + kh, ow = (wd - 1) * s + kw;
        double[] y = new double[n * m * oh * ow];
        for (int bi = 0; bi < n; bi++) for (int o = 0; o < m; o++) for (int i = 0; i < oh * ow; i++) y[(bi * m + o) * oh * ow + i] = b == null ? 0 : b[o];
        for (int bi = 0; bi < n; bi++) for (int ci = 0; ci < c; ci++) for (int i = 0; i < h; i++) for (int j = 0; j < wd; j++) {
            double xv = x[((bi * c + ci) * h + i) * wd + j];
            int g = ci / cg;
            for (int jj = 0; jj < mg; jj++) for (int u = 0; u < kh; u++) for (int v = 0; v < kw; v++) {
                int o = g * mg + jj;
                y[((bi * m + o) * oh + i * s + u) * ow + j * s + v] += xv * w[((ci * mg + jj) * kh + u) * kw + v];
            }
        }
        return y;
    }

    /** Inference batch norm on channel axis 1 of an [N, C, ...] tensor. */
    static double[] bn(double[] x, long[] xs, Tensor s, Tensor b, Tensor m, Tensor v, double eps) {
        int c = (int) xs[1];
        long inner = Tensor.numel(xs) / xs[0] / c;
        double[] y = new double[x.length];
        double[] sv = s.toDoubles(), bv = b.toDoubles(), mv = m.toDoubles(), vv = v.toDoubles();
        for (int i = 0; i < x.length; i++) {
            int ch = (int) ((i / inner) % c);
            y[i] = (x[i] - mv[ch]) / Math.sqrt(vv[ch] + eps) * sv[ch] + bv[ch];
        }
        return y;
    }

    static void close(double[] e, double[] a) {
        assertEquals(e.length, a.length);
        for (int i = 0; i < e.length; i++) assertEquals(e[i], a[i], 1e-4 + 1e-4 * Math.abs(e[i]), "element " + i);
    }

    Node addBn(Graph g, Value x, int ch, Tensor[] params, float eps) {
        params[0] = random(ch);
        params[1] = random(ch);
        params[2] = random(ch);
        params[3] = positive(ch);
        List<Value> ins = List.of(x, g.addConstant("s", params[0]), g.addConstant("b", params[1]), g.addConstant("m", params[2]), g.addConstant("v", params[3]));
        return g.addNodeExact("", "BatchNormalization", "bn", ins, Attrs.builder().put("epsilon", eps).build(), 15, List.of("y"));
    }

    @Test
    void foldsIntoGroupedConv() {
        Graph g = new Graph("t");
        g.opsets().put("", 15);
        long[] xs = {1, 4, 5, 5}, ws = {6, 2, 3, 3};
        Value x = g.addInput("x", ValueType.of(DType.FLOAT32, xs));
        Tensor w = random(ws), b = random(6);
        Node conv = g.addNodeExact("", "Conv", "conv", List.of(x, g.addConstant("w", w), g.addConstant("cb", b)),
                Attrs.builder().put("group", 2L).put("pads", new long[] {1, 1, 1, 1}).build(), 15, List.of("h"));
        Tensor[] p = new Tensor[4];
        Node bn = addBn(g, conv.output(), 6, p, 1e-3f);
        g.addOutput(bn.output());
        double[] xv = random(xs).toDoubles();
        double[] before = bn(conv(xv, xs, w.toDoubles(), ws, b.toDoubles(), 2, 1), new long[] {1, 6, 5, 5}, p[0], p[1], p[2], p[3], 1e-3);

        assertTrue(run(g));
        assertEquals(0, count(g, "BatchNormalization"));
        assertEquals("y", g.outputs().get(0).name());
        assertSame(conv, g.outputs().get(0).producer());
        double[] after = conv(xv, xs, conv.constInput(1).toDoubles(), ws, conv.constInput(2).toDoubles(), 2, 1);
        close(before, after);
    }

    @Test
    void foldsIntoConvWithoutBias() {
        Graph g = new Graph("t");
        g.opsets().put("", 15);
        long[] xs = {2, 3, 4, 4}, ws = {2, 3, 1, 1};
        Value x = g.addInput("x", ValueType.of(DType.FLOAT32, xs));
        Tensor w = random(ws);
        Node conv = g.addNodeExact("", "Conv", "conv", List.of(x, g.addConstant("w", w)), Attrs.EMPTY, 15, List.of("h"));
        Tensor[] p = new Tensor[4];
        Node bn = addBn(g, conv.output(), 2, p, 1e-5f);
        Node relu = g.addNodeExact("", "Relu", "relu", List.of(bn.output()), Attrs.EMPTY, 15, List.of("r"));
        g.addOutput(relu.output());
        double[] xv = random(xs).toDoubles();
        double[] before = bn(conv(xv, xs, w.toDoubles(), ws, null, 1, 0), new long[] {2, 2, 4, 4}, p[0], p[1], p[2], p[3], 1e-5);
        assertTrue(run(g));
        assertEquals(0, count(g, "BatchNormalization"));
        assertSame(conv.output(), relu.input(0));
        close(before, conv(xv, xs, conv.constInput(1).toDoubles(), ws, conv.constInput(2).toDoubles(), 1, 0));
    }

    @Test
    void foldsIntoGroupedConvTranspose() {
        Graph g = new Graph("t");
        g.opsets().put("", 15);
        long[] xs = {1, 4, 3, 3}, ws = {4, 3, 2, 2};
        Value x = g.addInput("x", ValueType.of(DType.FLOAT32, xs));
        Tensor w = random(ws), b = random(6);
        Node ct = g.addNodeExact("", "ConvTranspose", "ct", List.of(x, g.addConstant("w", w), g.addConstant("cb", b)),
                Attrs.builder().put("group", 2L).put("strides", new long[] {2, 2}).build(), 15, List.of("h"));
        Tensor[] p = new Tensor[4];
        Node bn = addBn(g, ct.output(), 6, p, 1e-5f);
        g.addOutput(bn.output());
        double[] xv = random(xs).toDoubles();
        double[] before = bn(convT(xv, xs, w.toDoubles(), ws, b.toDoubles(), 2, 2), new long[] {1, 6, 6, 6}, p[0], p[1], p[2], p[3], 1e-5);
        assertTrue(run(g));
        assertEquals(0, count(g, "BatchNormalization"));
        close(before, convT(xv, xs, ct.constInput(1).toDoubles(), ws, ct.constInput(2).toDoubles(), 2, 2));
    }

    @Test
    void foldsIntoGemm() {
        for (boolean transB : new boolean[] {false, true}) {
            Graph g = new Graph("t");
            g.opsets().put("", 15);
            Value a = g.addInput("a", ValueType.of(DType.FLOAT32, 3, 4));
            Tensor w = transB ? random(5, 4) : random(4, 5), c = random(1, 5);
            Node gemm = g.addNodeExact("", "Gemm", "gemm", List.of(a, g.addConstant("w", w), g.addConstant("c", c)),
                    Attrs.builder().put("transB", transB ? 1L : 0L).put("alpha", 0.5f).put("beta", 2f).build(), 15, List.of("h"));
            Tensor[] p = new Tensor[4];
            Node bn = addBn(g, gemm.output(), 5, p, 1e-5f);
            g.addOutput(bn.output());
            double[] av = random(3, 4).toDoubles();
            double[] before = bn(gemm(av, w.toDoubles(), transB, c.toDoubles(), 0.5, 2), new long[] {3, 5}, p[0], p[1], p[2], p[3], 1e-5);
            assertTrue(run(g));
            assertEquals(0, count(g, "BatchNormalization"));
            double beta = gemm.attrs().getFloat("beta", 1f);
            assertEquals(1.0, beta);
            double[] cNew = gemm.constInput(2).toDoubles();
            close(before, gemm(av, gemm.constInput(1).toDoubles(), transB, cNew, 0.5, beta));
        }
    }

    /** alpha * A[3,4] * B' + beta * C, C broadcast over rows (one row of 5). */
    static double[] gemm(double[] a, double[] b, boolean transB, double[] c, double alpha, double beta) {
        double[] y = new double[15];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 5; j++) {
            double s = 0;
            for (int k = 0; k < 4; k++) s += a[i * 4 + k] * (transB ? b[j * 4 + k] : b[k * 5 + j]);
            y[i * 5 + j] = alpha * s + beta * c[j];
        }
        return y;
    }

    @Test
    void keepsBatchNormWhenConvOutputHasOtherReaders() {
        Graph g = new Graph("t");
        g.opsets().put("", 15);
        Value x = g.addInput("x", ValueType.of(DType.FLOAT32, 1, 2, 3, 3));
        Node conv = g.addNodeExact("", "Conv", "conv", List.of(x, g.addConstant("w", random(2, 2, 1, 1))), Attrs.EMPTY, 15, List.of("h"));
        Node bn = addBn(g, conv.output(), 2, new Tensor[4], 1e-5f);
        g.addOutput(bn.output());
        g.addOutput(conv.output());
        assertFalse(run(g));
        assertEquals(1, count(g, "BatchNormalization"));
    }

    @Test
    void keepsBatchNormAfterRuntimeWeights() {
        Graph g = new Graph("t");
        g.opsets().put("", 15);
        Value x = g.addInput("x", ValueType.of(DType.FLOAT32, 1, 2, 3, 3));
        Value w = g.addInput("w", ValueType.of(DType.FLOAT32, 2, 2, 1, 1));
        Node conv = g.addNodeExact("", "Conv", "conv", List.of(x, w), Attrs.EMPTY, 15, List.of("h"));
        Node bn = addBn(g, conv.output(), 2, new Tensor[4], 1e-5f);
        g.addOutput(bn.output());
        assertFalse(run(g));
    }

    @Test
    void keepsTrainingModeBatchNorm() {
        Graph g = new Graph("t");
        g.opsets().put("", 15);
        Value x = g.addInput("x", ValueType.of(DType.FLOAT32, 1, 2, 3, 3));
        Node conv = g.addNodeExact("", "Conv", "conv", List.of(x, g.addConstant("w", random(2, 2, 1, 1))), Attrs.EMPTY, 15, List.of("h"));
        Node bn = addBn(g, conv.output(), 2, new Tensor[4], 1e-5f);
        bn.setAttrs(bn.attrs().toBuilder().put("training_mode", 1L).build());
        g.addOutput(bn.output());
        assertFalse(run(g));
    }
}
