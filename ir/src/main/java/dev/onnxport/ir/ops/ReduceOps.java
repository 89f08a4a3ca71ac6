package dev.onnxport.ir.ops;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Shape inference and constant evaluation for the reduction family: ReduceX (axes as attribute or, from
 * ReduceSum-13 / ReduceX-18, as optional input), ArgMax/ArgMin, TopK, CumSum/CumProd and NonMaxSuppression.
 */
public final class ReduceOps {
    private ReduceOps() {}

    /** The ONNX reductions, in registration order. */
    public static final List<String> REDUCTIONS = List.of("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
            "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare");

    static void register(OpRegistry r) {
        for (String op : REDUCTIONS) r.register(op, ReduceOps::reduceShape, ReduceOps::reduceEval);
        r.register("ArgMax", ReduceOps::argShape, ReduceOps::argEval);
        r.register("ArgMin", ReduceOps::argShape, ReduceOps::argEval);
        r.register("TopK", ReduceOps::topKShape, ReduceOps::topKEval);
        r.register("CumSum", n -> Shapes.sameAsInput(n, 0), ReduceOps::cumEval);
        r.register("CumProd", n -> Shapes.sameAsInput(n, 0), ReduceOps::cumEval);
        r.register("NonMaxSuppression", n -> List.of(new ValueType(DType.INT64,
                Shape.of(List.of(Dim.sym(n.output(0).name() + "_selected"), Dim.of(3))))), null);
    }

    // ------------------------------------------------------------------------------------------------ axes

    /**
     * How a reduction node's axes are given. {@code axes} holds the normalised, sorted, distinct axes when they
     * are known at conversion time (all axes for an empty list without noop); it is null when they are a run-time
     * input ({@code runtimeCount} values, or -1 when even their number is unknown). {@code noop}: the node is an
     * identity (empty axes with noop_with_empty_axes=1).
     */
    public record ReduceAxes(int[] axes, int runtimeCount, boolean noop) {
        public boolean isRuntime() { return axes == null && !noop; }
    }

    /** Whether this reduction reads its axes from input 1 (ReduceSum from opset 13, the others from 18). */
    public static boolean axesAsInput(Node n) {
        return n.opType().equals("ReduceSum") ? n.opset() >= 13 : n.opset() >= 18;
    }

    /** Resolves the axes of a ReduceX node against the rank of its data input. */
    public static ReduceAxes reduceAxes(Node n, int rank) {
        boolean noopEmpty = n.attrs().getInt("noop_with_empty_axes", 0) != 0;
        long[] axes;
        Value ax = n.input(1);
        if (ax != null) {
            Tensor t = ax.constant();
            if (t != null) {
                axes = t.toLongs();
            } else {
                Shape s = ax.shape();
                if (s != null && s.rank() == 1 && s.dim(0).isKnown()) {
                    long k = s.size(0);
                    if (k == 0) axes = new long[0];
                    else return new ReduceAxes(null, (int) k, false);
                } else {
                    return new ReduceAxes(null, -1, false);
                }
            }
        } else {
            axes = n.attrs().getInts("axes");
            if (axes == null) axes = new long[0];
        }
        if (axes.length == 0) {
            if (noopEmpty) return new ReduceAxes(null, 0, true);
            int[] all = new int[rank];
            for (int i = 0; i < rank; i++) all[i] = i;
            return new ReduceAxes(all, 0, false);
        }
        return new ReduceAxes(normalizeAxes(axes, rank), 0, false);
    }

    /** Normalised (non-negative), sorted, distinct axes. */
    public static int[] normalizeAxes(long[] axes, int rank) {
        boolean[] seen = new boolean[Math.max(rank, 1)];
        for (long a : axes) seen[Shapes.axis(a, rank)] = true;
        int c = 0;
        for (boolean b : seen) if (b) c++;
        int[] r = new int[c];
        c = 0;
        for (int i = 0; i < seen.length && i < Math.max(rank, 0); i++) if (seen[i]) r[c++] = i;
        return r;
    }

