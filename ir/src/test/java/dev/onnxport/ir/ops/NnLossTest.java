package dev.onnxport.ir.ops;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.onnxport.ir.ops.ElementwiseOpsTest.infer;
import static dev.onnxport.ir.ops.ElementwiseOpsTest.t;
import static org.junit.jupiter.api.Assertions.assertEquals;

class NnLossTest {
    @Test void nllLossShapes() {
        Attrs none = Attrs.builder().put("reduction", "none").build();
        assertEquals(t(DType.FLOAT32, 3, 4, 5), infer("NegativeLogLikelihoodLoss", 13, none, t(DType.FLOAT32, 3, 6, 4, 5), t(DType.INT64, 3, 4, 5)));
        assertEquals(t(DType.FLOAT32, "N"), infer("NegativeLogLikelihoodLoss", 13, none, t(DType.FLOAT32, "N", 6), t(DType.INT64, "N")));
        // default reduction is mean: a scalar
        assertEquals(t(DType.FLOAT32), infer("NegativeLogLikelihoodLoss", 13, Attrs.EMPTY, t(DType.FLOAT32, 3, 6), t(DType.INT64, 3), t(DType.FLOAT32, 6)));
        assertEquals(t(DType.FLOAT32), infer("NegativeLogLikelihoodLoss", 13, Attrs.builder().put("reduction", "sum").build(), t(DType.FLOAT32, 3, 6, 2), t(DType.INT64, 3, 2)));
    }

    @Test void sceShapesWithLogProb() {
        Graph g = new Graph("t");
        g.opsets().put("", 13);
        Value x = g.addInput("x", t(DType.FLOAT32, 2, 5, 3)), y = g.addInput("y", t(DType.INT64, 2, 3));
        Node n = g.addNodeExact("", "SoftmaxCrossEntropyLoss", "l", List.of(x, y), Attrs.builder().put("reduction", "none").build(), 13, List.of("z", "lp"));
        List<ValueType> ts = OpRegistry.standard().infer(n);
        assertEquals(List.of(t(DType.FLOAT32, 2, 3), t(DType.FLOAT32, 2, 5, 3)), ts);
    }
}
