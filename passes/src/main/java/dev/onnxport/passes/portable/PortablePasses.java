package dev.onnxport.passes.portable;

import dev.onnxport.passes.Pass;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The portability rewrites by name, in the order they should run (pattern clean-ups before the rewrites that would
 * destroy their patterns, decompositions before the activation lowering that cleans up after them, batch and
 * approximate rewrites last). Opt-in passes ({@link #isOptIn}) are part of {@link #all()} but not of
 * {@link #defaults()}: they change results (fused-argmax is approximate) or the model's interface (dynamic-batch makes
 * the inputs' dim 0 symbolic); {@link #optInReason} says which.
 */
public final class PortablePasses {
    private PortablePasses() {}

    /** One registry row; {@code optInReason} is null for a default pass, else why it is opt-in. */
    public record Entry(String name, String optInReason, Function<PortableOptions, Pass> factory) {
        public boolean optIn() { return optInReason != null; }
    }

    static final String APPROXIMATE = "changes results: approximate";
    static final String BEST_CLASS = "changes results by design: best-class (class-agnostic) NMS; `make nms` builds the exact form";
    static final String INTERFACE = "changes the model's input shapes: dim 0 becomes symbolic";

    private static final List<Entry> ENTRIES = List.of(
            new Entry("reduce-keepdims", null, o -> new ReduceKeepdims()),
            new Entry("gather-to-slice", null, o -> new GatherToSlice()),
            new Entry("unsqueeze-to-reshape", null, o -> new UnsqueezeToReshape()),
            new Entry("gathernd-decompose", null, o -> new GatherNdDecompose()),
            new Entry("gridsample-decompose", null, o -> new GridSampleDecompose()),
            new Entry("nms-single-class", BEST_CLASS, o -> new NmsSingleClass()),
            new Entry("inverse-decompose", null, o -> new InverseDecompose()),
            new Entry("det-decompose", null, o -> new DetDecompose()),
            new Entry("mvn-decompose", null, o -> new MvnDecompose(o.mvnAntiFusion())),
            new Entry("atan-family", null, o -> new AtanFamily()),
            new Entry("primitive-activations", null, o -> new PrimitiveActivations()),
            new Entry("dynamic-batch", INTERFACE, o -> new DynamicBatch()),
            new Entry("fused-argmax", APPROXIMATE, FusedArgmax::new));

    public static List<Entry> entries() { return ENTRIES; }

    /** Every pass, in order, with default options. */
    public static List<Pass> all() { return all(PortableOptions.DEFAULT); }

    public static List<Pass> all(PortableOptions o) {
        List<Pass> r = new ArrayList<>();
        for (Entry e : ENTRIES) r.add(e.factory().apply(o));
        return r;
    }

    /** Every pass that is not opt-in, in order. */
    public static List<Pass> defaults() { return defaults(PortableOptions.DEFAULT); }

    public static List<Pass> defaults(PortableOptions o) {
        List<Pass> r = new ArrayList<>();
        for (Entry e : ENTRIES) if (!e.optIn()) r.add(e.factory().apply(o));
        return r;
    }

    public static List<String> names() { return ENTRIES.stream().map(Entry::name).toList(); }

    public static boolean isOptIn(String name) { return entry(name).optIn(); }

    /** Why the named pass is opt-in, or null when it runs by default. */
    public static String optInReason(String name) { return entry(name).optInReason(); }

    /** The pass of that name with default options; IllegalArgumentException naming the known passes otherwise. */
    public static Pass byName(String name) { return byName(name, PortableOptions.DEFAULT); }

    public static Pass byName(String name, PortableOptions o) { return entry(name).factory().apply(o); }

    private static Entry entry(String name) {
        for (Entry e : ENTRIES) if (e.name().equals(name)) return e;
        throw new IllegalArgumentException("unknown pass '" + name + "'; known: " + String.join(", ", names()));
    }
}
