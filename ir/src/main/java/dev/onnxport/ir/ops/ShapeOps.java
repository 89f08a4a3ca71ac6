package dev.onnxport.ir.ops;

/** Shape inference and constant evaluation for one op family. */
final class ShapeOps {
    private ShapeOps() {}

    static void register(OpRegistry r) {
    }
}
