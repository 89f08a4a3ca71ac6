package dev.onnxport.backends.check;

import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Error statistics, perm undoing and dequantization, against hand-computed numbers. */
class CheckCompareTest {
    @Test
    void statsByHand() {
        Tensor ref = Tensor.ofFloats(new long[] {4}, 1, 2, 3, 4);
        Tensor got = Tensor.ofFloats(new long[] {4}, 1, 2, 3.5f, 3);
        Compare.Stats s = Compare.compare(ref, got, null, null, 0.6, 0, null);
        assertEquals(4, s.count());
        assertEquals(1.0, s.maxAbs(), 1e-12);
        assertEquals(0.375, s.meanAbs(), 1e-12);               // (0 + 0 + .5 + 1) / 4
        assertEquals(Math.sqrt(1.25 / 4), s.rmse(), 1e-12);    // (.25 + 1) / 4
        double dot = 1 + 4 + 10.5 + 12, na = 30, nb = 1 + 4 + 12.25 + 9;
        assertEquals(dot / Math.sqrt(na * nb), s.cosine(), 1e-12);
        assertEquals(1, s.mismatches(), "only |4 - 3| > 0.6");
        assertEquals(4, s.refMaxAbs(), 0);
        assertTrue(Compare.compare(ref, got, null, null, 0.5, 0.25, null).pass(), "1 <= 0.5 + 0.25 * 4");
    }

    @Test
    void undoesThePermutation() {
        // ONNX [1,2,3] (values 0..5) held channels-last as [1,3,2]: tensor axis i = ONNX axis perm[i]
        Tensor ref = Tensor.ofFloats(new long[] {1, 2, 3}, 0, 1, 2, 3, 4, 5);
        int[] perm = {0, 2, 1};
        Tensor t = Compare.toTarget(ref, perm);
        assertArrayEquals(new long[] {1, 3, 2}, t.shape());
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, t.toFloats());
        Compare.Stats s = Compare.compare(ref, t, perm, null, 0, 0, null);
        assertEquals(0, s.maxAbs());
        assertTrue(s.pass());
        // read without the perm it is wrong
        String[] note = new String[1];
        assertFalse(Compare.compare(ref, t, null, null, 1e-6, 0, note).pass());
        assertTrue(note[0].contains("compared in order"), note[0]);
        assertArrayEquals(new long[] {1, 2, 3}, Compare.unpermute(new long[] {1, 3, 2}, perm));
    }

    @Test
    void shapeMismatchAndNaN() {
        assertThrows(Compare.Mismatch.class, () -> Compare.compare(Tensor.ofFloats(new long[] {2}, 1, 2),
                Tensor.ofFloats(new long[] {3}, 1, 2, 3), null, null, 1, 0, null));
        Tensor a = Tensor.ofFloats(new long[] {2}, Float.NaN, 1), b = Tensor.ofFloats(new long[] {2}, Float.NaN, 1);
        assertTrue(Compare.compare(a, b, null, null, 0, 0, null).pass(), "NaN where the reference has NaN is equal");
        Compare.Stats s = Compare.compare(a, Tensor.ofFloats(new long[] {2}, 0, 1), null, null, 1, 0, null);
        assertEquals(Double.POSITIVE_INFINITY, s.maxAbs());
        assertEquals(1, s.mismatches());
    }

    @Test
    void dequantizesPerTensorAndPerChannel() {
        Tensor ref = Tensor.ofFloats(new long[] {2, 2}, 0.5f, 2f, -2f, 4f);
        // per tensor: real = (q - 10) * 0.5
        Tensor q = Tensor.fromLongs(DType.INT8, new long[] {2, 2}, new long[] {11, 14, 6, 18});
        assertEquals(0, Compare.compare(ref, q, null, new TfliteFile.Quant(new float[] {0.5f}, new long[] {10}, 0), 0, 0, null).maxAbs(), 1e-9);
        // per channel along axis 1: scales 0.5 and 2, zero points 0 and 1
        Tensor qc = Tensor.fromLongs(DType.INT8, new long[] {2, 2}, new long[] {1, 2, -4, 3});
        Compare.Stats s = Compare.compare(ref, qc, null, new TfliteFile.Quant(new float[] {0.5f, 2f}, new long[] {0, 1}, 1), 0, 0, null);
        assertEquals(0, s.maxAbs(), 1e-9);
    }

    @Test
    void miniJson() {
        Object o = MiniJson.parse(" {\"a\": [1, -2.5e1, true, null, \"x\\u0041\\n\"], \"b\": {}} ");
        assertEquals("{\"a\":[1,-25.0,true,null,\"xA\\n\"],\"b\":{}}", MiniJson.write(o));
        assertThrows(IllegalArgumentException.class, () -> MiniJson.parse("{\"a\":1"));
    }
}
