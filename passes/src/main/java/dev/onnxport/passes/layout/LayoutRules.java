package dev.onnxport.passes.layout;

import dev.onnxport.ir.Node;

import java.util.Set;

/** Which ops are layout-sensitive, and which ops a transpose can be moved through. */
final class LayoutRules {
    private LayoutRules() {}

    /** Ops whose input 0 and output 0 are images: converted to channels-last for TFLite. */
    static final Set<String> SENSITIVE = Set.of("Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool",
            "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "InstanceNormalization", "LRN", "Resize", "Upsample",
            "DepthToSpace", "SpaceToDepth", "BatchNormalization");

    /** Elementwise ops with one activation input (other inputs, if any, are scalars). */
    static final Set<String> UNARY = Set.of("Relu", "LeakyRelu", "Elu", "Selu", "Celu", "Sigmoid", "Tanh", "HardSigmoid",
            "HardSwish", "Softplus", "Softsign", "Gelu", "Mish", "Erf", "Swish", "ThresholdedRelu", "Shrink", "Clip", "Exp",
            "Log", "Sqrt", "Abs", "Neg", "Floor", "Ceil", "Round", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh",
            "Asinh", "Acosh", "Atanh", "Reciprocal", "Sign", "IsNaN", "IsInf", "Cast", "Identity", "Not");

    /** Broadcasting elementwise ops over all their inputs. */
    static final Set<String> NARY = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Mod", "And",
            "Or", "Xor", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Where", "PRelu", "BitShift");

    static boolean sensitive(Node n) {
        if (!n.domain().isEmpty() || !SENSITIVE.contains(n.opType())) return false;
        if (n.input(0) == null || n.input(0).shape() == null) return false;
        int r = n.input(0).shape().rank();
        if (r < 3 || r > 5) return false;
        if (n.opType().equals("BatchNormalization") && n.outputs().size() > 1) {
            for (int i = 1; i < n.outputs().size(); i++)
                if (!n.output(i).uses().isEmpty() || n.graph().outputs().contains(n.output(i))) return false;
        }
        if (n.opType().equals("MaxPool") && n.outputs().size() > 1 && !n.output(1).uses().isEmpty()) return false;
        if ((n.opType().equals("Resize") || n.opType().equals("Upsample") || n.opType().equals("DepthToSpace")
                || n.opType().equals("SpaceToDepth")) && r != 4) return false;
        return true;
    }
}
