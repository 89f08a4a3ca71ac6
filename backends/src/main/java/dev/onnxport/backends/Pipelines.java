package dev.onnxport.backends;

import dev.onnxport.backends.tflite.TfliteBackend;
import dev.onnxport.backends.tflite.TfliteOptions;
import dev.onnxport.ir.Graph;
import dev.onnxport.passes.DeadCode;
import dev.onnxport.passes.FoldBatchNorm;
import dev.onnxport.passes.FoldConstants;
import dev.onnxport.passes.InlineConstantIf;
import dev.onnxport.passes.Pass;
import dev.onnxport.passes.PassContext;
import dev.onnxport.passes.PassManager;
import dev.onnxport.passes.PassOptions;
import dev.onnxport.passes.RemoveIdentity;
import dev.onnxport.passes.portable.DetDecompose;
import dev.onnxport.passes.portable.GridSampleDecompose;
import dev.onnxport.passes.portable.InverseDecompose;

import java.util.ArrayList;
import java.util.List;

/** The pass lists each target runs before its emitter. */
public final class Pipelines {
    private Pipelines() {}

    /** Target-independent cleanup: identities, constant folding, dead code. */
    public static List<Pass> cleanup() {
        return List.of(new InlineConstantIf(), new RemoveIdentity(), new FoldConstants(), new DeadCode());
    }

    /**
     * Ops the TFLite backend has no lowering for but the TFLite pipeline decomposes into ops it has (the same
     * decompositions the CLI's 'tflite' profile names).
     */
    public static final java.util.Set<String> TFLITE_DECOMPOSED = java.util.Set.of("GridSample", "Det", "com.microsoft.Inverse");

    /** Runs the TFLite pipeline on g in place. */
    public static void prepareTflite(Graph g, PassOptions o) { prepareTflite(g, o, java.util.Set.of()); }

    /** Runs the TFLite pipeline on g in place, leaving out the named decompositions (the CLI's --no-pass). */
    public static void prepareTflite(Graph g, PassOptions o, java.util.Set<String> skip) {
        PassContext ctx = PassContext.standard(o);
        List<Pass> first = new ArrayList<>();
        for (Pass p : List.of(new GridSampleDecompose(), new InverseDecompose(), new DetDecompose()))
            if (!skip.contains(p.name())) first.add(p);
        first.addAll(cleanup());
        first.add(first.size() - 1, new FoldBatchNorm());
        new PassManager(first, 8).run(g, ctx);
        new PassManager(dev.onnxport.passes.layout.LayoutPasses.forTflite(o), 1).run(g, ctx);
        new PassManager(cleanup(), 8).run(g, ctx);
    }

    public static byte[] toTflite(Graph g, TfliteOptions t, PassOptions o) { return toTflite(g, t, o, java.util.Set.of()); }

    public static byte[] toTflite(Graph g, TfliteOptions t, PassOptions o, java.util.Set<String> skip) {
        prepareTflite(g, o, skip);
        return new TfliteBackend().emit(g, t);
    }

    /** Runs the ONNX pipeline (cleanup only: the graph stays in ONNX semantics) on g in place. */
    public static void prepareOnnx(Graph g) {
        new PassManager(cleanup(), 8).run(g, PassContext.standard(PassOptions.DEFAULT));
    }
}
