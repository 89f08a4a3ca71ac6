package dev.onnxport.backends.check;

import dev.onnxport.ir.DType;

import java.util.Arrays;
import java.util.Objects;

/**
 * A target tensor that carries an ONNX tensor.
 *
 * @param index     the target's tensor index (TFLite) or -1
 * @param name      the target's tensor or value name
 * @param onnxName  the ONNX tensor it carries
 * @param perm      target axis i is ONNX axis perm[i]; null when the layouts agree
 * @param ops       the target operator(s) that compute it (e.g. "PAD+CONV_2D"), "input" or "constant"
 * @param shape     the target's declared shape (null when unknown; -1 for dims known only at run time)
 * @param dtype     the target's element type (null when unknown)
 * @param quant     the target's quantization (values are dequantized before comparing), or null
 * @param constant  true when the value is stored in the file (read, not computed)
 */
public record Mapped(int index, String name, String onnxName, int[] perm, String ops, long[] shape, DType dtype,
                     TfliteFile.Quant quant, boolean constant) {
    @Override public boolean equals(Object o) {
        return o instanceof Mapped m && m.index == index && Objects.equals(m.name, name) && Objects.equals(m.onnxName, onnxName)
                && Arrays.equals(m.perm, perm);
    }

    @Override public int hashCode() { return Objects.hash(index, name, onnxName) * 31 + Arrays.hashCode(perm); }

    /** Bytes of the value when the shape is static, else -1. */
    public long byteSize() {
        if (shape == null) return -1;
        long n = 1;
        for (long d : shape) {
            if (d < 0) return -1;
            n *= d;
        }
        return n * (dtype == null || dtype == DType.STRING ? 4 : dtype.size());
    }
}
