package dev.onnxport.backends.quant;

/** A calibrated value range of one tensor. */
public record Range(double min, double max) {
    public Range union(Range o) { return o == null ? this : new Range(Math.min(min, o.min), Math.max(max, o.max)); }
}
