package dev.onnxport.passes.layout;

import dev.onnxport.ir.Attr;
import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Layout;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Provenance;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.passes.Pass;
import dev.onnxport.passes.PassContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Moves transposes down through elementwise and axis ops and cancels them: Transpose(Transpose(x)) composes,
 * an identity permutation disappears, a transpose that only moves size-1 dims becomes a Reshape. With NHWC I/O, a
 * rank-4 graph output produced by a channels-last-to-first Transpose is taken before it.
 */
public final class TransposeOptimizer implements Pass {
    private static final Set<String> AXIS_OPS = Set.of("Concat", "Softmax", "LogSoftmax", "Hardmax", "ReduceMean", "ReduceSum",
            "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare",
            "ArgMax", "ArgMin", "Split");

    @Override public String name() { return "transpose-optimize"; }

    @Override public String description() { return "push transposes through elementwise and axis ops, cancel inverse pairs"; }

    @Override public boolean run(Graph g, PassContext ctx) {
        boolean changed = false;
        for (int round = 0; round < 64; round++) {
            boolean any = false;
            g.topoSort();
            for (Node n : List.copyOf(g.nodes())) {
                if (n.graph() == null) continue;
                if (Transposes.isTranspose(n)) any |= compose(g, n);
                else any |= push(g, n);
            }
            any |= g.removeDeadCode();
            changed |= any;
            if (!any) break;
        }
        if (ctx.options().nhwcIo()) changed |= outputs(g);
        for (Node n : List.copyOf(g.nodes())) if (n.graph() != null && Transposes.isTranspose(n)) changed |= toReshape(g, n);
        changed |= g.removeDeadCode();
        return changed;
    }

    /** Transpose(Transpose(x, q), p) = Transpose(x, q∘p); identity perms vanish. */
    private static boolean compose(Graph g, Node t) {
        Value x = t.input(0);
        int[] p = Transposes.perm(t);
        if (Transposes.isIdentity(p)) return bypass(g, t, x);
        Node t0 = x.producer();
        if (!Transposes.isTranspose(t0)) return false;
        int[] q = Transposes.perm(t0);
        int[] c = Transposes.compose(q, p);
        Value src = t0.input(0);
        if (Transposes.isIdentity(c)) return bypass(g, t, src);
        g.setInput(t, 0, src);
        t.setAttrs(t.attrs().toBuilder().put("perm", ChannelsLast.toLong(c)).build());
        return true;
    }

    private static boolean bypass(Graph g, Node t, Value src) {
        Value y = t.output();
        if (g.outputs().contains(y) && (src.producer() == null || g.outputs().contains(src))) return false;
        g.replaceAllUsesWith(y, src);
        return true;
    }

    /** Rewrites C(T(x), ...) as T(C'(x, ...)) when C is elementwise or an axis op and every dynamic input is T(.). */
    private static boolean push(Graph g, Node c) {
        if (!c.domain().isEmpty()) return false;
        String op = c.opType();
        boolean unary = LayoutRules.UNARY.contains(op), nary = LayoutRules.NARY.contains(op), axis = AXIS_OPS.contains(op);
        if (!unary && !nary && !axis) return false;
        if (Layout.isNhwc(c)) return false;
        int[] p = null;
        int dyn = unary ? 1 : c.inputCount();
        if (op.equals("Split")) dyn = 1;
        for (int i = 0; i < dyn; i++) {
            Value v = c.input(i);
            if (v == null || v.isConstant()) continue;
            Node prod = v.producer();
            if (!Transposes.isTranspose(prod)) return false;
            int[] pp = Transposes.perm(prod);
            if (p == null) p = pp;
            else if (!java.util.Arrays.equals(p, pp)) return false;
        }
        if (p == null) return false;
        int rank = p.length;
        int[] inv = Transposes.inverse(p);
        List<Value> ins = new ArrayList<>();
        for (int i = 0; i < c.inputCount(); i++) {
            Value v = c.input(i);
            if (i >= dyn || v == null) { ins.add(v); continue; }
            if (!v.isConstant()) { ins.add(v.producer().input(0)); continue; }
            Tensor k = v.constant();
            if (k.numel() == 1 && k.rank() <= rank) { ins.add(v); continue; }
            if (k.rank() > rank) return false;
            ins.add(g.constant(permuteConst(k, rank, inv)));
        }
        Attrs attrs = c.attrs();
        if (axis) {
            Attrs a = remapAxes(c, p, rank, ins, g);
            if (a == null) return false;
            attrs = a;
        }
        for (Value o : c.outputs()) if (o.shape() == null || o.shape().rank() != rank) return false;
        String[] outNames = new String[c.outputs().size()];
        for (int j = 0; j < outNames.length; j++) outNames[j] = c.output(j).name() + "_p";
        Node c2 = g.addNode(c.domain(), op, c.name() + "_pushed", ins, attrs, c.opset(), outNames);
        for (int j = 0; j < c.outputs().size(); j++) {
            Value old = c.output(j);
            Value nv = c2.output(j);
            nv.setType(new ValueType(old.dtype(), old.shape().permute(inv)));
            Provenance pr = old.provenance();
            if (pr != null) nv.setProvenance(new Provenance(pr.onnxName(), Transposes.compose(pr.perm(), inv)));
            Value t = Transposes.add(g, nv, p);
            t.setType(old.type());
            t.setProvenance(pr);
            g.replaceAllUsesWith(old, t);
        }
        if (c.graph() != null) {
            boolean dead = true;
            for (Value o : c.outputs()) if (!o.uses().isEmpty() || g.outputs().contains(o)) dead = false;
            if (dead) g.removeNode(c);
        }
        return true;
    }

