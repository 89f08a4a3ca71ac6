package dev.onnxport.ir.ops;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Layout;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Shape inference and constant evaluation for the nn family: convolutions, pools, normalizations, Gemm/MatMul,
 * softmax-like ops and Einsum. Layout-sensitive ops (Conv, ConvTranspose, pools, InstanceNormalization, LRN)
 * honour {@link Layout#isNhwc(Node)}: their activations are channels-last then.
 */
final class NnOps {
    private NnOps() {}

    static void register(OpRegistry r) {
        r.register("Conv", NnOps::conv, null);
        r.register("ConvTranspose", NnOps::convTranspose, null);
        r.register("MaxPool", n -> pool(n, true), null);
        r.register("AveragePool", n -> pool(n, false), null);
        r.register("LpPool", n -> pool(n, false), null);
        r.register("GlobalAveragePool", NnOps::globalPool, null);
        r.register("GlobalMaxPool", NnOps::globalPool, null);
        r.register("InstanceNormalization", n -> Shapes.sameAsInput(n, 0), null);
        r.register("LRN", n -> Shapes.sameAsInput(n, 0), null);
        r.register("BatchNormalization", NnOps::batchNorm, null);
        r.register("Gemm", NnOps::gemm, NnOps::evalGemm);
        r.register("MatMul", NnOps::matmul, NnOps::evalMatMul);
        r.register("Softmax", n -> Shapes.sameAsInput(n, 0), (n, in) -> evalSoftmax(n, in, false));
        r.register("LogSoftmax", n -> Shapes.sameAsInput(n, 0), (n, in) -> evalSoftmax(n, in, true));
        r.register("Hardmax", n -> Shapes.sameAsInput(n, 0), NnOps::evalHardmax);
        r.register("LayerNormalization", NnOps::layerNorm, null);
        r.register("GroupNormalization", n -> Shapes.sameAsInput(n, 0), null);
        r.register("RMSNormalization", n -> Shapes.sameAsInput(n, 0), null);
        r.register("LpNormalization", n -> Shapes.sameAsInput(n, 0), null);
        r.register("MeanVarianceNormalization", n -> Shapes.sameAsInput(n, 0), null);
        r.register("Einsum", NnOps::einsum, null);
        NnLoss.register(r);
        NnRotaryGrid.register(r);
    }

    // ------------------------------------------------------------------------------------------- layout helpers

    /** Index of the channel axis of a layout-sensitive node's activation of rank r. */
    static int channelAxis(Node n, int rank) { return Layout.isNhwc(n) ? rank - 1 : 1; }

    /** The spatial dims of x in ONNX order, whatever the node's layout. */
    static List<Dim> spatial(Node n, Shape x) {
        if (x.rank() < 3) throw new ConversionException("input must have rank >= 3, got " + x);
        List<Dim> d = x.dims();
        return Layout.isNhwc(n) ? d.subList(1, d.size() - 1) : d.subList(2, d.size());
    }

    /** [N, C, spatial...] or [N, spatial..., C] per the node's layout. */
    static Shape assemble(Node n, Dim batch, Dim channels, List<Dim> sp) {
        List<Dim> d = new ArrayList<>();
        d.add(batch);
        if (!Layout.isNhwc(n)) d.add(channels);
        d.addAll(sp);
        if (Layout.isNhwc(n)) d.add(channels);
        return Shape.of(d);
    }

    private static String sym(Node n, String what) { return n.output().name() + "_" + what; }

    // ------------------------------------------------------------------------------------------- conv & pools

    /** The kernel size the weights imply (dims 2.. of a weight of the input's rank), or null when not static. */
    private static long[] weightKernel(Shape x, Shape w) {
        if (w.rank() != x.rank()) return null;
        Shape kd = Shape.of(w.dims().subList(2, w.rank()));
        return kd.isStatic() ? kd.toArray() : null;
    }

    static List<ValueType> conv(Node n) {
        Value xv = n.input(0), wv = n.input(1);
        Shape x = Shapes.requireShape(xv);
        Shape w = Shapes.requireShape(wv);
        List<Dim> sp = spatial(n, x);
        NnGeometry.Window win = NnGeometry.window(n, weightKernel(x, w));
        if (win.spatial() != sp.size()) throw new ConversionException("kernel has " + win.spatial() + " dims, input " + sp.size() + " spatial dims");
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < sp.size(); i++) out.add(NnGeometry.forwardDim(win, i, sp.get(i), sym(n, "s" + i)));
        return List.of(new ValueType(xv.dtype(), assemble(n, x.dim(0), w.dim(0), out)));
    }

    static List<ValueType> convTranspose(Node n) {
        Value xv = n.input(0), wv = n.input(1);
        Shape x = Shapes.requireShape(xv);
        Shape w = Shapes.requireShape(wv);
        List<Dim> sp = spatial(n, x);
        NnGeometry.Window win = NnGeometry.window(n, weightKernel(x, w));
        int s = sp.size();
        long[] op = NnGeometry.outputPadding(n, s);
        long[] os = NnGeometry.spatialOutputShape(n, s);
        long group = n.attrs().getInt("group", 1);
        Dim m = w.dim(1).isKnown() ? Dim.of(w.dim(1).value() * group) : Dim.sym(sym(n, "c"));
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < s; i++) {
            if (sp.get(i).isKnown()) out.add(Dim.of(NnGeometry.transposed(win, op, os, i, sp.get(i).value()).out()));
            else if (os != null) out.add(Dim.of(os[i]));
            else out.add(Dim.sym(sym(n, "s" + i)));
        }
        return List.of(new ValueType(xv.dtype(), assemble(n, x.dim(0), m, out)));
    }

    static List<ValueType> pool(Node n, boolean max) {
        Value xv = n.input(0);
        Shape x = Shapes.requireShape(xv);
        List<Dim> sp = spatial(n, x);
        NnGeometry.Window win = NnGeometry.window(n, null);
        if (win.spatial() != sp.size()) throw new ConversionException("kernel has " + win.spatial() + " dims, input " + sp.size() + " spatial dims");
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < sp.size(); i++) out.add(NnGeometry.forwardDim(win, i, sp.get(i), sym(n, "s" + i)));
        int c = channelAxis(n, x.rank());
        ValueType y = new ValueType(xv.dtype(), assemble(n, x.dim(0), x.dim(c), out));
        if (max && n.outputs().size() > 1) return List.of(y, new ValueType(DType.INT64, y.shape()));
        return List.of(y);
    }

    static List<ValueType> globalPool(Node n) {
        Value xv = n.input(0);
        Shape x = Shapes.requireShape(xv);
        List<Dim> sp = spatial(n, x);
        List<Dim> ones = new ArrayList<>();
        for (int i = 0; i < sp.size(); i++) ones.add(Dim.of(1));
        return List.of(new ValueType(xv.dtype(), assemble(n, x.dim(0), x.dim(channelAxis(n, x.rank())), ones)));
    }

    // ------------------------------------------------------------------------------------------- normalizations

    static List<ValueType> batchNorm(Node n) {
        Value xv = n.input(0);
        Shape x = Shapes.requireShape(xv);
        Dim c = x.rank() < 2 ? Dim.of(1) : x.dim(Layout.isNhwc(n) ? x.rank() - 1 : 1);
        List<ValueType> r = new ArrayList<>();
        r.add(new ValueType(xv.dtype(), x));
        DType st = n.input(3) != null && n.input(3).dtype() != null ? n.input(3).dtype() : xv.dtype();
        for (int i = 1; i < n.outputs().size(); i++) r.add(new ValueType(st, Shape.of(List.of(c))));
        return r;
    }

    static List<ValueType> layerNorm(Node n) {
        Value xv = n.input(0);
        Shape x = Shapes.requireShape(xv);
        int a = Shapes.axis(n.attrs().getInt("axis", -1), x.rank());
        List<ValueType> r = new ArrayList<>();
        r.add(new ValueType(xv.dtype(), x));
        List<Dim> st = new ArrayList<>(x.dims().subList(0, a));
        for (int i = a; i < x.rank(); i++) st.add(Dim.of(1));
        long stash = n.attrs().getInt("stash_type", 1);
        DType sd = stash == 1 ? DType.FLOAT32 : xv.dtype();
        for (int i = 1; i < n.outputs().size(); i++) r.add(new ValueType(sd, Shape.of(st)));
        return r;
    }

    // ------------------------------------------------------------------------------------------- Gemm / MatMul

    static List<ValueType> gemm(Node n) {
        Shape a = Shapes.requireShape(n.input(0)), b = Shapes.requireShape(n.input(1));
        if (a.rank() != 2 || b.rank() != 2) throw new ConversionException("Gemm needs 2-D A and B, got " + a + " and " + b);
        boolean ta = n.attrs().getInt("transA", 0) != 0, tb = n.attrs().getInt("transB", 0) != 0;
        Dim m = a.dim(ta ? 1 : 0), nn = b.dim(tb ? 0 : 1);
        return List.of(new ValueType(n.input(0).dtype(), Shape.of(List.of(m, nn))));
    }

    static List<ValueType> matmul(Node n) {
        Shape a = Shapes.requireShape(n.input(0)), b = Shapes.requireShape(n.input(1));
        return List.of(new ValueType(n.input(0).dtype(), matmulShape(a, b)));
    }

    /** numpy.matmul result shape (1-D operands promoted and their added dim removed). */
    static Shape matmulShape(Shape a, Shape b) {
        if (a.rank() == 0 || b.rank() == 0) throw new ConversionException("MatMul operands must not be scalars");
        boolean av = a.rank() == 1, bv = b.rank() == 1;
        Shape a2 = av ? Shape.of(List.of(Dim.of(1), a.dim(0))) : a;
        Shape b2 = bv ? Shape.of(List.of(b.dim(0), Dim.of(1))) : b;
        Shape batch = Shapes.broadcast(Shape.of(a2.dims().subList(0, a2.rank() - 2)), Shape.of(b2.dims().subList(0, b2.rank() - 2)));
        Dim ka = a2.dim(-1), kb = b2.dim(-2);
        if (ka.isKnown() && kb.isKnown() && ka.value() != kb.value())
            throw new ConversionException("MatMul inner dims differ: " + a + " x " + b);
        List<Dim> d = new ArrayList<>(batch.dims());
        if (!av) d.add(a2.dim(-2));
        if (!bv) d.add(b2.dim(-1));
        return Shape.of(d);
    }

    static List<Tensor> evalMatMul(Node n, List<Tensor> in) {
        Tensor a = in.get(0), b = in.get(1);
        if (a == null || b == null) return null;
        return List.of(matmul(a, b));
    }

    /** numpy.matmul on constants (float types in double, integer types in long). */
    static Tensor matmul(Tensor a, Tensor b) {
        long[] as = a.shape(), bs = b.shape();
        boolean av = as.length == 1, bv = bs.length == 1;
        long[] a2 = av ? new long[] {1, as[0]} : as;
        long[] b2 = bv ? new long[] {bs[0], 1} : bs;
        Shape batch = Shapes.broadcast(Shape.of(Arrays.copyOf(a2, a2.length - 2)), Shape.of(Arrays.copyOf(b2, b2.length - 2)));
        long[] bt = batch.toArray();
        int m = (int) a2[a2.length - 2], k = (int) a2[a2.length - 1], nn = (int) b2[b2.length - 1];
        if (b2[b2.length - 2] != k) throw new ConversionException("MatMul inner dims differ");
        int nb = (int) Tensor.numel(bt);
        boolean fl = a.dtype().isFloat();
        double[] rd = fl ? new double[nb * m * nn] : null;
        long[] rl = fl ? null : new long[nb * m * nn];
        long[] aBatch = Arrays.copyOf(a2, a2.length - 2), bBatch = Arrays.copyOf(b2, b2.length - 2);
        for (int bi = 0; bi < nb; bi++) {
            long[] idx = unravel(bi, bt);
            long ao = broadcastOffset(idx, aBatch) * m * k, bo = broadcastOffset(idx, bBatch) * k * nn;
            for (int i = 0; i < m; i++) for (int j = 0; j < nn; j++) {
                int o = (bi * m + i) * nn + j;
                if (fl) {
                    double s = 0;
                    for (int t = 0; t < k; t++) s += a.getDouble(ao + (long) i * k + t) * b.getDouble(bo + (long) t * nn + j);
                    rd[o] = s;
                } else {
                    long s = 0;
                    for (int t = 0; t < k; t++) s += a.getLong(ao + (long) i * k + t) * b.getLong(bo + (long) t * nn + j);
                    rl[o] = s;
                }
            }
        }
        List<Long> shape = new ArrayList<>();
        for (long d : bt) shape.add(d);
        if (!av) shape.add((long) m);
        if (!bv) shape.add((long) nn);
        long[] os = shape.stream().mapToLong(Long::longValue).toArray();
        return fl ? Tensor.fromDoubles(a.dtype(), os, rd) : Tensor.fromLongs(a.dtype(), os, rl);
    }

    static long[] unravel(long i, long[] shape) {
        long[] idx = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = shape[d] == 0 ? 0 : i % shape[d];
            i = shape[d] == 0 ? 0 : i / shape[d];
        }
        return idx;
    }

    /** Flat offset into a tensor of shape s (right-aligned with idx, size-1 dims broadcast). */
    static long broadcastOffset(long[] idx, long[] s) {
        long off = 0;
        int shift = idx.length - s.length;
        for (int d = 0; d < s.length; d++) off = off * s[d] + (s[d] == 1 ? 0 : idx[d + shift]);
        return off;
    }

    static List<Tensor> evalGemm(Node n, List<Tensor> in) {
        Tensor a = in.get(0), b = in.get(1), c = in.size() > 2 ? in.get(2) : null;
        if (a == null || b == null || !a.dtype().isFloat() || a.rank() != 2 || b.rank() != 2) return null;
        boolean ta = n.attrs().getInt("transA", 0) != 0, tb = n.attrs().getInt("transB", 0) != 0;
        double alpha = n.attrs().getFloat("alpha", 1f), beta = n.attrs().getFloat("beta", 1f);
        long[] as = a.shape(), bs = b.shape();
        int m = (int) (ta ? as[1] : as[0]), k = (int) (ta ? as[0] : as[1]), nn = (int) (tb ? bs[0] : bs[1]);
        double[] r = new double[m * nn];
        long[] cs = c == null ? null : c.shape();
        for (int i = 0; i < m; i++) for (int j = 0; j < nn; j++) {
            double s = 0;
            for (int t = 0; t < k; t++) {
                double av = ta ? a.getDouble((long) t * m + i) : a.getDouble((long) i * k + t);
                double bv = tb ? b.getDouble((long) j * k + t) : b.getDouble((long) t * nn + j);
                s += av * bv;
            }
            s *= alpha;
            if (c != null) s += beta * c.getDouble(broadcastOffset(new long[] {i, j}, cs));
            r[i * nn + j] = s;
        }
        return List.of(Tensor.fromDoubles(a.dtype(), new long[] {m, nn}, r));
    }

    // ------------------------------------------------------------------------------------------- softmax family

    /** Softmax/LogSoftmax/Hardmax reduce over [axis, rank) before opset 13 (2-D coercion), over axis from 13 on. */
    static int[] softmaxSpan(Node n, int rank) {
        boolean old = n.opset() > 0 && n.opset() < 13;
        int axis = Shapes.axis(n.attrs().getInt("axis", old ? 1 : -1), rank);
        return old ? new int[] {axis, rank} : new int[] {axis, axis + 1};
    }

    static List<Tensor> evalSoftmax(Node n, List<Tensor> in, boolean log) {
        Tensor x = in.get(0);
        if (x == null || !x.dtype().isFloat()) return null;
        double[] v = x.toDoubles();
        forEachRow(n, x.shape(), v, row -> {
            double mx = Double.NEGATIVE_INFINITY;
            for (double d : row) mx = Math.max(mx, d);
            double s = 0;
            for (double d : row) s += Math.exp(d - mx);
            for (int i = 0; i < row.length; i++) row[i] = log ? row[i] - mx - Math.log(s) : Math.exp(row[i] - mx) / s;
        });
        return List.of(Tensor.fromDoubles(x.dtype(), x.shape(), v));
    }

    static List<Tensor> evalHardmax(Node n, List<Tensor> in) {
        Tensor x = in.get(0);
        if (x == null || !x.dtype().isFloat()) return null;
        double[] v = x.toDoubles();
        forEachRow(n, x.shape(), v, row -> {
            int best = 0;
            for (int i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
            Arrays.fill(row, 0);
            if (row.length > 0) row[best] = 1;
        });
        return List.of(Tensor.fromDoubles(x.dtype(), x.shape(), v));
    }

    /** Applies f to every reduction row of v (laid out with shape s) in place. */
    private static void forEachRow(Node n, long[] s, double[] v, java.util.function.Consumer<double[]> f) {
        int[] span = softmaxSpan(n, s.length);
        long outer = 1, len = 1, inner = 1;
        for (int i = 0; i < span[0]; i++) outer *= s[i];
        for (int i = span[0]; i < span[1]; i++) len *= s[i];
        for (int i = span[1]; i < s.length; i++) inner *= s[i];
        double[] row = new double[(int) len];
        for (long o = 0; o < outer; o++) for (long in = 0; in < inner; in++) {
            for (int j = 0; j < len; j++) row[j] = v[(int) ((o * len + j) * inner + in)];
            f.accept(row);
            for (int j = 0; j < len; j++) v[(int) ((o * len + j) * inner + in)] = row[j];
        }
    }

    // ------------------------------------------------------------------------------------------- Einsum

    static List<ValueType> einsum(Node n) {
        int[] ranks = new int[n.inputCount()];
        for (int i = 0; i < ranks.length; i++) ranks[i] = Shapes.requireShape(n.input(i)).rank();
        NnEinsum.Equation eq = NnEinsum.parse(n.attrs().getString("equation", ""), ranks);
        List<Dim> out = new ArrayList<>();
        for (char c : eq.output().toCharArray()) {
            Dim d = null;
            for (int i = 0; i < ranks.length; i++) {
                int p = eq.inputs().get(i).indexOf(c);
                if (p < 0) continue;
                Dim di = n.input(i).shape().dim(p);
                if (d == null || (d.isKnown() && d.value() == 1)) d = di;
            }
            out.add(d);
        }
        return List.of(new ValueType(n.input(0).dtype(), Shape.of(out)));
    }
}
