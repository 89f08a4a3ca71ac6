package dev.onnxport.passes;

import dev.onnxport.ir.Graph;

/** A named graph rewrite. {@link #run} returns true only when it changed the graph. */
public interface Pass {
    String name();

    /** One line saying what it does. */
    String description();

    boolean run(Graph g, PassContext ctx);
}
