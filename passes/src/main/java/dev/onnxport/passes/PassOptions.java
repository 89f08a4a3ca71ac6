package dev.onnxport.passes;

import dev.onnxport.passes.portable.PortableOptions;

/**
 * Options read by passes.
 *
 * @param ioLayout    "nhwc" moves image inputs and outputs to channels-last, "nchw" keeps ONNX's layout at the boundary
 * @param portable    options of the portability rewrites (anti-fusion, fused-argmax scale, ...)
 * @param targetOpset the default-domain opset the graph will be written at, or 0 for the graph's own: nodes that
 *                    passes create take that opset's form (e.g. Unsqueeze/Squeeze/ReduceSum axes as attributes below
 *                    13), so that a file written at an older opset stays valid; existing nodes keep theirs
 */
public record PassOptions(String ioLayout, PortableOptions portable, int targetOpset) {
    public static final PassOptions DEFAULT = new PassOptions("nhwc");

    public PassOptions {
        if (portable == null) portable = PortableOptions.DEFAULT;
        if (targetOpset < 0) throw new IllegalArgumentException("targetOpset must be >= 0, got " + targetOpset);
    }

    /** Default portable options, the graph's own opset. */
    public PassOptions(String ioLayout) { this(ioLayout, PortableOptions.DEFAULT, 0); }

    public boolean nhwcIo() { return "nhwc".equals(ioLayout); }

    public PassOptions withPortable(PortableOptions p) { return new PassOptions(ioLayout, p, targetOpset); }

    public PassOptions withTargetOpset(int opset) { return new PassOptions(ioLayout, portable, opset); }

    /** The opset new default-domain nodes are built at in a graph of opset {@code graphOpset}. */
    public int opsetFor(int graphOpset) { return targetOpset > 0 ? targetOpset : graphOpset; }
}