    static List<ValueType> reduceShape(Node n) {
        Value x = n.input(0);
        Shape s = x.shape();
        DType dt = x.dtype();
        if (s == null) return List.of(new ValueType(dt, null));
        int rank = s.rank();
        boolean keep = n.attrs().getInt("keepdims", 1) != 0;
        ReduceAxes ra = reduceAxes(n, rank);
        if (ra.noop()) return List.of(new ValueType(dt, s));
        String base = n.output(0).name();
        if (ra.isRuntime()) {
            List<Dim> d = new ArrayList<>();
            if (keep) {
                for (int i = 0; i < rank; i++) {
                    Dim di = s.dim(i);
                    d.add(di.isKnown() && di.value() == 1 ? di : Dim.sym(base + "_d" + i));
                }
                return List.of(new ValueType(dt, Shape.of(d)));
            }
            if (ra.runtimeCount() < 0 || ra.runtimeCount() > rank) return List.of(new ValueType(dt, null));
            // run-time axes are taken to be distinct (as ONNX requires)
            for (int i = 0; i < rank - ra.runtimeCount(); i++) d.add(Dim.sym(base + "_d" + i));
            return List.of(new ValueType(dt, Shape.of(d)));
        }
        return List.of(new ValueType(dt, reducedShape(s, ra.axes(), keep)));
    }

    /** The shape after reducing the given (normalised) axes. */
    public static Shape reducedShape(Shape s, int[] axes, boolean keep) {
        List<Dim> d = new ArrayList<>();
        for (int i = 0; i < s.rank(); i++) {
            boolean red = contains(axes, i);
            if (!red) d.add(s.dim(i));
            else if (keep) d.add(Dim.of(1));
        }
        return Shape.of(d);
    }

    static boolean contains(int[] a, int v) {
        for (int x : a) if (x == v) return true;
        return false;
    }

    // ------------------------------------------------------------------------------------------------ reduce eval

    static List<Tensor> reduceEval(Node n, List<Tensor> ins) {
        Tensor x = ins.get(0);
        if (x == null || x.dtype() == DType.STRING) return null;
        int rank = x.rank();
        boolean keep = n.attrs().getInt("keepdims", 1) != 0;
        boolean noopEmpty = n.attrs().getInt("noop_with_empty_axes", 0) != 0;
        long[] axes;
        if (ins.size() > 1 && ins.get(1) != null) axes = ins.get(1).toLongs();
        else if (n.input(1) != null) return null;
        else axes = n.attrs().getInts("axes", new long[0]);
        int[] ax;
        if (axes.length == 0) {
            if (noopEmpty) return List.of(x);
            ax = new int[rank];
            for (int i = 0; i < rank; i++) ax[i] = i;
        } else {
            ax = normalizeAxes(axes, rank);
        }
        return List.of(reduce(n.opType(), x, ax, keep));
    }

