package dev.onnxport.ir;

/** The type of a value: element type and shape (null shape = unknown rank). */
public record ValueType(DType dtype, Shape shape) {
    public static ValueType of(DType dtype, long... dims) { return new ValueType(dtype, Shape.of(dims)); }

    public boolean hasShape() { return shape != null; }

    public int rank() {
        if (shape == null) throw new IllegalStateException("rank unknown");
        return shape.rank();
    }

    @Override public String toString() { return dtype + (shape == null ? "[?]" : shape.toString()); }
}
