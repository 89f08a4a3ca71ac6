package dev.onnxport.passes.portable;

import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.passes.Pass;
import dev.onnxport.passes.PassContext;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Makes a model exported at batch 1 (or with a batch baked into its Reshapes) run at any batch:
 * <ul>
 *   <li>graph inputs whose dim 0 is 1 get a symbolic dim 0 ("batch", or the name an input already uses);</li>
 *   <li>every Reshape of a value computed from the inputs whose constant target keeps dim 0 as the batch (target
 *       dim 0 is 1, 0 or -1, and the other dims hold exactly the data's other dims) gets the target
 *       Concat(Gather(Shape(data), [0]), [d1, ..., dk]) with d1..dk constants computed here (0 and -1 resolved);</li>
 *   <li>dim 0 of the values computed from the inputs that was 1 becomes the symbolic batch in their types.</li>
 * </ul>
 * Only Reshape targets are rewritten: a batch baked into other constants (Expand shapes, ConstantOfShape,
 * constant tensors concatenated with activations, Slice ends) is not found, and a Reshape that folds the batch into
 * another dim is left (logged).
 */
public final class DynamicBatch implements Pass {
    @Override public String name() { return "dynamic-batch"; }

    @Override public String description() { return "make dim 0 of the inputs dynamic and rewrite Reshape targets so only the batch dim is computed"; }

    @Override public boolean run(Graph g, PassContext ctx) {
        List<Integer> cands = new ArrayList<>();
        String sym = null;
        for (int i = 0; i < g.inputs().size(); i++) {
            Shape s = g.inputs().get(i).shape();
            if (s == null || s.rank() < 1) continue;
            Dim d0 = s.dim(0);
            if (d0 instanceof Dim.Sym sy) {
                cands.add(i);
                if (sym == null && sy.name() != null && !sy.name().isEmpty()) sym = sy.name();
            } else if (d0.value() == 1) {
                cands.add(i);
            }
        }
        if (cands.isEmpty()) {
            ctx.log(name() + ": no input has dim 0 equal to 1 or symbolic");
            return false;
        }
        Dim batch = Dim.sym(sym == null ? "batch" : sym);
        Set<Value> dep = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i : cands) dep.add(g.inputs().get(i));
        for (Node n : g.nodes()) {
            boolean any = false;
            for (Value v : n.inputs()) any |= v != null && dep.contains(v);
            if (any) dep.addAll(n.outputs());
        }
        boolean changed = false;
        Map<Value, Value> batchOf = new IdentityHashMap<>();
        Set<String> pinned = g.namesReadBySubgraphs();
        for (Node n : List.copyOf(g.nodes())) {
            if (!NodeRewrite.isOp(n, "Reshape") || !dep.contains(n.input(0)) || pinned.contains(n.output().name())) continue;
            long[] rest = rest(n, ctx);
            if (rest == null) continue;
            Value data = n.input(0);
            Build b = new Build(g, n.name(), ctx);
            Value bv = batchOf.computeIfAbsent(data, d -> b.gather(b.shapeOf(d), b.longs(0), 0));
            Value target = b.concat(0, bv, b.longs(rest));
            g.setInput(n, 1, target);
            List<Dim> od = new ArrayList<>();
            od.add(batch);
            for (long r : rest) od.add(Dim.of(r));
            n.output().setType(new ValueType(n.output().dtype() != null ? n.output().dtype() : data.dtype(), Shape.of(od)));
            ctx.log(name() + ": " + n.describe() + " target [batch, " + joined(rest) + "]");
            changed = true;
        }
        for (int i : cands) {
            Value in = g.inputs().get(i);
            if (in.shape().dim(0).isKnown()) {
                g.setInputType(i, new ValueType(in.dtype(), in.shape().withDim(0, batch)));
                ctx.log(name() + ": input '" + in.name() + "' dim 0 is now '" + batch + "'");
                changed = true;
            }
        }
        if (!changed) return false;
        for (Node n : g.nodes()) for (Value o : n.outputs()) {
            if (!dep.contains(o) || o.shape() == null || o.shape().rank() < 1) continue;
            Dim d0 = o.shape().dim(0);
            if (d0.isKnown() && d0.value() == 1) o.setType(new ValueType(o.dtype(), o.shape().withDim(0, batch)));
        }
        g.removeDeadCode();
        g.topoSort();
        return true;
    }

    /** The constant target dims after dim 0, when the Reshape keeps dim 0 as the batch; else null (logged). */
    private long[] rest(Node n, PassContext ctx) {
        Tensor t = n.constInput(1);
        Value data = n.input(0);
        Shape s = data.shape();
        if (t == null) return null; // computed targets are left as they are (already dynamic, or not ours to judge)
        if (s == null || s.rank() < 1 || !Shape.of(s.dims().subList(1, s.rank())).isStatic()) {
            ctx.log(name() + ": left " + n.describe() + ": data shape " + s + " is not static after dim 0");
            return null;
        }
        long[] tv = t.toLongs();
        if (tv.length < 1) return null;
        boolean allowZero = n.attrs().getInt("allowzero", 0) != 0;
        Dim d0 = s.dim(0);
        long t0 = tv[0];
        boolean batchFirst = t0 == -1 || (t0 == 0 && !allowZero) || (t0 == 1 && (!d0.isKnown() || d0.value() == 1));
        if (!batchFirst) {
            ctx.log(name() + ": left " + n.describe() + ": target dim 0 is " + t0 + ", not the batch");
            return null;
        }
        long restIn = 1;
        for (int i = 1; i < s.rank(); i++) restIn *= s.size(i);
        long[] rest = new long[tv.length - 1];
        int minus = -1;
        long known = 1;
        for (int i = 1; i < tv.length; i++) {
            long v = tv[i];
            if (v == 0 && !allowZero) {
                if (i >= s.rank()) return null;
                v = s.size(i);
            }
            if (v == -1) {
                if (minus >= 0 || t0 == -1) return null;
                minus = i - 1;
                continue;
            }
            if (v < 0) return null;
            rest[i - 1] = v;
            known *= v;
        }
        if (minus >= 0) {
            if (known == 0 || restIn % known != 0) return null;
            rest[minus] = restIn / known;
            known = restIn;
        }
        if (known != restIn) {
            ctx.log(name() + ": left " + n.describe() + ": target " + Arrays.toString(tv) + " mixes the batch into other dims of " + s);
            return null;
        }
        return rest;
    }

    private static String joined(long[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) sb.append(i == 0 ? "" : ", ").append(v[i]);
        return sb.toString();
    }
}
