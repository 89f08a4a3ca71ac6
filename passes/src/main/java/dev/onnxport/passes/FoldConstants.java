package dev.onnxport.passes;

import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ops.OpRegistry;

import java.util.ArrayList;
import java.util.List;

/**
 * Evaluates nodes whose inputs are all constants (with the op registry's evaluators) and replaces their outputs
 * by constants. Also folds Shape and Size of values whose shape is static. Results larger than a limit are left
 * computed at run time so that folding never bloats a model (e.g. a Tile of a weight).
 */
public final class FoldConstants implements Pass {
    private static final long MAX_FOLDED_ELEMENTS = 1 << 20;

    @Override public String name() { return "fold-constants"; }

    @Override public String description() { return "evaluate nodes with constant inputs, and Shape/Size of static shapes"; }

    @Override public boolean run(Graph g, PassContext ctx) {
        boolean changed = false;
        java.util.Set<String> pinned = g.namesReadBySubgraphs();
        for (Node n : List.copyOf(g.nodes())) {
            boolean readByName = false;
            for (Value o : n.outputs()) readByName |= pinned.contains(o.name());
            if (readByName) continue;
            List<Tensor> result = tryFold(n, ctx.ops());
            if (result == null) continue;
            for (int i = 0; i < result.size() && i < n.outputs().size(); i++) {
                Value o = n.output(i);
                if (o.uses().isEmpty() && !g.outputs().contains(o)) continue;
                Value c = g.addConstant(o.name() + "_folded", result.get(i));
                c.setProvenance(o.provenance());
                if (g.outputs().contains(o)) continue; // outputs stay computed: TFLite needs an op to produce them
                g.replaceAllUsesWith(o, c);
                changed = true;
            }
            boolean dead = true;
            for (Value o : n.outputs()) if (!o.uses().isEmpty() || g.outputs().contains(o)) dead = false;
            if (dead) g.removeNode(n);
        }
        return changed;
    }

    static List<Tensor> tryFold(Node n, OpRegistry reg) {
        if (n.domain().isEmpty() && (n.opType().equals("Shape") || n.opType().equals("Size"))) return foldShape(n);
        OpRegistry.OpDef d = reg.get(n.qualifiedOp());
        if (d == null || d.eval() == null) return null;
        List<Tensor> ins = new ArrayList<>();
        for (Value v : n.inputs()) {
            if (v == null) { ins.add(null); continue; }
            if (!v.isConstant()) return null;
            ins.add(v.constant());
        }
        if (ins.isEmpty()) return null;
        List<Tensor> out;
        try {
            out = d.eval().eval(n, ins);
        } catch (RuntimeException e) {
            return null; // leave it to run time; shape inference or the backend will report real problems
        }
        if (out == null) return null;
        for (Tensor t : out) if (t == null || t.numel() > MAX_FOLDED_ELEMENTS) return null;
        return out;
    }

    private static List<Tensor> foldShape(Node n) {
        Value x = n.input(0);
        if (x == null || x.shape() == null || !x.shape().isStatic()) return null;
        long[] s = x.shape().toArray();
        if (n.opType().equals("Size")) return List.of(Tensor.scalarLong(Tensor.numel(s)));
        int r = s.length;
        long start = n.attrs().getInt("start", 0), end = n.attrs().getInt("end", r);
        if (start < 0) start += r;
        if (end < 0) end += r;
        start = Math.max(0, Math.min(r, start));
        end = Math.max(start, Math.min(r, end));
        long[] v = java.util.Arrays.copyOfRange(s, (int) start, (int) end);
        return List.of(Tensor.ofLongs(new long[] {v.length}, v));
    }
}
