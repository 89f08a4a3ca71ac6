package dev.onnxport.passes.portable;

import dev.onnxport.ir.Attr;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.passes.PassContext;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Gather with a constant scalar index becomes a Slice of one element that keeps the dim. Readers that Unsqueeze the
 * result at the same axis (PyTorch's {@code x[:, i:i+1]} and the Shape/Gather/Unsqueeze/Concat chains of exported
 * shape computations) read the Slice directly and their Unsqueeze goes; any other reader gets a Squeeze of the
 * Slice. A constant index of shape [1] becomes the Slice alone. Gathers of constant data are left to constant
 * folding.
 *
 * <p>Then every Unsqueeze of one axis whose input is computed elementwise from Squeezes of that axis (the colour-space
 * conversions PyTorch exports: {@code r, g, b = x[:, 0], x[:, 1], x[:, 2]}, arithmetic, {@code torch.stack(..., 1)})
 * goes: the elementwise nodes are rebuilt on the kept-dim values (the Squeezes' inputs), with operands that broadcast
 * only over the dims after the axis used as they are and constant operands reshaped to keep the axis. An Unsqueeze is
 * left where that would compute something twice (a node of its cone is also read by a graph output or a node outside
 * the rebuilt cones).
 */
public final class GatherToSlice extends NodeRewrite {
    @Override public String name() { return "gather-to-slice"; }

    @Override public String description() {
        return "rewrite Gather of a constant scalar index as Slice, dropping the Squeeze/Unsqueeze pairs it makes unnecessary (also across elementwise ops)";
    }

    /** Ops whose output element i depends only on the inputs' element i under numpy broadcasting (no axis attribute). */
    static final Set<String> ELEMENTWISE = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Mod",
            "Relu", "LeakyRelu", "Elu", "Selu", "Celu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Exp", "Log", "Sqrt",
            "Reciprocal", "Abs", "Neg", "Floor", "Ceil", "Round", "Sign", "Erf", "Sin", "Cos", "Tan", "Atan", "Asin", "Acos",
            "Clip", "Cast", "Identity", "Not", "And", "Or", "Xor", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
            "Where", "Softplus", "Softsign", "IsNaN", "IsInf", "BitShift");

    @Override public boolean run(Graph g, PassContext ctx) {
        boolean changed = super.run(g, ctx);
        if (liftUnsqueezes(g, ctx)) {
            g.removeDeadCode();
            g.topoSort();
            changed = true;
        }
        return changed;
    }

    /** An Unsqueeze that a Lifter can remove, and the elementwise nodes it would rebuild. */
    private record Candidate(Node unsqueeze, Lifter lifter, Set<Node> cone) {}

    /**
     * Removes the Unsqueezes that undo a Squeeze through elementwise ops, in g and its subgraphs. Only where no
     * computation is duplicated: an Unsqueeze is left when a node it would rebuild is also read by something that
     * stays (a graph output, a subgraph, a node outside the rebuilt cones of the same axis).
     */
    private boolean liftUnsqueezes(Graph g, PassContext ctx) {
        boolean changed = false;
        Set<String> pinned = g.namesReadBySubgraphs();
        Map<String, Lifter> lifters = new HashMap<>();
        List<Candidate> cands = new ArrayList<>();
        for (Node u : List.copyOf(g.nodes())) {
            if (u.graph() != g) continue;
            for (Attr a : u.attrs().asMap().values()) {
                if (a instanceof Attr.GraphAttr ga) changed |= liftUnsqueezes(ga.value(), ctx);
                else if (a instanceof Attr.Graphs gs) for (Graph sg : gs.value()) changed |= liftUnsqueezes(sg, ctx);
            }
            if (!isOp(u, "Unsqueeze") || pinned.contains(u.output().name())) continue;
            Value v = u.input(0);
            long[] ua = UnsqueezeToReshape.axes(u);
            if (v == null || ua == null || ua.length != 1 || v.shape() == null) continue;
            int rank = v.shape().rank() + 1;
            long axis = Build.normalize(ua, rank)[0];
            if (axis < 0 || axis >= rank) continue;
            Lifter l = lifters.computeIfAbsent(axis + ":" + rank, k -> new Lifter(g, (int) axis, rank, pinned));
            if (!l.can(v)) continue;
            Set<Node> cone = Collections.newSetFromMap(new IdentityHashMap<>());
            l.cone(v, cone);
            cands.add(new Candidate(u, l, cone));
        }
        // drop candidates whose cone feeds something that stays, until none does (dropping one can disqualify others)
        for (boolean dropped = true; dropped; ) {
            dropped = false;
            Map<Lifter, Set<Node>> kept = new IdentityHashMap<>();
            for (Candidate c : cands) {
                Set<Node> k = kept.computeIfAbsent(c.lifter(), x -> Collections.newSetFromMap(new IdentityHashMap<>()));
                k.addAll(c.cone());
                k.add(c.unsqueeze());
            }
            for (Candidate c : List.copyOf(cands)) {
                Set<Node> k = kept.get(c.lifter());
                boolean leaks = false;
                for (Node n : c.cone()) {
                    Value o = n.output();
                    if (g.outputs().contains(o) || pinned.contains(o.name())) leaks = true;
                    for (Value.Use use : o.uses()) if (!k.contains(use.node())) leaks = true;
                }
                if (leaks) {
                    cands.remove(c);
                    dropped = true;
                    ctx.log(name() + ": left " + c.unsqueeze().describe() + ": removing it would duplicate arithmetic that other nodes read");
                }
            }
        }
        for (Candidate c : cands) {
            Node u = c.unsqueeze();
            replace(g, u, 0, c.lifter().build(u.input(0)));
            ctx.log(name() + ": dropped " + u.describe() + ": its input is now computed with axis " + c.lifter().axis + " kept");
            changed = true;
        }
        return changed;
    }

    /**
     * Rebuilds a value of rank R-1 computed elementwise from Squeeze(x, [axis]) (x of rank R) as the rank-R value with
     * that axis kept (size 1).
     */
    private static final class Lifter {
        final Graph g;
        final int axis, rank;
        final Set<String> pinned;
        final Map<Value, Boolean> possible = new IdentityHashMap<>();
        final Map<Value, Value> built = new IdentityHashMap<>();

        Lifter(Graph g, int axis, int rank, Set<String> pinned) {
            this.g = g;
            this.axis = axis;
            this.rank = rank;
            this.pinned = pinned;
        }

        /** The kept-dim input of a Squeeze of exactly this axis, or null. */
        Value squeezed(Value v) {
            Node p = v.producer();
            if (p == null || p.graph() != g || !isOp(p, "Squeeze") || p.input(0) == null || p.input(0).shape() == null) return null;
            if (p.input(0).shape().rank() != rank) return null;
            long[] ax = p.opset() < 13 ? p.attrs().getInts("axes") : p.hasInput(1) ? constLongs(p.input(1)) : null;
            if (ax == null || ax.length != 1 || Build.normalize(ax, rank)[0] != axis) return null;
            return p.input(0);
        }

        static long[] constLongs(Value v) { return v != null && v.isConstant() ? v.constant().toLongs() : null; }

        /** An operand that broadcasts only over the dims after the axis reads the same with the axis kept. */
        boolean side(Value w) { return w.shape() != null && w.shape().rank() <= rank - 1 - axis; }

        /** Whether v (rank R-1) can be rebuilt with the axis kept, through at least one Squeeze. */
        boolean can(Value v) {
            Boolean known = possible.get(v);
            if (known != null) return known;
            possible.put(v, false); // no cycles in a DAG, but keeps a failed walk from repeating
            boolean ok = check(v);
            possible.put(v, ok);
            return ok;
        }

        private boolean check(Value v) {
            if (v.shape() == null || v.shape().rank() != rank - 1 || v.isConstant()) return false;
            if (squeezed(v) != null) return true;
            Node p = v.producer();
            if (p == null || p.graph() != g || !p.domain().isEmpty() || !ELEMENTWISE.contains(p.opType()) || p.outputs().size() != 1) return false;
            if (pinned.contains(v.name())) return false;
            boolean any = false;
            for (Value w : p.inputs()) {
                if (w == null) continue;
                if (w.shape() != null && w.shape().rank() == rank - 1 && !w.isConstant() && can(w)) any = true;
                else if (!side(w) && !(w.isConstant() && w.shape() != null && w.shape().rank() <= rank - 1)) return false;
            }
            return any;
        }

        /** Adds to cone the elementwise nodes {@link #build} would rebuild for v (after {@link #can} said yes). */
        void cone(Value v, Set<Node> cone) {
            if (squeezed(v) != null) return;
            Node p = v.producer();
            if (!cone.add(p)) return;
            for (Value w : p.inputs()) if (w != null && w.shape() != null && w.shape().rank() == rank - 1 && !w.isConstant() && can(w)) cone(w, cone);
        }

        /** The rank-R value; call only when {@link #can} said yes. */
        Value build(Value v) {
            Value done = built.get(v);
            if (done != null) return done;
            Value r = squeezed(v);
            if (r == null) {
                Node p = v.producer();
                List<Value> ins = new ArrayList<>();
                for (Value w : p.inputs()) {
                    if (w == null) ins.add(null);
                    else if (w.shape() != null && w.shape().rank() == rank - 1 && !w.isConstant() && can(w)) ins.add(build(w));
                    else if (side(w)) ins.add(w);
                    else ins.add(keepAxis(w));
                }
                String base = p.name() + "_keepdim";
                Node n = g.addNode("", p.opType(), base, ins, p.attrs(), p.opset(), base);
                n.output().setType(new ValueType(v.dtype(), insert(v.shape())));
                r = n.output();
            }
            built.put(v, r);
            return r;
        }

        /** A constant of rank k (rank-1-axis &lt; k &lt;= R-1) with a 1 inserted where the axis falls in its dims. */
        private Value keepAxis(Value w) {
            Tensor t = w.constant();
            int k = t.rank();
            int at = axis - (rank - 1 - k);
            long[] s = new long[k + 1];
            for (int i = 0, j = 0; i <= k; i++) s[i] = i == at ? 1 : t.shape()[j++];
            Value c = g.addConstant(w.name() + "_keepdim", t.reshape(s));
            c.setProvenance(null);
            return c;
        }

        private Shape insert(Shape s) {
            List<Dim> d = new ArrayList<>(s.dims());
            d.add(axis, Dim.of(1));
            return Shape.of(d);
        }
    }

    @Override boolean matches(Node n) { return isOp(n, "Gather"); }

    @Override boolean rewrite(Graph g, Node n, PassContext ctx) {
        Value x = n.input(0);
        Tensor idx = n.constInput(1);
        if (x == null || idx == null || x.isConstant() || idx.numel() != 1 || idx.rank() > 1) return false;
        if (x.shape() == null) {
            ctx.log(name() + ": left " + n.describe() + ": data rank unknown");
            return false;
        }
        int rank = x.shape().rank();
        long axis = n.attrs().getInt("axis", 0);
        if (axis < 0) axis += rank;
        if (axis < 0 || axis >= rank) return false;
        long i = idx.getLong(0);
        if (x.shape().dim((int) axis).isKnown()) {
            long d = x.shape().size((int) axis);
            if (i < -d || i >= d) return false; // out of range: leave the error to the runtime
            if (i < 0) i += d;
        }
        Build b = new Build(g, n.name(), ctx);
        Value sl = b.sliceAt(x, axis, i);
        Value out = n.output();
        if (idx.rank() == 1) {
            replace(g, n, 0, sl);
            ctx.log(name() + ": " + n.describe() + " -> Slice");
            return true;
        }
        int dropped = 0;
        for (Node u : List.copyOf(out.consumers())) {
            if (!isOp(u, "Unsqueeze") || u.input(0) != out || g.namesReadBySubgraphs().contains(u.output().name())) continue;
            long[] ua = UnsqueezeToReshape.axes(u);
            if (ua == null || ua.length != 1 || Build.normalize(ua, rank)[0] != axis) continue;
            replace(g, u, 0, sl);
            dropped++;
        }
        if (!out.uses().isEmpty() || g.outputs().contains(out)) {
            replace(g, n, 0, b.squeeze(sl, axis));
        } else {
            g.removeNode(n);
        }
        ctx.log(name() + ": " + n.describe() + " -> Slice" + (dropped > 0 ? ", " + dropped + " Unsqueeze dropped" : ""));
        return true;
    }
}
