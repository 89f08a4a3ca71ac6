package dev.onnxport.passes;

/**
 * Options read by passes. {@code ioLayout}: "nhwc" moves image inputs and outputs to channels-last, "nchw" keeps
 * ONNX's layout at the boundary.
 */
public record PassOptions(String ioLayout) {
    public static final PassOptions DEFAULT = new PassOptions("nhwc");

    public boolean nhwcIo() { return "nhwc".equals(ioLayout); }
}
