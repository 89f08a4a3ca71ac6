package dev.onnxport.ir.ops;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.onnxport.ir.ops.ElementwiseOpsTest.infer;
import static dev.onnxport.ir.ops.ElementwiseOpsTest.t;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class NnRotaryGridTest {
    @Test void rotaryKeepsTheInputType() {
        assertEquals(t(DType.FLOAT32, 2, 4, 3, 8), infer("RotaryEmbedding", 23, Attrs.EMPTY, t(DType.FLOAT32, 2, 4, 3, 8), t(DType.FLOAT32, 50, 4),
                t(DType.FLOAT32, 50, 4), t(DType.INT64, 2, 3)));
    }

    private static ValueType affine(ValueType theta, Tensor size, ValueType sizeType) {
        Graph g = new Graph("t");
        g.opsets().put("", 20);
        Value th = g.addInput("theta", theta);
        Value s = size != null ? g.addConstant("size", size) : g.addInput("size", sizeType);
        Node n = g.addNodeExact("", "AffineGrid", "a", List.of(th, s), Attrs.EMPTY, 20, List.of("grid"));
        return OpRegistry.standard().infer(n).get(0);
    }

    @Test void affineGridShapes() {
        assertEquals(t(DType.FLOAT32, 2, 4, 5, 2), affine(t(DType.FLOAT32, 2, 2, 3), Tensor.ofLongs(new long[] {4}, 2, 3, 4, 5), null));
        assertEquals(t(DType.FLOAT32, 2, 3, 4, 5, 3), affine(t(DType.FLOAT32, 2, 3, 4), Tensor.ofLongs(new long[] {5}, 2, 1, 3, 4, 5), null));
        // a run-time size: rank from its length, spatial dims symbolic, the batch from theta
        ValueType dyn = affine(t(DType.FLOAT32, 2, 2, 3), null, t(DType.INT64, 4));
        assertEquals(4, dyn.shape().rank());
        assertEquals(2L, dyn.shape().dim(0).value());
        assertFalse(dyn.shape().dim(1).isKnown());
        assertEquals(2L, dyn.shape().dim(3).value());
    }
}
