package dev.onnxport.ir.ops;

/** Shape inference and constant evaluation for one op family. */
final class ReduceOps {
    private ReduceOps() {}

    static void register(OpRegistry r) {
    }
}
