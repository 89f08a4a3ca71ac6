package dev.onnxport.passes;

import dev.onnxport.ir.Graph;

/** Removes nodes whose results reach no graph output, and unused constants. */
public final class DeadCode implements Pass {
    @Override public String name() { return "dead-code"; }

    @Override public String description() { return "remove nodes and constants that no output depends on"; }

    @Override public boolean run(Graph g, PassContext ctx) { return g.removeDeadCode(); }
}
