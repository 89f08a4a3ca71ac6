package dev.onnxport.backends.tflite;

/** TFLite lowerings for one op family. */
final class TfliteShapeOps {
    private TfliteShapeOps() {}

    static void register(TfliteOps r) {
    }
}
