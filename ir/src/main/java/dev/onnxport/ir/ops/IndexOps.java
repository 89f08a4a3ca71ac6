package dev.onnxport.ir.ops;

/** Shape inference and constant evaluation for one op family. */
final class IndexOps {
    private IndexOps() {}

    static void register(OpRegistry r) {
    }
}
