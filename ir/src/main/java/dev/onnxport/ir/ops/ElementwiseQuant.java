package dev.onnxport.ir.ops;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.ValueType;

import java.util.ArrayList;
import java.util.List;

/**
 * Shape functions and constant evaluators of the element-wise family's quantisation ops and Dropout:
 * QuantizeLinear (y = saturate(round_half_even(x / scale) + zero_point)), DequantizeLinear
 * (y = (x - zero_point) * scale), each per tensor (scalar scale), per axis (1-D scale along {@code axis}) or
 * blocked (scale of x's rank, {@code block_size} consecutive elements along {@code axis} sharing one), and
 * inference-mode Dropout (a copy, with an all-true mask).
 * Training-mode Dropout is random; it has no evaluator and no lowering.
 */
public final class ElementwiseQuant {
    private ElementwiseQuant() {}

    static void register(OpRegistry r) {
        r.register("QuantizeLinear", n -> List.of(new ValueType(quantizeType(n), Shapes.requireShape(n.input(0)))), ElementwiseQuant::evalQuantize);
        r.register("DequantizeLinear", n -> List.of(new ValueType(dequantizeType(n), Shapes.requireShape(n.input(0)))), ElementwiseQuant::evalDequantize);
        r.register("DynamicQuantizeLinear", n -> List.of(new ValueType(DType.UINT8, Shapes.requireShape(n.input(0))),
                new ValueType(DType.FLOAT32, Shape.of(new long[0])), new ValueType(DType.UINT8, Shape.of(new long[0]))), null);
        r.register("Dropout", n -> {
            Shape s = Shapes.requireShape(n.input(0));
            List<ValueType> out = new ArrayList<>();
            out.add(new ValueType(n.input(0).dtype(), s));
            if (n.outputs().size() > 1) out.add(new ValueType(DType.BOOL, s));
            return out;
        }, ElementwiseQuant::evalDropout);
    }

    /** QuantizeLinear's output type: output_dtype (opset 21+), else the zero point's type, else uint8. */
    public static DType quantizeType(Node n) {
        long od = n.attrs().getInt("output_dtype", 0);
        if (od != 0) return DType.fromOnnx((int) od);
        if (n.inputCount() > 2 && n.input(2) != null) return n.input(2).dtype();
        return DType.UINT8;
    }

    /** DequantizeLinear's output type: output_dtype (opset 23+), else the scale's type. */
    public static DType dequantizeType(Node n) {
        long od = n.attrs().getInt("output_dtype", 0);
        if (od != 0) return DType.fromOnnx((int) od);
        return n.input(1).dtype();
    }

