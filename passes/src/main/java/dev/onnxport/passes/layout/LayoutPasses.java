package dev.onnxport.passes.layout;

import dev.onnxport.passes.Pass;
import dev.onnxport.passes.PassOptions;

import java.util.List;

/** The layout passes a channels-last target runs, in order. */
public final class LayoutPasses {
    private LayoutPasses() {}

    public static List<Pass> forTflite(PassOptions o) {
        return List.of(new ChannelsLast(), new TransposeOptimizer());
    }
}
