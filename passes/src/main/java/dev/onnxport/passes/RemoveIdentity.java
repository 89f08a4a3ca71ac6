package dev.onnxport.passes;

import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Value;

import java.util.List;

/**
 * Removes Identity and inference-mode Dropout (its mask output unused): readers of the output read the input.
 * A graph output keeps its name (see {@link Graph#replaceAllUsesWith}); an Identity between a graph input and a
 * graph output is kept, as something must produce the output.
 */
public final class RemoveIdentity implements Pass {
    @Override public String name() { return "remove-identity"; }

    @Override public String description() { return "remove Identity and inference-mode Dropout"; }

    @Override public boolean run(Graph g, PassContext ctx) {
        boolean changed = false;
        java.util.Set<String> pinned = g.namesReadBySubgraphs();
        for (Node n : List.copyOf(g.nodes())) {
            if (!n.domain().isEmpty() || pinned.contains(n.output().name())) continue;
            boolean drop = switch (n.opType()) {
                case "Identity" -> true;
                case "Dropout" -> (n.outputs().size() < 2 || (n.output(1).uses().isEmpty() && !g.outputs().contains(n.output(1))))
                        && !trainingMode(n);
                default -> false;
            };
            if (!drop) continue;
            Value in = n.input(0), out = n.output();
            if (g.outputs().contains(out) && (in.producer() == null || g.outputs().contains(in))) continue;
            g.replaceAllUsesWith(out, in);
            if (out.uses().isEmpty() && !g.outputs().contains(out)) {
                if (n.outputs().size() > 1 && !n.output(1).uses().isEmpty()) continue;
                g.removeNode(n);
                changed = true;
            }
        }
        return changed;
    }

    private static boolean trainingMode(Node n) {
        if (n.inputCount() < 3 || n.input(2) == null) return false;
        var t = n.input(2).constant();
        return t == null || t.getLong(0) != 0;
    }
}
