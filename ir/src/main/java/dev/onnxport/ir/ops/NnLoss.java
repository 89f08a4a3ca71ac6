package dev.onnxport.ir.ops;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.ValueType;

import java.util.ArrayList;
import java.util.List;

/**
 * Shape functions of the loss ops (nn family): NegativeLogLikelihoodLoss(input [N, C, d...], target [N, d...],
 * weight [C]?) and SoftmaxCrossEntropyLoss(scores [N, C, d...], labels [N, d...], weights [C]?) -> loss, and
 * SoftmaxCrossEntropyLoss's optional log_prob output (scores' shape). The loss is [N, d...] for reduction "none",
 * a scalar for "sum" and "mean".
 */
final class NnLoss {
    private NnLoss() {}

    static void register(OpRegistry r) {
        r.register("NegativeLogLikelihoodLoss", n -> List.of(new ValueType(n.input(0).dtype(), lossShape(n))), null);
        r.register("SoftmaxCrossEntropyLoss", n -> {
            List<ValueType> out = new ArrayList<>();
            out.add(new ValueType(n.input(0).dtype(), lossShape(n)));
            if (n.outputs().size() > 1) out.add(new ValueType(n.input(0).dtype(), Shapes.requireShape(n.input(0))));
            return out;
        }, null);
    }

    /** The reduction attribute, checked. */
    static String reduction(Node n) {
        String red = n.attrs().getString("reduction", "mean");
        if (!red.equals("none") && !red.equals("sum") && !red.equals("mean")) throw new ConversionException(n.opType() + ": unknown reduction '" + red + "'");
        return red;
    }

    static Shape lossShape(Node n) {
        Shape x = Shapes.requireShape(n.input(0));
        if (x.rank() < 2) throw new ConversionException(n.opType() + ": input of rank " + x.rank() + " (needs [N, C, ...])");
        if (!reduction(n).equals("none")) return Shape.of(new long[0]);
        List<Dim> d = new ArrayList<>();
        for (int i = 0; i < x.rank(); i++) if (i != 1) d.add(x.dim(i));
        return Shape.of(d);
    }
}
