package dev.onnxport.backends.tflite;

import dev.onnxport.ir.Node;

/**
 * Emits the TFLite operators for one IR node. Throw {@link dev.onnxport.ir.ConversionException} with a reason
 * for forms that cannot be expressed; the backend adds the node's context and reports all failures together.
 */
@FunctionalInterface
public interface TfliteLowering {
    void lower(Node n, LowerContext ctx);
}
