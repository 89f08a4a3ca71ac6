package dev.onnxport.cli;

import dev.onnxport.passes.DeadCode;
import dev.onnxport.passes.FoldBatchNorm;
import dev.onnxport.passes.FoldConstants;
import dev.onnxport.passes.InferShapes;
import dev.onnxport.passes.InlineConstantIf;
import dev.onnxport.passes.Pass;
import dev.onnxport.passes.RemoveIdentity;
import dev.onnxport.passes.layout.ChannelsLast;
import dev.onnxport.passes.layout.TransposeOptimizer;
import dev.onnxport.passes.portable.PortableOptions;
import dev.onnxport.passes.portable.PortablePasses;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/** Every pass the CLI can run by name: the built-in ones and the portability passes. */
final class PassCatalog {
    /**
     * A pass by name; {@code make} gives a fresh instance (passes may keep state while they run) built with the given
     * portable options (--anti-fusion, --fused-argmax-scale; the built-in passes ignore them).
     */
    record Entry(String name, String description, String group, Function<PortableOptions, Pass> make) {}

    private PassCatalog() {}

    private static final List<Supplier<Pass>> BUILTIN = List.of(InferShapes::new, FoldConstants::new, DeadCode::new, RemoveIdentity::new,
            FoldBatchNorm::new, InlineConstantIf::new, ChannelsLast::new, TransposeOptimizer::new);

    /** Built-in passes first, then the portability passes, each group in its registry's order. */
    static List<Entry> all() {
        Map<String, Entry> r = new LinkedHashMap<>();
        for (Supplier<Pass> s : BUILTIN) add(r, o -> s.get(), "built-in");
        for (PortablePasses.Entry e : PortablePasses.entries())
            add(r, e.factory(), e.optIn() ? "portable, opt-in (" + e.optInReason() + "; only with --pass " + e.name()
                    + (e.name().equals("dynamic-batch") ? " or --dynamic-batch" : "") + ")" : "portable");
        return new ArrayList<>(r.values());
    }

    private static void add(Map<String, Entry> r, Function<PortableOptions, Pass> f, String group) {
        Pass p = f.apply(PortableOptions.DEFAULT);
        if (r.put(p.name(), new Entry(p.name(), p.description(), group, f)) != null)
            throw new IllegalStateException("two passes are named '" + p.name() + "'");
    }

    /** The pass with this name, or null. */
    static Entry byName(String name) {
        for (Entry e : all()) if (e.name().equals(name)) return e;
        return null;
    }

    /** Fresh instances of the named passes, in order; an unknown name is a usage error that lists the known ones. */
    static List<Pass> instances(List<String> names, String what) { return instances(names, what, PortableOptions.DEFAULT); }

    /** As {@link #instances(List, String)}, the portable passes built with options o. */
    static List<Pass> instances(List<String> names, String what, PortableOptions o) {
        List<Pass> r = new ArrayList<>();
        for (String n : names) {
            Entry e = byName(n);
            if (e == null) throw CliException.usage(what + ": unknown pass '" + n + "' (see 'onnxport passes')");
            r.add(e.make().apply(o));
        }
        return r;
    }
}
