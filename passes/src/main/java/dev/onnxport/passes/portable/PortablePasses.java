package dev.onnxport.passes.portable;

import dev.onnxport.passes.Pass;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The portability rewrites by name, in the order they should run (pattern clean-ups before the rewrites that would
 * destroy their patterns, decompositions before the activation lowering that cleans up after them, batch and
 * approximate rewrites last). Opt-in passes ({@link #isOptIn}) are part of {@link #all()} but not of
 * {@link #defaults()}: they change results.
 */
public final class PortablePasses {
    private PortablePasses() {}

    /** One registry row. */
    public record Entry(String name, boolean optIn, Function<PortableOptions, Pass> factory) {}

    private static final List<Entry> ENTRIES = List.of(
            new Entry("reduce-keepdims", false, o -> new ReduceKeepdims()),
            new Entry("gather-to-slice", false, o -> new GatherToSlice()),
            new Entry("unsqueeze-to-reshape", false, o -> new UnsqueezeToReshape()),
            new Entry("gathernd-decompose", false, o -> new GatherNdDecompose()),
            new Entry("gridsample-decompose", false, o -> new GridSampleDecompose()),
            new Entry("nms-single-class", false, o -> new NmsSingleClass()),
            new Entry("inverse-decompose", false, o -> new InverseDecompose()),
            new Entry("det-decompose", false, o -> new DetDecompose()),
            new Entry("mvn-decompose", false, o -> new MvnDecompose(o.mvnAntiFusion())),
            new Entry("atan-family", false, o -> new AtanFamily()),
            new Entry("primitive-activations", false, o -> new PrimitiveActivations()),
            new Entry("dynamic-batch", false, o -> new DynamicBatch()),
            new Entry("fused-argmax", true, FusedArgmax::new));

    public static List<Entry> entries() { return ENTRIES; }

    /** Every pass, in order, with default options. */
    public static List<Pass> all() { return all(PortableOptions.DEFAULT); }

    public static List<Pass> all(PortableOptions o) {
        List<Pass> r = new ArrayList<>();
        for (Entry e : ENTRIES) r.add(e.factory().apply(o));
        return r;
    }

    /** Every pass that is not opt-in, in order. */
    public static List<Pass> defaults() {
        List<Pass> r = new ArrayList<>();
        for (Entry e : ENTRIES) if (!e.optIn()) r.add(e.factory().apply(PortableOptions.DEFAULT));
        return r;
    }

    public static List<String> names() { return ENTRIES.stream().map(Entry::name).toList(); }

    public static boolean isOptIn(String name) { return entry(name).optIn(); }

    /** The pass of that name with default options; IllegalArgumentException naming the known passes otherwise. */
    public static Pass byName(String name) { return byName(name, PortableOptions.DEFAULT); }

    public static Pass byName(String name, PortableOptions o) { return entry(name).factory().apply(o); }

    private static Entry entry(String name) {
        for (Entry e : ENTRIES) if (e.name().equals(name)) return e;
        throw new IllegalArgumentException("unknown pass '" + name + "'; known: " + String.join(", ", names()));
    }
}
