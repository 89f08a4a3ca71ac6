package dev.onnxport.backends.tflite;

/** TFLite lowerings for one op family. */
final class TfliteTensorOps {
    private TfliteTensorOps() {}

    static void register(TfliteOps r) {
    }
}
