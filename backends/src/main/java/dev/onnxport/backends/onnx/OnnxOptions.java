package dev.onnxport.backends.onnx;

/**
 * Options for writing an ONNX model.
 *
 * @param opset    the version to import for the standard domain (""), or null to keep the graph's own opsets.
 *                 Only the opset_import entry changes: the caller is responsible for nodes being valid at it.
 * @param producer the producer_name written into the model, or null for "onnxport"
 */
public record OnnxOptions(Integer opset, String producer) {
    public static final OnnxOptions DEFAULT = new OnnxOptions(null, null);

    public static OnnxOptions withOpset(int opset) { return new OnnxOptions(opset, null); }
}
