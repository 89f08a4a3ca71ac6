package dev.onnxport.ir.ops;

/** Shape inference and constant evaluation for one op family. */
final class TensorOps {
    private TensorOps() {}

    static void register(OpRegistry r) {
    }
}