    /** A constant broadcast against a rank-r tensor, expanded to rank r and transposed by perm. */
    static Tensor permuteConst(Tensor k, int rank, int[] perm) {
        long[] s = k.shape();
        long[] full = new long[rank];
        for (int i = 0; i < rank; i++) full[i] = i < rank - s.length ? 1 : s[i - (rank - s.length)];
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) out[i] = full[perm[i]];
        long n = k.numel();
        long[] strides = new long[rank];
        long acc = 1;
        for (int i = rank - 1; i >= 0; i--) { strides[i] = acc; acc *= full[i]; }
        int es = k.dtype().size();
        java.nio.ByteBuffer src = k.data();
        java.nio.ByteBuffer dst = Tensor.alloc(n * es);
        long[] idx = new long[rank];
        for (long e = 0; e < n; e++) {
            long off = 0;
            for (int i = 0; i < rank; i++) off += idx[i] * strides[perm[i]];
            for (int b = 0; b < es; b++) dst.put(src.get((int) (off * es + b)));
            for (int i = rank - 1; i >= 0; i--) { if (++idx[i] < out[i]) break; idx[i] = 0; }
        }
        return Tensor.of(k.dtype(), out, dst.flip());
    }

    /** The node's attributes with axes mapped into the untransposed space; null when it cannot be done. */
    private static Attrs remapAxes(Node c, int[] p, int rank, List<Value> ins, Graph g) {
        String op = c.opType();
        Attrs.Builder b = c.attrs().toBuilder();
        if (op.equals("Concat") || op.equals("Split") || op.startsWith("Arg")
                || op.equals("Softmax") || op.equals("LogSoftmax") || op.equals("Hardmax")) {
            if ((op.endsWith("max") || op.endsWith("Softmax") || op.equals("Hardmax")) && !op.startsWith("Arg") && c.opset() < 13) return null;
            if (op.startsWith("Arg") && c.attrs().getInt("keepdims", 1) == 0) return null;
            long a = c.attrs().getInt("axis", op.equals("Concat") ? Long.MIN_VALUE : (op.contains("oftmax") || op.equals("Hardmax") ? -1 : 0));
            if (a == Long.MIN_VALUE) return null;
            if (a < 0) a += rank;
            return b.put("axis", (long) p[(int) a]).build();
        }
        // reductions
        if (c.attrs().getInt("keepdims", 1) == 0) return null;
        long[] axes = c.attrs().getInts("axes");
        boolean axesInput = c.inputCount() > 1;
        if (axesInput) {
            Tensor t = c.constInput(1);
            if (t == null) return null;
            axes = t.toLongs();
        }
        if (axes == null || axes.length == 0) return c.attrs();
        long[] m = new long[axes.length];
        for (int i = 0; i < axes.length; i++) m[i] = p[(int) (axes[i] < 0 ? axes[i] + rank : axes[i])];
        java.util.Arrays.sort(m);
        if (axesInput) {
            ins.set(1, g.constant(Tensor.ofLongs(new long[] {m.length}, m)));
            return c.attrs();
        }
        return b.put("axes", new Attr.Ints(m)).build();
    }

    /** With NHWC I/O: a rank-4 output produced by Transpose(x, toFirst) becomes x. */
    private static boolean outputs(Graph g) {
        boolean changed = false;
        for (int i = 0; i < g.outputs().size(); i++) {
            Value y = g.outputs().get(i);
            Node t = y.producer();
            if (!Transposes.isTranspose(t) || y.shape() == null || y.shape().rank() != 4) continue;
            if (!java.util.Arrays.equals(Transposes.perm(t), Layout.toFirst(4))) continue;
            Value x = t.input(0);
            if (x.producer() == null || g.outputs().contains(x)) continue;
            String name = y.name();
            g.renameValue(y, name + "_nchw");
            g.setValueName(x, name);
            g.setOutput(i, x);
            changed = true;
        }
        return changed;
    }

    /** A transpose that keeps the order of the non-1 dims is a reshape (cheaper, and no layout shuffle). */
    private static boolean toReshape(Graph g, Node t) {
        Value x = t.input(0);
        Shape s = x.shape();
        if (s == null || !s.isStatic()) return false;
        int[] p = Transposes.perm(t);
        int last = -1;
        for (int a : p) {
            if (s.size(a) == 1) continue;
            if (a < last) return false;
            last = a;
        }
        long[] out = s.permute(p).toArray();
        Value shape = g.constant(Tensor.ofLongs(new long[] {out.length}, out));
        Node r = g.addNode("", "Reshape", t.name() + "_as_reshape", List.of(x, shape), Attrs.EMPTY, g.opset(), t.output().name() + "_r");
        r.output().setType(t.output().type());
        r.output().setProvenance(t.output().provenance());
        g.replaceAllUsesWith(t.output(), r.output());
        if (t.output().uses().isEmpty() && !g.outputs().contains(t.output())) g.removeNode(t);
        return true;
    }
}
