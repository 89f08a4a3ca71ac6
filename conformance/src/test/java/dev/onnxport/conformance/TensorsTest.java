package dev.onnxport.conformance;

import dev.onnxport.cli.check.Npy;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class TensorsTest {
    @Test
    void transposeNchwToNhwc() {
        // x[n=1][c=2][h=2][w=3] = c*100 + h*10 + w
        float[] v = new float[12];
        for (int c = 0; c < 2; c++) for (int h = 0; h < 2; h++) for (int w = 0; w < 3; w++) v[c * 6 + h * 3 + w] = c * 100 + h * 10 + w;
        Tensor t = Tensors.transpose(Tensor.ofFloats(new long[] {1, 2, 2, 3}, v), new int[] {0, 2, 3, 1});
        assertArrayEquals(new long[] {1, 2, 3, 2}, t.shape());
        assertArrayEquals(new float[] {0, 100, 1, 101, 2, 102, 10, 110, 11, 111, 12, 112}, t.toFloats());
    }

    @Test
    void transposeRank2AndIdentity() {
        Tensor t = Tensor.ofLongs(new long[] {2, 3}, 1, 2, 3, 4, 5, 6);
        assertArrayEquals(new long[] {1, 4, 2, 5, 3, 6}, Tensors.transpose(t, new int[] {1, 0}).toLongs());
        assertEquals(t, Tensors.transpose(t, new int[] {0, 1}));
        assertEquals(t, Tensors.transpose(t, null));
    }

    @Test
    void npyHeaderIsAlignedAndDataFollows() throws Exception {
        Path f = Files.createTempFile("t", ".npy");
        Npy.write(f, Tensor.fromLongs(DType.INT32, new long[] {3}, new long[] {7, 8, 9}));
        byte[] b = Files.readAllBytes(f);
        int hl = (b[8] & 0xff) | (b[9] & 0xff) << 8;
        assertEquals(0, (10 + hl) % 64);
        String h = new String(b, 10, hl, java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", h.strip());
        assertEquals(10 + hl + 12, b.length);
        assertEquals(7, b[10 + hl]);
        Files.delete(f);
    }
}
