package dev.onnxport.conformance;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Provenance;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;

/** Edits applied to a loaded model before conversion: fixing input shapes and pinning inputs to constants. */
public final class GraphEdits {
    private GraphEdits() {}

    static int inputIndex(Graph g, String name) {
        for (int i = 0; i < g.inputs().size(); i++) if (g.inputs().get(i).name().equals(name)) return i;
        throw new ConversionException("the model has no input '" + name + "'");
    }

    /** Gives input {@code name} a static shape (its element type is kept). */
    public static void fixShape(Graph g, String name, long[] shape) {
        int i = inputIndex(g, name);
        g.setInputType(i, ValueType.of(g.inputs().get(i).dtype(), shape));
    }

    /** Replaces graph input {@code name} by a constant with the same name (see InputShapes.pin). */
    public static Value pin(Graph g, String name, Tensor value) {
        return dev.onnxport.passes.InputShapes.pin(g, g.inputs().get(inputIndex(g, name)), value);
    }
}
