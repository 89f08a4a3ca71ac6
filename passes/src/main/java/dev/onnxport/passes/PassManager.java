package dev.onnxport.passes;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.Graph;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs passes in order, repeating the whole list until none changes the graph (or a round limit is hit). After
 * each pass that changed something, shapes are re-inferred and the nodes re-sorted. Errors say which pass failed
 * and which passes ran before it.
 */
public final class PassManager {
    private final List<Pass> passes;
    private final int maxRounds;

    public PassManager(List<Pass> passes, int maxRounds) {
        this.passes = List.copyOf(passes);
        this.maxRounds = maxRounds;
    }

    public List<Pass> passes() { return passes; }

    public void run(Graph g, PassContext ctx) {
        List<String> ran = new ArrayList<>();
        InferShapes infer = new InferShapes();
        runOne(infer, g, ctx, ran);
        for (int round = 0; round < maxRounds; round++) {
            boolean any = false;
            for (Pass p : passes) {
                boolean changed = runOne(p, g, ctx, ran);
                if (changed) {
                    ctx.log("round " + round + ": " + p.name() + " changed the graph");
                    g.topoSort();
                    runOne(infer, g, ctx, ran);
                    any = true;
                }
            }
            if (!any) return;
        }
    }

    private static boolean runOne(Pass p, Graph g, PassContext ctx, List<String> ran) {
        try {
            boolean c = p.run(g, ctx);
            ran.add(p.name());
            return c;
        } catch (ConversionException e) {
            throw e.addContext("in pass '" + p.name() + "'" + (ran.isEmpty() ? "" : " (after " + summary(ran) + ")"));
        } catch (RuntimeException e) {
            throw new ConversionException(e.toString(), e).addContext("in pass '" + p.name() + "'" + (ran.isEmpty() ? "" : " (after " + summary(ran) + ")"));
        }
    }

    private static String summary(List<String> ran) {
        List<String> distinct = new ArrayList<>();
        for (String s : ran) if (!distinct.contains(s)) distinct.add(s);
        return String.join(", ", distinct);
    }
}
