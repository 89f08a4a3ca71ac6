package dev.onnxport.ir;

import java.util.Arrays;

/**
 * Which ONNX tensor a value carries, and how its axes relate to that tensor's axes:
 * value axis i holds ONNX axis {@code perm[i]}. A null perm means the identity (ONNX layout).
 */
public record Provenance(String onnxName, int[] perm) {
    public static Provenance of(String onnxName) { return new Provenance(onnxName, null); }

    public boolean isIdentity() {
        if (perm == null) return true;
        for (int i = 0; i < perm.length; i++) if (perm[i] != i) return false;
        return true;
    }

    @Override public boolean equals(Object o) {
        return o instanceof Provenance p && java.util.Objects.equals(p.onnxName, onnxName) && Arrays.equals(p.perm, perm);
    }

    @Override public int hashCode() { return java.util.Objects.hash(onnxName) * 31 + Arrays.hashCode(perm); }

    @Override public String toString() { return onnxName + (isIdentity() ? "" : Arrays.toString(perm)); }
}
