package dev.onnxport.ir.ops;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.ValueType;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the IR knows about each op: how to infer its output types, and (optionally) how to evaluate it on
 * constants for folding. One op family per class; each family registers its ops here.
 */
public final class OpRegistry {
    /** Output types from the node's inputs (their types, and constant data where present) and attributes. */
    @FunctionalInterface
    public interface ShapeFn {
        List<ValueType> infer(Node n);
    }

    /** Evaluates the node on constant inputs (null entries for omitted optional inputs); returns null if it cannot. */
    @FunctionalInterface
    public interface EvalFn {
        List<Tensor> eval(Node n, List<Tensor> inputs);
    }

    public record OpDef(String op, ShapeFn shape, EvalFn eval) {}

    private final Map<String, OpDef> defs = new TreeMap<>();

    private static final OpRegistry STANDARD = build();

    private static OpRegistry build() {
        OpRegistry r = new OpRegistry();
        ElementwiseOps.register(r);
        NnOps.register(r);
        ShapeOps.register(r);
        IndexOps.register(r);
        ReduceOps.register(r);
        RecurrentOps.register(r);
        return r;
    }

    /** The registry with every op the IR knows. */
    public static OpRegistry standard() { return STANDARD; }

    /** Registers an op (qualified name, e.g. "Conv" or "com.microsoft.Inverse"); eval may be null. */
    public void register(String op, ShapeFn shape, EvalFn eval) {
        if (defs.containsKey(op)) throw new IllegalStateException("op " + op + " registered twice");
        defs.put(op, new OpDef(op, shape, eval));
    }

    public OpDef get(String qualifiedOp) { return defs.get(qualifiedOp); }

    public boolean knows(String qualifiedOp) { return defs.containsKey(qualifiedOp); }

    public Map<String, OpDef> all() { return Collections.unmodifiableMap(defs); }

    /** Infers the node's output types, wrapping failures with the node's context. */
    public List<ValueType> infer(Node n) {
        OpDef d = defs.get(n.qualifiedOp());
        if (d == null || d.shape() == null) throw new ConversionException("no shape inference for op " + n.qualifiedOp()).addContext(n);
        try {
            return d.shape().infer(n);
        } catch (RuntimeException e) {
            throw ConversionException.wrap(e, n);
        }
    }
}
