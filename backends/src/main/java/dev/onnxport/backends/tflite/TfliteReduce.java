package dev.onnxport.backends.tflite;

/** TFLite lowerings for one op family. */
final class TfliteReduce {
    private TfliteReduce() {}

    static void register(TfliteOps r) {
    }
}
