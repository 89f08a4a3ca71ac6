package dev.onnxport.passes.portable;

/**
 * Options of the portable rewrites that the shared {@link dev.onnxport.passes.PassOptions} does not carry.
 *
 * @param mvnAntiFusion      mvn-decompose inserts a numerically neutral multiply by 1 so that a runtime's pattern
 *                           matcher does not fuse the decomposition back into one normalization kernel
 * @param argmaxScale        fused-argmax: factor the map is resized by before the ArgMax (0 &lt; scale &lt; 1)
 * @param argmaxMinPixels    fused-argmax: only maps with at least this many pixels (H*W) are rewritten
 */
public record PortableOptions(boolean mvnAntiFusion, double argmaxScale, long argmaxMinPixels) {
    public static final PortableOptions DEFAULT = new PortableOptions(false, 0.5, 64 * 64);

    public PortableOptions {
        if (!(argmaxScale > 0 && argmaxScale < 1)) throw new IllegalArgumentException("argmaxScale must be in (0, 1), got " + argmaxScale);
        if (argmaxMinPixels < 1) throw new IllegalArgumentException("argmaxMinPixels must be positive");
    }

    public PortableOptions withMvnAntiFusion(boolean on) { return new PortableOptions(on, argmaxScale, argmaxMinPixels); }

    public PortableOptions withArgmaxScale(double s) { return new PortableOptions(mvnAntiFusion, s, argmaxMinPixels); }

    public PortableOptions withArgmaxMinPixels(long p) { return new PortableOptions(mvnAntiFusion, argmaxScale, p); }
}
