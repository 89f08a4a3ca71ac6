package dev.onnxport.backends.tflite;

/** TFLite lowerings for one op family. */
final class TfliteIndexOps {
    private TfliteIndexOps() {}

    static void register(TfliteOps r) {
    }
}
