package dev.onnxport.passes;

import dev.onnxport.ir.Attr;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ops.OpRegistry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Replaces an If whose condition is known at conversion time by the nodes of the branch it takes: the branch's
 * constants become parent constants, its values are renamed where their names are taken in the parent, the values
 * it reads from the enclosing graph (its outer references) are matched by name to the parent's values, and readers
 * of the If's outputs read the branch's outputs. Real models branch on inputs such as a sample rate (Silero VAD);
 * once the user pins that input to a constant, the condition folds and the model becomes a plain graph.
 *
 * <p>The condition counts as known when it is a constant or is computed from constants by ops that have evaluators
 * (the pass evaluates such a chain itself without changing the graph), so the pass can run first in the cleanup
 * list: before remove-identity, fold-constants and dead-code, which do not see the reads of a branch as uses.
 */
public final class InlineConstantIf implements Pass {
    private static final int MAX_DEPTH = 64;

    @Override public String name() { return "inline-constant-if"; }

    @Override public String description() { return "inline the taken branch of an If whose condition is constant"; }

    @Override public boolean run(Graph g, PassContext ctx) {
        boolean changed = false;
        for (Node n : List.copyOf(g.nodes())) {
            if (!n.domain().isEmpty() || !n.opType().equals("If") || n.graph() != g) continue;
            Tensor cond = constValue(n.input(0), ctx.ops(), 0);
            if (cond == null) continue;
            if (cond.numel() != 1) throw new ConversionException("If condition has " + cond.numel() + " elements, expected one").addContext(n);
            boolean taken = cond.getDouble(0) != 0;
            String attr = taken ? "then_branch" : "else_branch";
            Graph branch = n.attrs().getGraph(attr);
            if (branch == null) throw new ConversionException("If has no " + attr).addContext(n);
            try {
                inline(g, n, branch);
            } catch (ConversionException e) {
                throw e.addContext(n);
            }
            ctx.log(name() + ": replaced '" + n.name() + "' by its " + attr + " (" + branch.nodes().size() + " nodes)");
            changed = true;
        }
        return changed;
    }

    private static void inline(Graph g, Node ifNode, Graph branch) {
        if (!branch.inputs().isEmpty()) throw new ConversionException("If branch '" + branch.name() + "' has inputs");
        if (branch.outputs().size() != ifNode.outputs().size())
            throw new ConversionException("If branch '" + branch.name() + "' has " + branch.outputs().size() + " outputs, the If has " + ifNode.outputs().size());
        Map<String, Value> parentByName = new HashMap<>(), parentByProvenance = new HashMap<>();
        for (Value v : g.inputs()) index(v, parentByName, parentByProvenance);
        for (Value v : g.outerRefs()) index(v, parentByName, parentByProvenance);
        for (Node p : g.nodes()) for (Value v : p.outputs()) index(v, parentByName, parentByProvenance);
        for (Value v : g.constants()) index(v, parentByName, parentByProvenance);

        Map<Value, Value> map = new IdentityHashMap<>();
        for (Value r : branch.outerRefs()) {
            Value p = parentByName.get(r.name());
            if (p == null) p = parentByProvenance.get(r.name());
            if (p == null)
                throw new ConversionException("If branch '" + branch.name() + "' reads '" + r.name() + "', which the enclosing graph no longer has");
            map.put(r, p);
        }
        for (Value c : branch.constants()) {
            Value pc = g.addConstant(c.name(), c.constant());
            pc.setProvenance(c.provenance());
            map.put(c, pc);
        }
        List<Node> added = new ArrayList<>();
        for (Node bn : branch.nodes()) {
            List<Value> ins = new ArrayList<>();
            for (Value v : bn.inputs()) {
                if (v == null) { ins.add(null); continue; }
                Value m = map.get(v);
                if (m == null) throw new ConversionException("If branch node '" + bn.name() + "' reads '" + v.name() + "' before it is produced");
                ins.add(m);
            }
            String[] outNames = new String[bn.outputs().size()];
            for (int i = 0; i < outNames.length; i++) outNames[i] = bn.output(i).name();
            Node nn = g.addNode(bn.domain(), bn.opType(), bn.name(), ins, bn.attrs(), bn.opset(), outNames);
            for (int i = 0; i < outNames.length; i++) {
                Value bo = bn.output(i), po = nn.output(i);
                po.setType(bo.type());
                po.setProvenance(bo.provenance());
                map.put(bo, po);
            }
            added.add(nn);
        }
        // nested subgraphs of the inlined nodes read branch values by name: those names must have survived
        Map<String, Value> branchByName = new HashMap<>();
        for (Map.Entry<Value, Value> e : map.entrySet()) branchByName.put(e.getKey().name(), e.getValue());
        for (Node nn : added) {
            for (Attr a : nn.attrs().asMap().values()) {
                List<Graph> subs = a instanceof Attr.GraphAttr ga ? List.of(ga.value()) : a instanceof Attr.Graphs gs ? gs.value() : List.of();
                for (Graph sub : subs) checkNestedRefs(sub, branchByName);
            }
        }
        java.util.Set<String> pinned = g.namesReadBySubgraphs();
        for (int i = 0; i < ifNode.outputs().size(); i++) {
            Value out = ifNode.output(i);
            Value bo = branch.outputs().get(i);
            Value nu = map.get(bo);
            if (nu == null) throw new ConversionException("If branch output '" + bo.name() + "' is not produced in the branch");
            if (nu.type() == null && out.type() != null) nu.setType(out.type());
            g.replaceAllUsesWith(out, nu);
            // other subgraphs may read the If's output by name: the value that replaces it takes that name
            if (!g.outputs().contains(nu) && nu.producer() != null && pinned.contains(out.name()) && !nu.name().equals(out.name())) {
                String name = out.name();
                g.renameValue(out, name + "_inlined");
                g.setValueName(nu, name);
            }
        }
        g.removeNode(ifNode);
    }