    /** The saturation range of an integer quantised type, or null when it is not one this converter handles. */
    public static long[] qrange(DType t) {
        return switch (t) {
            case UINT8 -> new long[] {0, 255};
            case INT8 -> new long[] {-128, 127};
            case UINT16 -> new long[] {0, 65535};
            case INT16 -> new long[] {-32768, 32767};
            case INT32 -> new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE};
            default -> null;
        };
    }

    /** How the scale applies: per tensor, per axis or blocked. */
    public enum Mode { TENSOR, AXIS, BLOCKED }

    /** Quantisation layout of a node for an input of the given rank and the scale's shape. */
    public record Layout(Mode mode, int axis, long block) {}

    public static Layout layout(Node n, int rank, long[] scaleShape) {
        long block = n.attrs().getInt("block_size", 0);
        boolean perTensor = block <= 0 && (scaleShape.length == 0 || (scaleShape.length == 1 && scaleShape[0] == 1 && n.opset() < 13));
        if (perTensor) return new Layout(Mode.TENSOR, 0, 0);
        int axis = Shapes.axis(n.attrs().getInt("axis", 1), rank);
        if (block > 0) {
            if (scaleShape.length != rank) throw new ConversionException(n.opType() + ": blocked scale of rank " + scaleShape.length + " for input rank " + rank);
            return new Layout(Mode.BLOCKED, axis, block);
        }
        if (scaleShape.length == 1) return new Layout(Mode.AXIS, axis, 0);
        throw new ConversionException(n.opType() + ": scale of shape " + java.util.Arrays.toString(scaleShape) + " without block_size");
    }

    /** For each element of an input of shape xs: the flat index of its scale / zero point. */
    static int[] paramIndex(Layout l, long[] xs, long[] ss) {
        int total = Math.toIntExact(Tensor.numel(xs));
        int[] idx = new int[total];
        if (l.mode() == Mode.TENSOR) return idx;
        int r = xs.length;
        long[] coord = new long[r];
        for (int i = 0; i < total; i++) {
            if (l.mode() == Mode.AXIS) idx[i] = (int) coord[l.axis()];
            else {
                long f = 0;
                for (int a = 0; a < r; a++) f = f * ss[a] + (a == l.axis() ? coord[a] / l.block() : coord[a]);
                idx[i] = (int) f;
            }
            for (int a = r - 1; a >= 0; a--) {
                if (++coord[a] < xs[a]) break;
                coord[a] = 0;
            }
        }
        return idx;
    }

    static List<Tensor> evalQuantize(Node n, List<Tensor> in) {
        Tensor x = in.get(0), s = in.get(1), zp = in.size() > 2 ? in.get(2) : null;
        if (x == null || s == null || x.dtype() != DType.FLOAT32 || s.dtype() != DType.FLOAT32) return null;
        DType to = quantizeType(n);
        long[] rg = qrange(to);
        if (rg == null || to == DType.INT32) return null;
        Layout l = layout(n, x.rank(), s.shape());
        int[] pi = paramIndex(l, x.shape(), s.shape());
        long[] out = new long[pi.length];
        for (int i = 0; i < out.length; i++) {
            float q = (float) x.getDouble(i) / (float) s.getDouble(pi[i]);
            double v = Math.rint(q) + (zp == null ? 0 : zp.getLong(pi[i]));
            out[i] = (long) Math.max(rg[0], Math.min(rg[1], v));
        }
        return List.of(Tensor.fromLongs(to, x.shape(), out));
    }

    static List<Tensor> evalDequantize(Node n, List<Tensor> in) {
        Tensor x = in.get(0), s = in.get(1), zp = in.size() > 2 ? in.get(2) : null;
        if (x == null || s == null || qrange(x.dtype()) == null || s.dtype() != DType.FLOAT32 || dequantizeType(n) != DType.FLOAT32) return null;
        Layout l = layout(n, x.rank(), s.shape());
        int[] pi = paramIndex(l, x.shape(), s.shape());
        float[] out = new float[pi.length];
        for (int i = 0; i < out.length; i++) {
            long d = x.getLong(i) - (zp == null ? 0 : zp.getLong(pi[i]));
            if (x.dtype() == DType.INT32) d = (int) d;
            out[i] = (float) d * (float) s.getDouble(pi[i]);
        }
        return List.of(Tensor.ofFloats(x.shape(), out));
    }

    /** Whether a Dropout node is in inference mode (a copy): training_mode absent or constant false, or ratio 0. */
    public static boolean dropoutIsCopy(Node n) {
        if (n.opset() < 7) return n.attrs().getInt("is_test", 0) != 0;
        if (n.opset() < 12 || n.inputCount() < 3 || n.input(2) == null) return true;
        Tensor t = n.input(2).constant();
        if (t == null) return false;
        if (t.getLong(0) == 0) return true;
        // training mode: a copy only when the ratio is a constant 0
        Tensor r = n.inputCount() > 1 && n.input(1) != null ? n.input(1).constant() : null;
        return r != null && r.getDouble(0) == 0;
    }

    static List<Tensor> evalDropout(Node n, List<Tensor> in) {
        if (in.get(0) == null || !dropoutIsCopy(n)) return null;
        List<Tensor> out = new ArrayList<>();
        out.add(in.get(0));
        if (n.outputs().size() > 1) {
            long[] ones = new long[Math.toIntExact(in.get(0).numel())];
            java.util.Arrays.fill(ones, 1);
            out.add(Tensor.fromLongs(DType.BOOL, in.get(0).shape(), ones));
        }
        return out;
    }
}
