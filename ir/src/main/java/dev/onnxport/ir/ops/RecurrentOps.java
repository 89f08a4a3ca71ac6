package dev.onnxport.ir.ops;

/** Shape inference and constant evaluation for one op family. */
final class RecurrentOps {
    private RecurrentOps() {}

    static void register(OpRegistry r) {
    }
}
