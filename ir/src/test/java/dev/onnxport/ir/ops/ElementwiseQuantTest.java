package dev.onnxport.ir.ops;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static dev.onnxport.ir.ops.ElementwiseOpsTest.eval;
import static dev.onnxport.ir.ops.ElementwiseOpsTest.infer;
import static dev.onnxport.ir.ops.ElementwiseOpsTest.t;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ElementwiseQuantTest {
    static final OpRegistry R = OpRegistry.standard();

    @Test void quantizeTypes() {
        assertEquals(t(DType.UINT8, 2, 3), infer("QuantizeLinear", 13, Attrs.EMPTY, t(DType.FLOAT32, 2, 3), t(DType.FLOAT32)));
        assertEquals(t(DType.INT8, 2, 3), infer("QuantizeLinear", 13, Attrs.EMPTY, t(DType.FLOAT32, 2, 3), t(DType.FLOAT32), t(DType.INT8)));
        assertEquals(t(DType.INT16, 2, 3), infer("QuantizeLinear", 21, Attrs.builder().put("output_dtype", 5L).build(), t(DType.FLOAT32, 2, 3), t(DType.FLOAT32)));
        assertEquals(t(DType.FLOAT32, 4), infer("DequantizeLinear", 13, Attrs.EMPTY, t(DType.UINT8, 4), t(DType.FLOAT32), t(DType.UINT8)));
    }

    @Test void quantizePerTensorRoundsHalfToEvenAndSaturates() {
        // the ONNX test_quantizelinear numbers, plus halves: 1/2 -> 0, 3/2 -> 2, 5/2 -> 2
        Tensor x = Tensor.ofFloats(new long[] {9}, 0, 2, 3, 1000, -254, -1000, 1, 3, 5);
        Tensor y = eval("QuantizeLinear", 13, Attrs.EMPTY, x, Tensor.scalarFloat(2), Tensor.fromLongs(DType.UINT8, new long[0], new long[] {128}));
        assertEquals(DType.UINT8, y.dtype());
        assertArrayEquals(new long[] {128, 129, 130, 255, 1, 0, 128, 130, 130}, y.toLongs());
        Tensor z = eval("QuantizeLinear", 13, Attrs.EMPTY, Tensor.ofFloats(new long[] {3}, -300, 3, 300), Tensor.scalarFloat(1),
                Tensor.fromLongs(DType.INT8, new long[0], new long[] {1}));
        assertArrayEquals(new long[] {-128, 4, 127}, z.toLongs());
    }

    @Test void quantizePerAxisAndBlocked() {
        // test_quantizelinear_axis: x[1,3,1,2], scales [2,4,5], zero points [84,24,196] along axis 1
        Tensor x = Tensor.ofFloats(new long[] {1, 3, 1, 2}, -162, 10, -20, -50, 100, -76);
        Tensor s = Tensor.ofFloats(new long[] {3}, 2, 4, 5);
        Tensor zp = Tensor.fromLongs(DType.UINT8, new long[] {3}, new long[] {84, 24, 196});
        assertArrayEquals(new long[] {3, 89, 19, 12, 216, 181}, eval("QuantizeLinear", 13, Attrs.EMPTY, x, s, zp).toLongs());
        // blocks of 2 along axis 1: [6, 12 | 50, 5] with scales [1.5 | 2.5], zero points [0 | 1] -> [4, 8 | 21, 3]
        Tensor xb = Tensor.ofFloats(new long[] {1, 4}, 6, 12, 50, 5);
        Tensor sb = Tensor.ofFloats(new long[] {1, 2}, 1.5f, 2.5f);
        Tensor zb = Tensor.fromLongs(DType.UINT8, new long[] {1, 2}, new long[] {0, 1});
        Attrs blk = Attrs.builder().put("axis", 1L).put("block_size", 2L).build();
        assertArrayEquals(new long[] {4, 8, 21, 3}, eval("QuantizeLinear", 21, blk, xb, sb, zb).toLongs());
    }

    @Test void dequantize() {
        Tensor y = eval("DequantizeLinear", 13, Attrs.EMPTY, Tensor.fromLongs(DType.UINT8, new long[] {4}, new long[] {0, 3, 128, 255}),
                Tensor.scalarFloat(2), Tensor.fromLongs(DType.UINT8, new long[0], new long[] {128}));
        assertArrayEquals(new float[] {-256, -250, 0, 254}, y.toFloats());
        Tensor a = eval("DequantizeLinear", 13, Attrs.EMPTY, Tensor.fromLongs(DType.INT8, new long[] {1, 2, 2}, new long[] {-1, 2, 3, -4}),
                Tensor.ofFloats(new long[] {2}, 0.5f, 3f), Tensor.fromLongs(DType.INT8, new long[] {2}, new long[] {1, -1}));
        assertArrayEquals(new float[] {-1, 0.5f, 12, -9}, a.toFloats());
        // no zero point: int32 input
        assertArrayEquals(new float[] {-4, 6}, eval("DequantizeLinear", 13, Attrs.EMPTY, Tensor.ofInts(new long[] {2}, -2, 3), Tensor.scalarFloat(2)).toFloats());
        // float8 and friends do not fold
        assertNull(eval("DequantizeLinear", 13, Attrs.EMPTY, Tensor.ofFloats(new long[] {1}, 1), Tensor.scalarFloat(2)));
    }

    @Test void dynamicQuantizeTypes() {
        Graph g = new Graph("t");
        g.opsets().put("", 11);
        Value x = g.addInput("x", t(DType.FLOAT32, 2, 3));
        Node n = g.addNodeExact("", "DynamicQuantizeLinear", "q", List.of(x), Attrs.EMPTY, 11, List.of("y", "s", "z"));
        assertEquals(List.of(t(DType.UINT8, 2, 3), t(DType.FLOAT32), t(DType.UINT8)), R.infer(n));
    }

    private static Node dropout(int opset, Attrs a, boolean mask, Tensor... consts) {
        Graph g = new Graph("t");
        g.opsets().put("", opset);
        Value x = g.addInput("x", t(DType.FLOAT32, 2, 3));
        List<Value> ins = new java.util.ArrayList<>(List.of(x));
        for (int i = 0; i < consts.length; i++) ins.add(consts[i] == null ? null : g.addConstant("c" + i, consts[i]));
        return g.addNodeExact("", "Dropout", "d", ins, a, opset, mask ? List.of("y", "m") : List.of("y"));
    }

    @Test void dropout() {
        Node n = dropout(13, Attrs.EMPTY, true);
        List<ValueType> ts = R.infer(n);
        assertEquals(List.of(t(DType.FLOAT32, 2, 3), t(DType.BOOL, 2, 3)), ts);
        assertEquals(true, ElementwiseQuant.dropoutIsCopy(n));
        Tensor x = Tensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6);
        List<Tensor> r = R.get("Dropout").eval().eval(n, Arrays.asList(x));
        assertArrayEquals(x.toFloats(), r.get(0).toFloats());
        assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1}, r.get(1).toLongs());
        Tensor yes = Tensor.fromLongs(DType.BOOL, new long[0], new long[] {1}), no = Tensor.fromLongs(DType.BOOL, new long[0], new long[] {0});
        assertEquals(true, ElementwiseQuant.dropoutIsCopy(dropout(13, Attrs.EMPTY, false, Tensor.scalarFloat(0.3f), no)));
        assertEquals(false, ElementwiseQuant.dropoutIsCopy(dropout(13, Attrs.EMPTY, false, Tensor.scalarFloat(0.3f), yes)));
        assertEquals(true, ElementwiseQuant.dropoutIsCopy(dropout(13, Attrs.EMPTY, false, Tensor.scalarFloat(0f), yes)));
        assertEquals(false, ElementwiseQuant.dropoutIsCopy(dropout(6, Attrs.EMPTY, false)));
        assertEquals(true, ElementwiseQuant.dropoutIsCopy(dropout(6, Attrs.builder().put("is_test", 1L).build(), false)));
        assertEquals(true, ElementwiseQuant.dropoutIsCopy(dropout(10, Attrs.builder().put("ratio", 0.2f).build(), false)));
    }
}
