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

import java.util.ArrayList;
import java.util.List;

/** The pass lists each target runs before its emitter. */
public final class Pipelines {
    private Pipelines() {}

    /** Target-independent cleanup: identities, constant folding, dead code. */
    public static List<Pass> cleanup() {
        return List.of(new InlineConstantIf(), new RemoveIdentity(), new FoldConstants(), new DeadCode());
    }

    public static List<Pass> tflitePasses(PassOptions o) {
        List<Pass> p = new ArrayList<>(cleanup());
        p.addAll(dev.onnxport.passes.layout.LayoutPasses.forTflite(o));
        p.add(new DeadCode());
        return p;
    }

    /** Runs the TFLite pipeline on g in place. */
    public static void prepareTflite(Graph g, PassOptions o) {
        PassContext ctx = PassContext.standard(o);
        List<Pass> first = new ArrayList<>(cleanup());
        first.add(first.size() - 1, new FoldBatchNorm());
        new PassManager(first, 8).run(g, ctx);
        new PassManager(dev.onnxport.passes.layout.LayoutPasses.forTflite(o), 1).run(g, ctx);
        new PassManager(cleanup(), 8).run(g, ctx);
    }

    public static byte[] toTflite(Graph g, TfliteOptions t, PassOptions o) {
        prepareTflite(g, o);
        return new TfliteBackend().emit(g, t);
    }

    /** Runs the ONNX pipeline (cleanup only: the graph stays in ONNX semantics) on g in place. */
    public static void prepareOnnx(Graph g) {
        new PassManager(cleanup(), 8).run(g, PassContext.standard(PassOptions.DEFAULT));
    }
}
