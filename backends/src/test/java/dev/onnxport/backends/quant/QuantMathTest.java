package dev.onnxport.backends.quant;

import dev.onnxport.backends.tflite.TfliteModelBuilder;
import dev.onnxport.backends.tflite.TfliteQuantizer;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantMathTest {
    @Test
    void asymmetricParams() {
        // [-1, 3]: scale 4/255, zero point -128 - (-1)/(4/255) = -64.25 -> -64
        TfliteModelBuilder.Quant q = TfliteQuantizer.params(new Range(-1, 3));
        assertEquals(4.0 / 255, q.scale()[0], 1e-7);
        assertEquals(-64, q.zeroPoint()[0]);
        // a range above 0 is widened to include it: [0, 6] -> zero point -128
        q = TfliteQuantizer.params(new Range(2, 6));
        assertEquals(6.0 / 255, q.scale()[0], 1e-7);
        assertEquals(-128, q.zeroPoint()[0]);
        q = TfliteQuantizer.params(new Range(-5, -1));
        assertEquals(127, q.zeroPoint()[0]);
        q = TfliteQuantizer.params(new Range(0, 0));
        assertTrue(q.scale()[0] > 0);
    }

    @Test
    void percentileAndMse() {
        RangeStats s = new RangeStats();
        float[] v = new float[100_001];
        for (int i = 0; i < v.length; i++) v[i] = i / 100_000f; // uniform on [0, 1]
        v[0] = -50; // one outlier
        s.observeMinMax("t", FloatBuffer.wrap(v));
        s.observeHistogram("t", FloatBuffer.wrap(v));
        assertEquals(new Range(-50, 1), s.range("t", RangeStats.Method.MINMAX, 99.99));
        Range p = s.range("t", RangeStats.Method.PERCENTILE, 99.99);
        assertEquals(1.0, p.max(), 0.03);
        assertTrue(p.min() > -0.05 && p.min() < 0.01, "the outlier is clipped: " + p);
        assertEquals(null, s.range("missing", RangeStats.Method.MINMAX, 99.99));

        // a normal distribution: the least-squared-error range clips the tails (about 4 sigma for 8 bits)
        RangeStats n = new RangeStats();
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
        float[] g = new float[1_000_000];
        for (int i = 0; i < g.length; i++) g[i] = (float) (Math.sqrt(-2 * Math.log(rnd.nextDouble(1e-300, 1))) * Math.cos(2 * Math.PI * rnd.nextDouble()));
        n.observeMinMax("g", FloatBuffer.wrap(g));
        n.observeHistogram("g", FloatBuffer.wrap(g));
        Range mm = n.range("g", RangeStats.Method.MINMAX, 99.99), m = n.range("g", RangeStats.Method.MSE, 99.99);
        assertTrue(m.max() < mm.max() && m.min() > mm.min() && m.max() > 3 && m.min() < -3, "mse " + m + " within min/max " + mm);
    }

    @Test
    void npyRoundTripAndErrors() {
        Tensor t = Tensor.fromLongs(DType.UINT8, new long[] {2, 2, 3}, new long[] {0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255});
        Tensor r = Npy.read(Npy.write(t), "x");
        assertEquals(DType.UINT8, r.dtype());
        assertArrayEquals(t.shape(), r.shape());
        assertArrayEquals(t.toLongs(), r.toLongs());
        Tensor f = Tensor.ofFloats(new long[] {3}, 1.5f, -2f, 7f);
        assertArrayEquals(f.toFloats(), Npy.read(Npy.write(f), "f").toFloats());
        byte[] fortran = new String(Npy.write(f), StandardCharsets.ISO_8859_1).replace("False", "True ").getBytes(StandardCharsets.ISO_8859_1);
        assertTrue(assertThrows(CalibrationException.class, () -> Npy.read(fortran, "x")).getMessage().contains("Fortran"));
        assertTrue(assertThrows(CalibrationException.class, () -> Npy.read(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, "x"))
                .getMessage().contains("not a .npy file"));
    }

    @Test
    void bilinearResizeHalfPixel() {
        // 1x2 -> 1x4 with half-pixel centres: [a, a + (b-a)/4, a + 3(b-a)/4, b]
        float[] r = CalibrationData.resize(new CalibrationData.Img(1, 2, 1, new float[] {0, 8}, true), 1, 4);
        assertArrayEquals(new float[] {0, 2, 6, 8}, r, 1e-6f);
    }
}
