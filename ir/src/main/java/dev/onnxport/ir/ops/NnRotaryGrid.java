package dev.onnxport.ir.ops;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.ValueType;

import java.util.ArrayList;
import java.util.List;

/**
 * Shape functions of RotaryEmbedding (the input's type) and AffineGrid (theta [N, k, k+1], size [N, C, (D,) H, W]
 * -> grid [N, (D,) H, W, k]; the sizes are known when size is a constant, symbolic otherwise).
 */
final class NnRotaryGrid {
    private NnRotaryGrid() {}

    static void register(OpRegistry r) {
        r.register("RotaryEmbedding", n -> Shapes.sameAsInput(n, 0), null);
        r.register("AffineGrid", NnRotaryGrid::affineGrid, null);
    }

    static List<ValueType> affineGrid(Node n) {
        Shape theta = Shapes.requireShape(n.input(0));
        Tensor size = n.constInput(1);
        List<Dim> out = new ArrayList<>();
        int sd;
        if (size != null) {
            long[] sz = size.toLongs();
            sd = sz.length - 2;
            if (sd != 2 && sd != 3) throw new ConversionException("AffineGrid: size of length " + sz.length);
            out.add(Dim.of(sz[0]));
            for (int i = 2; i < sz.length; i++) out.add(Dim.of(sz[i]));
        } else {
            Shape ss = Shapes.requireShape(n.input(1));
            if (ss.rank() != 1 || !ss.dim(0).isKnown()) throw new ConversionException("AffineGrid: size of unknown length");
            sd = (int) ss.dim(0).value() - 2;
            if (sd != 2 && sd != 3) throw new ConversionException("AffineGrid: size of length " + (sd + 2));
            out.add(theta.rank() > 0 ? theta.dim(0) : Dim.sym(n.output().name() + "_n"));
            for (int i = 0; i < sd; i++) out.add(Dim.sym(n.output().name() + "_s" + i));
        }
        out.add(Dim.of(sd));
        return List.of(new ValueType(n.input(0).dtype(), Shape.of(out)));
    }
}
