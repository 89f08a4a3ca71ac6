package dev.onnxport.ir;

/** Element types the IR carries. {@code onnxCode} is the TensorProto.DataType number. */
public enum DType {
    FLOAT32(4, 1), UINT8(1, 2), INT8(1, 3), UINT16(2, 4), INT16(2, 5), INT32(4, 6), INT64(8, 7),
    STRING(0, 8), BOOL(1, 9), FLOAT16(2, 10), FLOAT64(8, 11), UINT32(4, 12), UINT64(8, 13), BFLOAT16(2, 16);

    private final int size;
    private final int onnxCode;

    DType(int size, int onnxCode) { this.size = size; this.onnxCode = onnxCode; }

    /** Bytes per element (0 for STRING). */
    public int size() { return size; }

    public int onnxCode() { return onnxCode; }

    public boolean isFloat() { return this == FLOAT32 || this == FLOAT16 || this == BFLOAT16 || this == FLOAT64; }

    public boolean isInteger() { return !isFloat() && this != BOOL && this != STRING; }

    public boolean isSigned() { return this == INT8 || this == INT16 || this == INT32 || this == INT64 || isFloat(); }

    public static DType fromOnnx(int code) {
        for (DType t : values()) if (t.onnxCode == code) return t;
        throw new IllegalArgumentException("unsupported ONNX data type " + code);
    }
}
