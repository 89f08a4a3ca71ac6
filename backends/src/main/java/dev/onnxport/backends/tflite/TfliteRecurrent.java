package dev.onnxport.backends.tflite;

/** TFLite lowerings for one op family. */
final class TfliteRecurrent {
    private TfliteRecurrent() {}

    static void register(TfliteOps r) {
    }
}
