package dev.onnxport.backends.tflite;

import tflite.BuiltinOperator;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The oldest TFLite runtime that has each (builtin op, version) we emit, after TFLite's runtime version table.
 * Unknown pairs count as 2.6.0, the runtime every emitted file is tested with.
 */
final class RuntimeVersions {
    private RuntimeVersions() {}

    private static final Map<Long, String> TABLE = new HashMap<>();

    private static void put(int op, int version, String rt) { TABLE.put(((long) op << 8) | version, rt); }

    static {
        put(BuiltinOperator.ADD, 1, "1.5.0");
        put(BuiltinOperator.ADD, 2, "1.14.0");
        put(BuiltinOperator.SUB, 1, "1.6.0");
        put(BuiltinOperator.MUL, 1, "1.5.0");
        put(BuiltinOperator.DIV, 1, "1.6.0");
        put(BuiltinOperator.CONV_2D, 1, "1.5.0");
        put(BuiltinOperator.CONV_2D, 2, "1.14.0");
        put(BuiltinOperator.CONV_2D, 3, "1.14.0");
        put(BuiltinOperator.DEPTHWISE_CONV_2D, 1, "1.5.0");
        put(BuiltinOperator.DEPTHWISE_CONV_2D, 2, "1.12.0");
        put(BuiltinOperator.FULLY_CONNECTED, 1, "1.5.0");
        put(BuiltinOperator.RESHAPE, 1, "1.5.0");
        put(BuiltinOperator.SOFTMAX, 1, "1.5.0");
        put(BuiltinOperator.LOGISTIC, 1, "1.5.0");
        put(BuiltinOperator.TANH, 1, "1.14.0");
        put(BuiltinOperator.RELU, 1, "1.5.0");
        put(BuiltinOperator.RELU6, 1, "1.5.0");
        put(BuiltinOperator.MAX_POOL_2D, 1, "1.5.0");
        put(BuiltinOperator.AVERAGE_POOL_2D, 1, "1.5.0");
        put(BuiltinOperator.CONCATENATION, 1, "1.5.0");
        put(BuiltinOperator.TRANSPOSE, 1, "1.6.0");
        put(BuiltinOperator.MEAN, 1, "1.6.0");
        put(BuiltinOperator.PAD, 1, "1.5.0");
        put(BuiltinOperator.DEQUANTIZE, 1, "1.13.1");
        put(BuiltinOperator.DEQUANTIZE, 2, "1.14.0");
        put(BuiltinOperator.DEQUANTIZE, 3, "1.15.0");
        put(BuiltinOperator.EXP, 1, "1.7.0");
        put(BuiltinOperator.GATHER, 1, "1.6.0");
        put(BuiltinOperator.STRIDED_SLICE, 1, "1.6.0");
        put(BuiltinOperator.SLICE, 1, "1.14.0");
    }

    static String minRuntime(List<int[]> opcodes) {
        String best = "1.5.0";
        for (int[] c : opcodes) {
            String v = TABLE.getOrDefault(((long) c[0] << 8) | c[1], "2.6.0");
            if (compare(v, best) > 0) best = v;
        }
        return best;
    }

    static int compare(String a, String b) {
        String[] x = a.split("\\."), y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int p = i < x.length ? Integer.parseInt(x[i]) : 0, q = i < y.length ? Integer.parseInt(y[i]) : 0;
            if (p != q) return Integer.compare(p, q);
        }
        return 0;
    }
}
