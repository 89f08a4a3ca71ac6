package dev.onnxport.passes;

import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.ir.ops.OpRegistry;

import java.util.ArrayList;
import java.util.List;

/**
 * Infers every node's output types in graph order from the op registry's shape functions. A known dim from the
 * model's value_info is kept where inference only found a symbol. Ops without a shape function keep the types
 * the model declared.
 */
public final class InferShapes implements Pass {
    @Override public String name() { return "infer-shapes"; }

    @Override public String description() { return "infer output types and shapes of every node"; }

    @Override public boolean run(Graph g, PassContext ctx) {
        OpRegistry reg = ctx.ops();
        boolean changed = false;
        for (Node n : g.nodes()) {
            if (!reg.knows(n.qualifiedOp()) || !inputsKnown(n)) continue;
            List<ValueType> ts = reg.infer(n);
            for (int i = 0; i < n.outputs().size() && i < ts.size(); i++) {
                Value o = n.output(i);
                ValueType t = merge(ts.get(i), o.type());
                if (t != null && !t.equals(o.type())) { o.setType(t); changed = true; }
            }
        }
        return changed;
    }

    /** Shapes are inferred only from known input shapes; a node after an unknown one keeps its declared types. */
    private static boolean inputsKnown(Node n) {
        for (Value v : n.inputs()) if (v != null && (v.type() == null || v.shape() == null)) return false;
        return true;
    }

    static ValueType merge(ValueType inferred, ValueType declared) {
        if (inferred == null) return declared;
        if (declared == null || declared.shape() == null || inferred.shape() == null
                || declared.shape().rank() != inferred.shape().rank()) {
            return inferred.shape() == null && declared != null ? new ValueType(inferred.dtype(), declared.shape()) : inferred;
        }
        List<Dim> d = new ArrayList<>();
        for (int i = 0; i < inferred.shape().rank(); i++) {
            Dim a = inferred.shape().dim(i), b = declared.shape().dim(i);
            d.add(!a.isKnown() && b.isKnown() ? b : a);
        }
        return new ValueType(inferred.dtype(), Shape.of(d));
    }
}