    /** Evaluates ReduceX over the given normalised axes (the ONNX semantics, including empty-set results). */
    public static Tensor reduce(String op, Tensor x, int[] axes, boolean keep) {
        long[] shape = x.shape();
        int rank = shape.length;
        long[] outShape = reducedShape(Shape.of(shape), axes, keep).toArray();
        long[] keptShape = reducedShape(Shape.of(shape), axes, true).toArray();
        int outN = Math.toIntExact(Tensor.numel(outShape));
        DType dt = x.dtype();
        boolean integer = !dt.isFloat() && dt != DType.BOOL;
        double[] acc = new double[outN];
        long[] lacc = new long[outN];
        double init = switch (op) {
            case "ReduceProd" -> 1;
            case "ReduceMax" -> Double.NEGATIVE_INFINITY;
            case "ReduceMin" -> Double.POSITIVE_INFINITY;
            default -> 0;
        };
        long linit = switch (op) {
            case "ReduceProd" -> 1;
            case "ReduceMax" -> dt == DType.BOOL ? 0 : Long.MIN_VALUE;
            case "ReduceMin" -> dt == DType.BOOL ? 1 : Long.MAX_VALUE;
            default -> 0;
        };
        Arrays.fill(acc, init);
        Arrays.fill(lacc, linit);
        double[] maxv = null;
        if (op.equals("ReduceLogSumExp")) {
            maxv = new double[outN];
            Arrays.fill(maxv, Double.NEGATIVE_INFINITY);
        }
        long total = x.numel();
        long[] strides = strides(keptShape);
        long[] idx = new long[rank];
        // first pass for LogSumExp: the maximum of each group
        if (maxv != null) {
            for (long i = 0; i < total; i++) {
                int o = outIndex(idx, keptShape, strides);
                maxv[o] = Math.max(maxv[o], x.getDouble(i));
                next(idx, shape);
            }
            Arrays.fill(idx, 0);
            for (int o = 0; o < outN; o++) if (Double.isInfinite(maxv[o])) maxv[o] = 0; // empty or all-infinite groups
        }
        boolean useLong = integer && !op.equals("ReduceMean") && !op.equals("ReduceL2") && !op.equals("ReduceLogSum")
                && !op.equals("ReduceLogSumExp");
        long[] count = new long[outN];
        for (long i = 0; i < total; i++) {
            int o = outIndex(idx, keptShape, strides);
            count[o]++;
            if (useLong || (dt == DType.BOOL && (op.equals("ReduceMax") || op.equals("ReduceMin")))) {
                long v = x.getLong(i);
                lacc[o] = switch (op) {
                    case "ReduceSum" -> lacc[o] + v;
                    case "ReduceProd" -> lacc[o] * v;
                    case "ReduceMax" -> Math.max(lacc[o], v);
                    case "ReduceMin" -> Math.min(lacc[o], v);
                    case "ReduceL1" -> lacc[o] + Math.abs(v);
                    case "ReduceSumSquare" -> lacc[o] + v * v;
                    default -> throw new IllegalStateException(op);
                };
            } else {
                double v = x.getDouble(i);
                acc[o] = switch (op) {
                    case "ReduceSum", "ReduceMean", "ReduceLogSum" -> acc[o] + v;
                    case "ReduceProd" -> acc[o] * v;
                    case "ReduceMax" -> Double.isNaN(v) || Double.isNaN(acc[o]) ? Double.NaN : Math.max(acc[o], v);
                    case "ReduceMin" -> Double.isNaN(v) || Double.isNaN(acc[o]) ? Double.NaN : Math.min(acc[o], v);
                    case "ReduceL1" -> acc[o] + Math.abs(v);
                    case "ReduceL2", "ReduceSumSquare" -> acc[o] + v * v;
                    case "ReduceLogSumExp" -> acc[o] + Math.exp(v - maxv[o]);
                    default -> throw new IllegalArgumentException("not a reduction: " + op);
                };
            }
            next(idx, shape);
        }
        if (useLong || (dt == DType.BOOL && (op.equals("ReduceMax") || op.equals("ReduceMin")))) {
            return Tensor.fromLongs(dt, outShape, lacc);
        }
        for (int o = 0; o < outN; o++) {
            acc[o] = switch (op) {
                case "ReduceMean" -> acc[o] / count[o];
                case "ReduceL2" -> Math.sqrt(acc[o]);
                case "ReduceLogSum" -> Math.log(acc[o]);
                case "ReduceLogSumExp" -> Math.log(acc[o]) + maxv[o];
                default -> acc[o];
            };
        }
        if (integer) {
            long[] l = new long[outN];
            for (int o = 0; o < outN; o++) l[o] = (long) acc[o]; // C-style truncation, as onnxruntime
            return Tensor.fromLongs(dt, outShape, l);
        }
        return Tensor.fromDoubles(dt, outShape, acc);
    }