    private static void index(Value v, Map<String, Value> byName, Map<String, Value> byProvenance) {
        byName.putIfAbsent(v.name(), v);
        if (v.provenance() != null && v.provenance().onnxName() != null && v.provenance().isIdentity())
            byProvenance.putIfAbsent(v.provenance().onnxName(), v);
    }

    private static void checkNestedRefs(Graph sub, Map<String, Value> branchByName) {
        for (Value r : sub.outerRefs()) {
            Value m = branchByName.get(r.name());
            if (m != null && !m.name().equals(r.name()))
                throw new ConversionException("a subgraph inside the inlined branch reads '" + r.name() + "', which had to be renamed to '" + m.name() + "'");
        }
        for (Node n : sub.nodes()) {
            for (Attr a : n.attrs().asMap().values()) {
                if (a instanceof Attr.GraphAttr ga) checkNestedRefs(ga.value(), branchByName);
                else if (a instanceof Attr.Graphs gs) for (Graph x : gs.value()) checkNestedRefs(x, branchByName);
            }
        }
    }

    /** v's value when it is a constant or computed from constants by ops with evaluators (Shape/Size of static shapes too). */
    static Tensor constValue(Value v, OpRegistry reg, int depth) {
        if (v == null) return null;
        if (v.isConstant()) return v.constant();
        Node p = v.producer();
        if (p == null || depth > MAX_DEPTH) return null;
        if (p.domain().isEmpty() && (p.opType().equals("Shape") || p.opType().equals("Size"))) {
            Value x = p.input(0);
            if (x == null || x.shape() == null || !x.shape().isStatic()) return null;
            long[] s = x.shape().toArray();
            if (p.opType().equals("Size")) return Tensor.scalarLong(Tensor.numel(s));
            int r = s.length;
            long start = p.attrs().getInt("start", 0), end = p.attrs().getInt("end", r);
            if (start < 0) start += r;
            if (end < 0) end += r;
            start = Math.max(0, Math.min(r, start));
            end = Math.max(start, Math.min(r, end));
            long[] d = java.util.Arrays.copyOfRange(s, (int) start, (int) end);
            return Tensor.ofLongs(new long[] {d.length}, d);
        }
        OpRegistry.OpDef def = reg.get(p.qualifiedOp());
        if (def == null || def.eval() == null) return null;
        List<Tensor> ins = new ArrayList<>();
        for (Value i : p.inputs()) {
            if (i == null) { ins.add(null); continue; }
            Tensor t = constValue(i, reg, depth + 1);
            if (t == null) return null;
            ins.add(t);
        }
        try {
            List<Tensor> out = def.eval().eval(p, ins);
            return out == null || out.size() <= v.producerIndex() ? null : out.get(v.producerIndex());
        } catch (RuntimeException e) {
            return null;
        }
    }
}
