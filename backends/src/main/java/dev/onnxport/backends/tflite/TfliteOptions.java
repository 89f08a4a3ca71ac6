package dev.onnxport.backends.tflite;

/** Options that change what the TFLite emitter writes. */
public record TfliteOptions(boolean fp16) {
    public static final TfliteOptions FLOAT32 = new TfliteOptions(false);
}
