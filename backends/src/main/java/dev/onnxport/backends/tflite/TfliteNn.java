package dev.onnxport.backends.tflite;

/** TFLite lowerings for one op family. */
final class TfliteNn {
    private TfliteNn() {}

    static void register(TfliteOps r) {
    }
}