    static long[] strides(long[] shape) {
        long[] s = new long[shape.length];
        long p = 1;
        for (int i = shape.length - 1; i >= 0; i--) { s[i] = p; p *= shape[i]; }
        return s;
    }

    private static int outIndex(long[] idx, long[] keptShape, long[] keptStrides) {
        long o = 0;
        for (int i = 0; i < idx.length; i++) if (keptShape[i] != 1) o += idx[i] * keptStrides[i];
        return (int) o;
    }

    private static void next(long[] idx, long[] shape) {
        for (int i = idx.length - 1; i >= 0; i--) {
            if (++idx[i] < shape[i]) return;
            idx[i] = 0;
        }
    }

    // ------------------------------------------------------------------------------------------------ ArgMax/ArgMin

    static List<ValueType> argShape(Node n) {
        Shape s = n.input(0).shape();
        if (s == null) return List.of(new ValueType(DType.INT64, null));
        int axis = Shapes.axis(n.attrs().getInt("axis", 0), s.rank());
        boolean keep = n.attrs().getInt("keepdims", 1) != 0;
        return List.of(new ValueType(DType.INT64, reducedShape(s, new int[] {axis}, keep)));
    }

    static List<Tensor> argEval(Node n, List<Tensor> ins) {
        Tensor x = ins.get(0);
        if (x == null || x.dtype() == DType.STRING) return null;
        long[] shape = x.shape();
        int axis = Shapes.axis(n.attrs().getInt("axis", 0), shape.length);
        boolean keep = n.attrs().getInt("keepdims", 1) != 0;
        boolean last = n.attrs().getInt("select_last_index", 0) != 0;
        boolean max = n.opType().equals("ArgMax");
        long outer = 1, inner = 1, len = shape[axis];
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
        long[] r = new long[Math.toIntExact(outer * inner)];
        for (long o = 0; o < outer; o++) {
            for (long in = 0; in < inner; in++) {
                long best = 0;
                double bv = Double.NaN;
                for (long k = 0; k < len; k++) {
                    double v = x.getDouble((o * len + k) * inner + in);
                    boolean better = k == 0 || (max ? v > bv : v < bv) || (last && v == bv);
                    if (better) { best = k; bv = v; }
                }
                r[(int) (o * inner + in)] = best;
            }
        }
        long[] outShape = reducedShape(Shape.of(shape), new int[] {axis}, keep).toArray();
        return List.of(Tensor.ofLongs(outShape, r));
    }

    // ------------------------------------------------------------------------------------------------ TopK

    /** K of a TopK node when known at conversion time (attribute before opset 10, else a constant input); else -1. */
    public static long topK(Node n) {
        if (n.opset() < 10 || n.input(1) == null) return n.attrs().getInt("k", -1);
        Tensor t = n.constInput(1);
        return t == null ? -1 : t.getLong(0);
    }

    static List<ValueType> topKShape(Node n) {
        Value x = n.input(0);
        Shape s = x.shape();
        if (s == null) return List.of(new ValueType(x.dtype(), null), new ValueType(DType.INT64, null));
        int axis = Shapes.axis(n.attrs().getInt("axis", -1), s.rank());
        long k = topK(n);
        Dim kd = k >= 0 ? Dim.of(k) : Dim.sym(n.output(0).name() + "_k");
        if (k >= 0 && s.dim(axis).isKnown() && k > s.size(axis))
            throw new ConversionException("TopK k=" + k + " exceeds the axis size " + s.size(axis));
        Shape o = s.withDim(axis, kd);
        return List.of(new ValueType(x.dtype(), o), new ValueType(DType.INT64, o));
    }

