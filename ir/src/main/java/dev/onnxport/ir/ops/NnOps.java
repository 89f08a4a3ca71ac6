package dev.onnxport.ir.ops;

/** Shape inference and constant evaluation for one op family. */
final class NnOps {
    private NnOps() {}

    static void register(OpRegistry r) {
    }
}
