package dev.onnxport.backends.tflite;

import dev.onnxport.backends.quant.Range;
import dev.onnxport.backends.tflite.TfliteModelBuilder.Quant;
import org.junit.jupiter.api.Test;
import tflite.BuiltinOperator;
import tflite.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TfliteQuantCheck's int16 rules on hand-built 16x8 files: a correct one passes, each broken rule is reported. */
class TfliteQuantCheckInt16Test {
    static Quant q(double s, long zp) { return new Quant(new float[] {(float) s}, new long[] {zp}, 0); }

    /** x int16 -> CONV_2D (int8 weights, bias of the given type and scale) -> LOGISTIC (output params) -> y. */
    static byte[] model(long xZp, byte biasType, double biasScale, double logisticScale, short constValue) {
        TfliteModelBuilder mb = new TfliteModelBuilder();
        double sx = 0.01, sw = 0.02;
        int x = mb.addTensor("x", TensorType.INT16, new int[] {1, 4, 4, 2}, null, null, q(sx, xZp));
        ByteBuffer w = ByteBuffer.allocate(2 * 2).order(ByteOrder.LITTLE_ENDIAN);
        w.put((byte) 5).put((byte) -7).put((byte) 127).put((byte) -127).flip();
        int wt = mb.addTensor("w", TensorType.INT8, new int[] {2, 1, 1, 2}, null, w, new Quant(new float[] {(float) sw, (float) sw}, new long[2], 0));
        int bytes = biasType == TensorType.INT64 ? 8 : 4;
        ByteBuffer b = ByteBuffer.allocate(2 * bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 2; i++) if (bytes == 8) b.putLong(100); else b.putInt(100);
        b.flip();
        float bs = (float) biasScale;
        int bias = mb.addTensor("b", biasType, new int[] {2}, null, b, new Quant(new float[] {bs, bs}, new long[2], 0));
        int c = mb.addTensor("c", TensorType.INT16, new int[] {1, 4, 4, 2}, null, null, q(0.05, 0));
        mb.addOp(BuiltinOperator.CONV_2D, 4, new int[] {x, wt, bias}, new int[] {c}, (byte) 0, null);
        ByteBuffer k = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
        k.putShort(constValue).flip();
        int kc = mb.addTensor("k", TensorType.INT16, new int[] {1}, null, k, q(0.001, 0));
        int a = mb.addTensor("a", TensorType.INT16, new int[] {1, 4, 4, 2}, null, null, q(0.05, 0));
        mb.addOp(BuiltinOperator.ADD, 3, new int[] {c, kc}, new int[] {a}, (byte) 0, null);
        int y = mb.addTensor("y", TensorType.INT16, new int[] {1, 4, 4, 2}, null, null, q(logisticScale, 0));
        mb.addOp(BuiltinOperator.LOGISTIC, 3, new int[] {a}, new int[] {y}, (byte) 0, null);
        return TfliteBackend.finish(mb, new int[] {x}, new int[] {y});
    }

    static final double GOOD_BIAS = 0.01 * 0.02;

    @Test
    void correctFilePasses() {
        assertEquals(List.of(), TfliteQuantCheck.violations(model(0, TensorType.INT64, GOOD_BIAS, 1.0 / 32768, (short) 300)));
    }

    @Test
    void eachBrokenRuleIsReported() {
        assertHas(model(3, TensorType.INT64, GOOD_BIAS, 1.0 / 32768, (short) 300), "int16 zero point 3");
        assertHas(model(0, TensorType.INT32, GOOD_BIAS, 1.0 / 32768, (short) 300), "is int32, not int64");
        assertHas(model(0, TensorType.INT64, GOOD_BIAS * 2, 1.0 / 32768, (short) 300), "!= input scale x weight scale");
        assertHas(model(0, TensorType.INT64, GOOD_BIAS, 1.0 / 256, (short) 300), "must be 3.0517578E-5, 0");
        assertHas(model(0, TensorType.INT64, GOOD_BIAS, 1.0 / 32768, Short.MIN_VALUE), "value -32768");
    }

    @Test
    void params16() {
        // symmetric: scale = max(|min|, |max|) / 32767, zero point 0
        Quant p = TfliteQuantizer.params16(new Range(-1, 3));
        assertEquals(3.0 / 32767, p.scale()[0], 1e-12);
        assertEquals(0, p.zeroPoint()[0]);
        p = TfliteQuantizer.params16(new Range(-5, 2));
        assertEquals(5.0 / 32767, p.scale()[0], 1e-12);
        assertTrue(TfliteQuantizer.params16(new Range(0, 0)).scale()[0] > 0);
    }

    static void assertHas(byte[] model, String what) {
        List<String> v = TfliteQuantCheck.violations(model);
        assertTrue(v.stream().anyMatch(s -> s.contains(what)), "expected a violation with '" + what + "', got " + v);
    }
}
