package dev.onnxport.backends.tflite;

import tflite.BuiltinOperator;

/** TFLite lowerings for one op family. */
final class TfliteElementwise {
    private TfliteElementwise() {}

    static void register(TfliteOps r) {
        r.register("Relu", (n, c) -> c.op(BuiltinOperator.RELU, 1, new int[] {c.in(n, 0)}, new int[] {c.out(n, 0)}));
    }
}
