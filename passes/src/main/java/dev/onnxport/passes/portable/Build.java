package dev.onnxport.passes.portable;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.passes.PassContext;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Emits standard-domain nodes into a graph for the portable rewrites, in the input/attribute form of the graph's
 * opset, or of {@link dev.onnxport.passes.PassOptions#targetOpset()} when the options name the opset the graph will be
 * written at (Unsqueeze/Squeeze/ReduceSum axes as inputs from 13, the other reductions from 18, Slice from 10), with
 * output types computed here (the op registry does not know every op these rewrites emit). Node and value names
 * derive from a hint (usually the replaced node's name).
 */
final class Build {
    final Graph g;
    final String hint;
    final int opset;

    Build(Graph g, String hint, PassContext ctx) {
        this.g = g;
        this.hint = hint;
        int own = g.opset() > 0 ? g.opset() : 17;
        this.opset = ctx == null || ctx.options() == null ? own : ctx.options().opsetFor(own);
    }

    // ------------------------------------------------------------------------------------------------ constants

    Value constant(Tensor t) { Value v = g.addConstant(hint + "_c", t); v.setProvenance(null); return v; }

    /** A rank-0 constant of the given type. */
    Value scalar(DType dt, double v) { return constant(Tensor.fromDoubles(dt, new long[0], new double[] {v})); }

    /** A 1-D int64 constant. */
    Value longs(long... v) { return constant(Tensor.ofLongs(new long[] {v.length}, v)); }

    // ------------------------------------------------------------------------------------------------ generic nodes

    Value op(String opType, ValueType out, Attrs a, Value... ins) {
        return opIn("", opType, out, a, Arrays.asList(ins));
    }

    Value opIn(String domain, String opType, ValueType out, Attrs a, List<Value> ins) {
        String base = hint + "_" + opType.toLowerCase(java.util.Locale.ROOT);
        Node n = g.addNode(domain, opType, base, ins, a, opset, base);
        n.output().setType(out);
        return n.output();
    }

    // ------------------------------------------------------------------------------------------------ elementwise

    Value unary(String opType, Value x) { return op(opType, x.type(), Attrs.EMPTY, x); }

    Value binary(String opType, Value a, Value b) {
        return op(opType, new ValueType(a.dtype(), broadcast(a.shape(), b.shape())), Attrs.EMPTY, a, b);
    }

    Value compare(String opType, Value a, Value b) {
        return op(opType, new ValueType(DType.BOOL, broadcast(a.shape(), b.shape())), Attrs.EMPTY, a, b);
    }

    Value add(Value a, Value b) { return binary("Add", a, b); }

    Value sub(Value a, Value b) { return binary("Sub", a, b); }

    Value mul(Value a, Value b) { return binary("Mul", a, b); }

    Value div(Value a, Value b) { return binary("Div", a, b); }

    Value max(Value a, Value b) { return binary("Max", a, b); }

    Value min(Value a, Value b) { return binary("Min", a, b); }

    Value add(Value a, double c) { return add(a, scalar(a.dtype(), c)); }

    Value mul(Value a, double c) { return mul(a, scalar(a.dtype(), c)); }

    Value max(Value a, double c) { return max(a, scalar(a.dtype(), c)); }

    Value min(Value a, double c) { return min(a, scalar(a.dtype(), c)); }

    /** c - a. */
    Value rsub(double c, Value a) { return sub(scalar(a.dtype(), c), a); }

    /** c / a. */
    Value rdiv(double c, Value a) { return div(scalar(a.dtype(), c), a); }

    /** min(max(x, lo), hi) with Max/Min (no Clip: its form changed across opsets and not every target has it). */
    Value clamp(Value x, double lo, double hi) { return min(max(x, lo), hi); }

    /** |x| as Max(x, -x): no Abs or Neg. */
    Value abs(Value x) { return max(x, mul(x, -1)); }

    /** -x as x * -1. */
    Value neg(Value x) { return mul(x, -1); }

    Value where(Value c, Value a, Value b) {
        Shape s = broadcast(c.shape(), broadcast(a.shape(), b.shape()));
        return op("Where", new ValueType(a.dtype(), s), Attrs.EMPTY, c, a, b);
    }

    Value cast(Value x, DType to) {
        return op("Cast", new ValueType(to, x.shape()), Attrs.builder().put("to", (long) to.onnxCode()).build(), x);
    }

    /** Horner evaluation of c[0] + c[1] z + ... + c[k] z^k. */
    Value poly(Value z, double... c) {
        Value acc = mul(z, scalar(z.dtype(), c[c.length - 1]));
        for (int i = c.length - 2; i >= 0; i--) {
            acc = add(acc, c[i]);
            if (i > 0) acc = mul(acc, z);
        }
        return acc;
    }

    // ------------------------------------------------------------------------------------------------ shape ops

    /** Reshape to a fully known shape (no 0, no -1). */
    Value reshape(Value x, long... shape) {
        for (long d : shape) if (d < 0) throw new IllegalArgumentException("reshape to " + Arrays.toString(shape));
        return op("Reshape", new ValueType(x.dtype(), Shape.of(shape)), Attrs.EMPTY, x, longs(shape));
    }

    /** Reshape with a computed target; the output type is given. */
    Value reshape(Value x, Value target, Shape out) {
        return op("Reshape", new ValueType(x.dtype(), out), Attrs.EMPTY, x, target);
    }

    Value unsqueeze(Value x, long... axes) {
        Shape s = null;
        if (x.shape() != null) {
            int r = x.shape().rank() + axes.length;
            long[] ax = normalize(axes, r);
            List<Dim> d = new ArrayList<>();
            int k = 0;
            for (int i = 0; i < r; i++) d.add(contains(ax, i) ? Dim.of(1) : x.shape().dim(k++));
            s = Shape.of(d);
        }
        ValueType t = new ValueType(x.dtype(), s);
        if (opset >= 13) return op("Unsqueeze", t, Attrs.EMPTY, x, longs(axes));
        return op("Unsqueeze", t, Attrs.builder().put("axes", axes).build(), x);
    }

    Value squeeze(Value x, long... axes) {
        Shape s = null;
        if (x.shape() != null) {
            long[] ax = normalize(axes, x.shape().rank());
            List<Dim> d = new ArrayList<>();
            for (int i = 0; i < x.shape().rank(); i++) if (!contains(ax, i)) d.add(x.shape().dim(i));
            s = Shape.of(d);
        }
        ValueType t = new ValueType(x.dtype(), s);
        if (opset >= 13) return op("Squeeze", t, Attrs.EMPTY, x, longs(axes));
        return op("Squeeze", t, Attrs.builder().put("axes", axes).build(), x);
    }

    Value slice(Value x, long[] starts, long[] ends, long[] axes) {
        Shape s = null;
        if (x.shape() != null) {
            int r = x.shape().rank();
            List<Dim> d = new ArrayList<>(x.shape().dims());
            for (int i = 0; i < axes.length; i++) {
                int a = (int) (axes[i] < 0 ? axes[i] + r : axes[i]);
                Dim in = x.shape().dim(a);
                if (in.isKnown()) {
                    long n = in.value();
                    long st = clampIndex(starts[i], n), en = clampIndex(ends[i], n);
                    d.set(a, Dim.of(Math.max(0, en - st)));
                } else if (starts[i] >= 0 && ends[i] >= 0 && ends[i] - starts[i] == 1) {
                    d.set(a, Dim.of(1)); // a one-element slice of a dim of unknown size (assumed in range)
                } else {
                    d.set(a, Dim.sym(null));
                }
            }
            s = Shape.of(d);
        }
        ValueType t = new ValueType(x.dtype(), s);
        if (opset >= 10) return op("Slice", t, Attrs.EMPTY, x, longs(starts), longs(ends), longs(axes));
        return op("Slice", t, Attrs.builder().put("starts", starts).put("ends", ends).put("axes", axes).build(), x);
    }

    private static long clampIndex(long i, long n) {
        if (i < 0) i += n;
        return Math.max(0, Math.min(n, i));
    }

    /** One index along one axis, keeping the dim. */
    Value sliceAt(Value x, long axis, long index) {
        return slice(x, new long[] {index}, new long[] {index == -1 ? Long.MAX_VALUE : index + 1}, new long[] {axis});
    }

    Value gather(Value x, Value idx, long axis) {
        Shape s = null;
        if (x.shape() != null && idx.shape() != null) {
            int r = x.shape().rank();
            int a = (int) (axis < 0 ? axis + r : axis);
            List<Dim> d = new ArrayList<>(x.shape().dims().subList(0, a));
            d.addAll(idx.shape().dims());
            d.addAll(x.shape().dims().subList(a + 1, r));
            s = Shape.of(d);
        }
        return op("Gather", new ValueType(x.dtype(), s), Attrs.builder().put("axis", axis).build(), x, idx);
    }

    Value concat(long axis, Value... xs) {
        Shape s = null;
        if (Arrays.stream(xs).allMatch(v -> v.shape() != null)) {
            int r = xs[0].shape().rank();
            int a = (int) (axis < 0 ? axis + r : axis);
            List<Dim> d = new ArrayList<>(xs[0].shape().dims());
            long sum = 0;
            boolean known = true;
            for (Value v : xs) {
                Dim di = v.shape().dim(a);
                if (di.isKnown()) sum += di.value(); else known = false;
            }
            d.set(a, known ? Dim.of(sum) : Dim.sym(null));
            s = Shape.of(d);
        }
        return op("Concat", new ValueType(xs[0].dtype(), s), Attrs.builder().put("axis", axis).build(), xs);
    }

    Value transpose(Value x, long... perm) {
        Shape s = x.shape() == null ? null : x.shape().permute(Arrays.stream(perm).mapToInt(p -> (int) p).toArray());
        return op("Transpose", new ValueType(x.dtype(), s), Attrs.builder().put("perm", perm).build(), x);
    }

    Value shapeOf(Value x) {
        Shape s = x.shape() == null ? Shape.of(List.of(Dim.sym(null))) : Shape.of(x.shape().rank());
        return op("Shape", new ValueType(DType.INT64, s), Attrs.EMPTY, x);
    }

    Value matmul(Value a, Value b) {
        Shape s = null;
        Shape sa = a.shape(), sb = b.shape();
        if (sa != null && sb != null && sa.rank() >= 1 && sb.rank() >= 1) {
            List<Dim> d = new ArrayList<>();
            if (sa.rank() >= 2 && sb.rank() >= 2) {
                Shape ba = Shape.of(sa.dims().subList(0, sa.rank() - 2)), bb = Shape.of(sb.dims().subList(0, sb.rank() - 2));
                d.addAll(broadcast(ba, bb).dims());
                d.add(sa.dim(-2));
                d.add(sb.dim(-1));
            } else if (sb.rank() == 1) {
                d.addAll(sa.dims().subList(0, sa.rank() - 1));
            } else {
                d.addAll(sb.dims().subList(0, sb.rank() - 2));
                d.add(sb.dim(-1));
            }
            s = Shape.of(d);
        }
        return op("MatMul", new ValueType(a.dtype(), s), Attrs.EMPTY, a, b);
    }

    /** ReduceSum/ReduceMean/ReduceMax/ReduceMin/ReduceProd over the given axes, in the graph's opset form. */
    Value reduce(String opType, Value x, long[] axes, boolean keepdims) {
        Shape s = null;
        if (x.shape() != null) {
            int r = x.shape().rank();
            long[] ax = normalize(axes, r);
            List<Dim> d = new ArrayList<>();
            for (int i = 0; i < r; i++) {
                if (contains(ax, i)) { if (keepdims) d.add(Dim.of(1)); } else d.add(x.shape().dim(i));
            }
            s = Shape.of(d);
        }
        ValueType t = new ValueType(x.dtype(), s);
        boolean asInput = opType.equals("ReduceSum") ? opset >= 13 : opset >= 18;
        Attrs.Builder a = Attrs.builder().put("keepdims", keepdims ? 1L : 0L);
        if (asInput) return op(opType, t, a.build(), x, longs(axes));
        return op(opType, t, a.put("axes", axes).build(), x);
    }

    Value argmax(Value x, long axis, boolean keepdims) {
        Shape s = null;
        if (x.shape() != null) {
            int r = x.shape().rank();
            int a = (int) (axis < 0 ? axis + r : axis);
            List<Dim> d = new ArrayList<>();
            for (int i = 0; i < r; i++) {
                if (i == a) { if (keepdims) d.add(Dim.of(1)); } else d.add(x.shape().dim(i));
            }
            s = Shape.of(d);
        }
        return op("ArgMax", new ValueType(DType.INT64, s), Attrs.builder().put("axis", axis).put("keepdims", keepdims ? 1L : 0L).build(), x);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    static long[] normalize(long[] axes, int rank) {
        long[] r = new long[axes.length];
        for (int i = 0; i < axes.length; i++) r[i] = axes[i] < 0 ? axes[i] + rank : axes[i];
        return r;
    }

    static boolean contains(long[] a, long v) {
        for (long x : a) if (x == v) return true;
        return false;
    }

    /** Numpy broadcasting of two shapes (null when either is unknown). */
    static Shape broadcast(Shape a, Shape b) {
        if (a == null || b == null) return null;
        int r = Math.max(a.rank(), b.rank());
        List<Dim> d = new ArrayList<>(r);
        for (int i = 0; i < r; i++) {
            int ia = i - (r - a.rank()), ib = i - (r - b.rank());
            Dim da = ia < 0 ? Dim.of(1) : a.dim(ia), db = ib < 0 ? Dim.of(1) : b.dim(ib);
            if (da.isKnown() && da.value() == 1) d.add(db);
            else if (db.isKnown() && db.value() == 1) d.add(da);
            else if (da.isKnown()) d.add(da);
            else if (db.isKnown()) d.add(db);
            else d.add(da.equals(db) ? da : Dim.sym(null));
        }
        return Shape.of(d);
    }

    /** The graph's standard-domain opset as this builder uses it. */
    int opset() { return opset; }
}
