package dev.onnxport.passes;

import dev.onnxport.ir.ops.OpRegistry;

import java.util.ArrayList;
import java.util.List;

/** What passes share: the op registry, the options that steer them, and a log of what each changed. */
public final class PassContext {
    private final OpRegistry ops;
    private final PassOptions options;
    private final List<String> log = new ArrayList<>();

    public PassContext(OpRegistry ops, PassOptions options) {
        this.ops = ops;
        this.options = options;
    }

    public static PassContext standard(PassOptions o) { return new PassContext(OpRegistry.standard(), o); }

    public OpRegistry ops() { return ops; }

    public PassOptions options() { return options; }

    public void log(String line) { log.add(line); }

    public List<String> log() { return List.copyOf(log); }
}
