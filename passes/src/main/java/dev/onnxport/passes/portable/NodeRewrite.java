package dev.onnxport.passes.portable;

import dev.onnxport.ir.Attr;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Value;
import dev.onnxport.passes.Pass;
import dev.onnxport.passes.PassContext;

import java.util.List;
import java.util.Set;

/**
 * A pass that rewrites matching nodes one at a time, in the main graph and in control-flow subgraphs. A node whose
 * output a subgraph reads by name is left alone (the name must survive). After a change, dead nodes and unused
 * constants are removed and the nodes re-sorted.
 */
abstract class NodeRewrite implements Pass {
    /** Whether this pass looks at n at all (cheap test on op type and domain). */
    abstract boolean matches(Node n);

    /** Rewrites n in g; returns true when it changed the graph, else logs why not (where useful) and returns false. */
    abstract boolean rewrite(Graph g, Node n, PassContext ctx);

    @Override public boolean run(Graph g, PassContext ctx) {
        boolean changed = false;
        Set<String> pinned = g.namesReadBySubgraphs();
        for (Node n : List.copyOf(g.nodes())) {
            if (n.graph() != g) continue;
            for (Attr a : n.attrs().asMap().values()) {
                if (a instanceof Attr.GraphAttr ga) changed |= run(ga.value(), ctx);
                else if (a instanceof Attr.Graphs gs) for (Graph sg : gs.value()) changed |= run(sg, ctx);
            }
            if (!matches(n)) continue;
            boolean readByName = false;
            for (Value o : n.outputs()) readByName |= pinned.contains(o.name());
            if (readByName) {
                ctx.log(name() + ": left " + n.describe() + ": a subgraph reads its output by name");
                continue;
            }
            if (rewrite(g, n, ctx)) changed = true;
        }
        if (changed) {
            g.removeDeadCode();
            g.topoSort();
        }
        return changed;
    }

    /** Makes n's readers read nu instead of n's output i, then drops n when nothing reads it any more. */
    static void replace(Graph g, Node n, int i, Value nu) {
        g.replaceAllUsesWith(n.output(i), nu);
        boolean dead = true;
        for (Value o : n.outputs()) if (!o.uses().isEmpty() || g.outputs().contains(o)) dead = false;
        if (dead) g.removeNode(n);
    }

    static boolean isOp(Node n, String op) { return n.domain().isEmpty() && n.opType().equals(op); }

    /** Output i has no readers and is no graph output. */
    static boolean unused(Graph g, Node n, int i) {
        return i >= n.outputs().size() || n.output(i).uses().isEmpty() && !g.outputs().contains(n.output(i));
    }
}