    static List<Tensor> topKEval(Node n, List<Tensor> ins) {
        Tensor x = ins.get(0);
        if (x == null || x.dtype() == DType.STRING) return null;
        long k;
        if (n.opset() < 10 || ins.size() < 2 || ins.get(1) == null) k = n.attrs().getInt("k", -1);
        else k = ins.get(1).getLong(0);
        long[] shape = x.shape();
        int axis = Shapes.axis(n.attrs().getInt("axis", -1), shape.length);
        boolean largest = n.attrs().getInt("largest", 1) != 0;
        if (k < 0 || k > shape[axis]) return null;
        long outer = 1, inner = 1, len = shape[axis];
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
        boolean integer = !x.dtype().isFloat();
        int total = Math.toIntExact(outer * k * inner);
        double[] vals = new double[total];
        long[] lvals = new long[total];
        long[] idxs = new long[total];
        for (long o = 0; o < outer; o++) {
            for (long in = 0; in < inner; in++) {
                Integer[] order = new Integer[(int) len];
                for (int j = 0; j < len; j++) order[j] = j;
                final long oo = o, ii = in, ln = len, inn = inner;
                java.util.Comparator<Integer> cmp = (a, b) -> {
                    int c = integer
                            ? Long.compare(x.getLong((oo * ln + a) * inn + ii), x.getLong((oo * ln + b) * inn + ii))
                            : Double.compare(x.getDouble((oo * ln + a) * inn + ii), x.getDouble((oo * ln + b) * inn + ii));
                    if (largest) c = -c;
                    return c != 0 ? c : Integer.compare(a, b);
                };
                Arrays.sort(order, cmp);
                for (int j = 0; j < k; j++) {
                    int p = (int) ((o * k + j) * inner + in);
                    long src = (o * len + order[j]) * inner + in;
                    idxs[p] = order[j];
                    if (integer) lvals[p] = x.getLong(src); else vals[p] = x.getDouble(src);
                }
            }
        }
        long[] os = shape.clone();
        os[axis] = k;
        Tensor v = integer ? Tensor.fromLongs(x.dtype(), os, lvals) : Tensor.fromDoubles(x.dtype(), os, vals);
        return List.of(v, Tensor.ofLongs(os, idxs));
    }

    // ------------------------------------------------------------------------------------------------ CumSum/CumProd

    static List<Tensor> cumEval(Node n, List<Tensor> ins) {
        Tensor x = ins.get(0);
        if (x == null || ins.size() < 2 || ins.get(1) == null || x.dtype() == DType.STRING || x.dtype() == DType.BOOL) return null;
        long[] shape = x.shape();
        if (shape.length == 0) return null;
        int axis = Shapes.axis(ins.get(1).getLong(0), shape.length);
        boolean exclusive = n.attrs().getInt("exclusive", 0) != 0;
        boolean reverse = n.attrs().getInt("reverse", 0) != 0;
        boolean prod = n.opType().equals("CumProd");
        boolean integer = !x.dtype().isFloat();
        long outer = 1, inner = 1, len = shape[axis];
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
        int total = Math.toIntExact(x.numel());
        double[] d = new double[total];
        long[] l = new long[total];
        for (long o = 0; o < outer; o++) {
            for (long in = 0; in < inner; in++) {
                double acc = prod ? 1 : 0;
                long lacc = prod ? 1 : 0;
                for (long j = 0; j < len; j++) {
                    long k = reverse ? len - 1 - j : j;
                    int p = (int) ((o * len + k) * inner + in);
                    if (exclusive) { d[p] = acc; l[p] = lacc; }
                    if (integer) { long v = x.getLong(p); lacc = prod ? lacc * v : lacc + v; }
                    else { double v = x.getDouble(p); acc = prod ? acc * v : acc + v; }
                    if (!exclusive) { d[p] = acc; l[p] = lacc; }
                }
            }
        }
        return List.of(integer ? Tensor.fromLongs(x.dtype(), shape, l) : Tensor.fromDoubles(x.dtype(), shape, d));
    }
}
