package dev.onnxport.ir.ops;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;

import java.util.ArrayList;
import java.util.List;

/** Helpers shared by the shape functions of every op family. */
public final class Shapes {
    private Shapes() {}

    /** Normalises a possibly negative axis against rank; throws when out of range. */
    public static int axis(long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.max(rank, 1)) throw new ConversionException("axis " + axis + " out of range for rank " + rank);
        return (int) a;
    }

    /** Numpy-style multidirectional broadcast of shapes. */
    public static Shape broadcast(Shape a, Shape b) {
        int r = Math.max(a.rank(), b.rank());
        List<Dim> out = new ArrayList<>(r);
        for (int i = 0; i < r; i++) {
            int ia = i - (r - a.rank()), ib = i - (r - b.rank());
            Dim da = ia >= 0 ? a.dim(ia) : Dim.of(1);
            Dim db = ib >= 0 ? b.dim(ib) : Dim.of(1);
            if (da.isKnown() && da.value() == 1) out.add(db);
            else if (db.isKnown() && db.value() == 1) out.add(da);
            else if (da.isKnown() && db.isKnown()) {
                if (da.value() != db.value()) throw new ConversionException("shapes " + a + " and " + b + " do not broadcast");
                out.add(da);
            } else out.add(da.isKnown() ? da : db);
        }
        return Shape.of(out);
    }

    /** Broadcast of all non-null inputs' shapes. */
    public static Shape broadcastInputs(Node n) {
        Shape s = null;
        for (Value v : n.inputs()) {
            if (v == null) continue;
            Shape vs = requireShape(v);
            s = s == null ? vs : broadcast(s, vs);
        }
        return s;
    }

    public static Shape requireShape(Value v) {
        if (v.shape() == null) throw new ConversionException("shape of '" + v.name() + "' is unknown");
        return v.shape();
    }

    public static ValueType type(Value v) { return new ValueType(v.dtype(), requireShape(v)); }

    public static List<ValueType> one(ValueType t) { return List.of(t); }

    /** Convenience: the input's shape and dtype, unchanged. */
    public static List<ValueType> sameAsInput(Node n, int i) { return List.of(type(n.input(i))); }
}
