package dev.onnxport.backends.tflite;

/** TFLite lowerings for one op family. */
final class TfliteSequence {
    private TfliteSequence() {}

    static void register(TfliteOps r) {
    }
}
