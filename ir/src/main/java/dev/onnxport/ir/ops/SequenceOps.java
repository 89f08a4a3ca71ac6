package dev.onnxport.ir.ops;

/** Shape inference and constant evaluation for one op family. */
final class SequenceOps {
    private SequenceOps() {}

    static void register(OpRegistry r) {
    }
}
