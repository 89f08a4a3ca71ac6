package dev.onnxport.ir.ops;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.onnxport.ir.ops.ElementwiseOpsTest.t;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class IndexUnpoolTest {
    private static ValueType unpool(Attrs a, ValueType x, Tensor osConst, ValueType osType) {
        Graph g = new Graph("t");
        g.opsets().put("", 11);
        List<Value> ins = new ArrayList<>(List.of(g.addInput("x", x), g.addInput("i", new ValueType(DType.INT64, x.shape()))));
        if (osConst != null) ins.add(g.addConstant("os", osConst));
        else if (osType != null) ins.add(g.addInput("os", osType));
        Node n = g.addNodeExact("", "MaxUnpool", "u", ins, a, 11, List.of("y"));
        return OpRegistry.standard().infer(n).get(0);
    }

    @Test void inferredShape() {
        Attrs k2 = Attrs.builder().put("kernel_shape", new long[] {2, 2}).put("strides", new long[] {2, 2}).build();
        // (2 - 1) * 2 + 2 = 4
        assertEquals(t(DType.FLOAT32, 1, 3, 4, 4), unpool(k2, t(DType.FLOAT32, 1, 3, 2, 2), null, null));
        Attrs padded = Attrs.builder().put("kernel_shape", new long[] {3}).put("strides", new long[] {2}).put("pads", new long[] {1, 0}).build();
        // (5 - 1) * 2 + 3 - 1 = 10
        assertEquals(t(DType.FLOAT32, 2, 1, 10), unpool(padded, t(DType.FLOAT32, 2, 1, 5), null, null));
    }

    @Test void givenShape() {
        Attrs k2 = Attrs.builder().put("kernel_shape", new long[] {2, 2}).put("strides", new long[] {2, 2}).build();
        assertEquals(t(DType.FLOAT32, 1, 1, 5, 5), unpool(k2, t(DType.FLOAT32, 1, 1, 2, 2), Tensor.ofLongs(new long[] {4}, 1, 1, 5, 5), null));
        ValueType dyn = unpool(k2, t(DType.FLOAT32, 1, 1, 2, 2), null, t(DType.INT64, 4));
        assertEquals(4, dyn.shape().rank());
        assertFalse(dyn.shape().dim(2).isKnown());
    }
}
