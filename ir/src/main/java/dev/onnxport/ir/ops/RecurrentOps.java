package dev.onnxport.ir.ops;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;

import java.util.ArrayList;
import java.util.List;

/**
 * Shape inference and constant evaluation for the recurrent family: LSTM, GRU, RNN (every opset form, layout 0
 * and 1), and If (output types from its branches; constant-condition If is inlined by the inline-constant-if pass).
 */
final class RecurrentOps {
    private RecurrentOps() {}

    static void register(OpRegistry r) {
        for (String op : List.of("LSTM", "GRU", "RNN")) r.register(op, RecurrentOps::inferRecurrent, RecurrentEval::eval);
        r.register("If", RecurrentOps::inferIf, null);
    }

    /** Y [seq, dirs, batch, hidden] and Y_h/Y_c [dirs, batch, hidden] (layout 0), or batch-major (layout 1). */
    static List<ValueType> inferRecurrent(Node n) {
        RecurrentSpec s = RecurrentSpec.of(n);
        Value x = n.input(0);
        if (x == null) throw new ConversionException(n.opType() + " needs input X");
        Shape xs = Shapes.requireShape(x);
        if (xs.rank() != 3) throw new ConversionException("X must have rank 3, got " + xs);
        if (s.hidden() <= 0) throw new ConversionException("hidden_size is unknown (no attribute and R's shape is unknown)");
        Dim seq = xs.dim(s.layout() == 0 ? 0 : 1), batch = xs.dim(s.layout() == 0 ? 1 : 0);
        Dim dirs = Dim.of(s.numDirections()), hid = Dim.of(s.hidden());
        Shape y = s.layout() == 0 ? Shape.of(List.of(seq, dirs, batch, hid)) : Shape.of(List.of(batch, seq, dirs, hid));
        Shape yh = s.layout() == 0 ? Shape.of(List.of(dirs, batch, hid)) : Shape.of(List.of(batch, dirs, hid));
        DType dt = x.dtype();
        List<ValueType> out = new ArrayList<>();
        for (int i = 0; i < n.outputs().size(); i++) out.add(new ValueType(dt, i == 0 ? y : yh));
        return out;
    }

    /**
     * If: the chosen branch's output types when the condition is constant; otherwise the then-branch's types,
     * with dims on which the branches disagree made symbolic.
     */
    static List<ValueType> inferIf(Node n) {
        Graph thenG = n.attrs().getGraph("then_branch"), elseG = n.attrs().getGraph("else_branch");
        if (thenG == null || elseG == null) throw new ConversionException("If needs then_branch and else_branch");
        var cond = n.constInput(0);
        if (cond != null && cond.numel() == 1) return types(cond.getDouble(0) != 0 ? thenG : elseG);
        List<ValueType> a = types(thenG), b = types(elseG);
        if (a.size() != b.size()) throw new ConversionException("If branches have " + a.size() + " and " + b.size() + " outputs");
        List<ValueType> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) out.add(mergeTypes(a.get(i), b.get(i)));
        return out;
    }

    private static List<ValueType> types(Graph g) {
        List<ValueType> r = new ArrayList<>();
        for (Value v : g.outputs()) r.add(v.type());
        return r;
    }

    static ValueType mergeTypes(ValueType a, ValueType b) {
        if (a == null) return b;
        if (b == null) return a;
        DType dt = a.dtype() != null ? a.dtype() : b.dtype();
        if (a.shape() == null || b.shape() == null || a.shape().rank() != b.shape().rank()) return new ValueType(dt, null);
        List<Dim> d = new ArrayList<>();
        for (int i = 0; i < a.shape().rank(); i++) {
            Dim x = a.shape().dim(i), y = b.shape().dim(i);
            d.add(x.equals(y) ? x : Dim.sym(null));
        }
        return new ValueType(dt, Shape.of(d));
    }
}
