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
import java.util.function.Supplier;

/** Every pass the CLI can run by name: the built-in ones and the portability passes. */
final class PassCatalog {
    /** A pass by name; {@code make} gives a fresh instance (passes may keep state while they run). */
    record Entry(String name, String description, String group, Supplier<Pass> make) {}

    private PassCatalog() {}

    private static final List<Supplier<Pass>> BUILTIN = List.of(InferShapes::new, FoldConstants::new, DeadCode::new, RemoveIdentity::new,
            FoldBatchNorm::new, InlineConstantIf::new, ChannelsLast::new, TransposeOptimizer::new);

    /** Built-in passes first, then the portability passes, each group in its registry's order. */
    static List<Entry> all() {
        Map<String, Entry> r = new LinkedHashMap<>();
        for (Supplier<Pass> s : BUILTIN) add(r, s, "built-in");
        for (PortablePasses.Entry e : PortablePasses.entries())
            add(r, () -> e.factory().apply(PortableOptions.DEFAULT), e.optIn() ? "portable, opt-in (changes results)" : "portable");
        return new ArrayList<>(r.values());
    }

    private static void add(Map<String, Entry> r, Supplier<Pass> s, String group) {
        Pass p = s.get();
        if (r.put(p.name(), new Entry(p.name(), p.description(), group, s)) != null)
            throw new IllegalStateException("two passes are named '" + p.name() + "'");
    }

    /** The pass with this name, or null. */
    static Entry byName(String name) {
        for (Entry e : all()) if (e.name().equals(name)) return e;
        return null;
    }

    /** Fresh instances of the named passes, in order; an unknown name is a usage error that lists the known ones. */
    static List<Pass> instances(List<String> names, String what) {
        List<Pass> r = new ArrayList<>();
        for (String n : names) {
            Entry e = byName(n);
            if (e == null) throw CliException.usage(what + ": unknown pass '" + n + "' (see 'onnxport passes')");
            r.add(e.make().get());
        }
        return r;
    }
}
