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
 * MaxUnpool (index family): Y = zeros(output shape), Y.flat[I[i]] = X[i]. The output shape is the output_shape
 * input when given (symbolic unless constant), else (in - 1) * stride + kernel - pad_begin - pad_end per
 * spatial axis, with N and C of X.
 */
public final class IndexUnpool {
    private IndexUnpool() {}

    static void register(OpRegistry r) {
        r.register("MaxUnpool", n -> List.of(new ValueType(n.input(0).dtype(), shape(n))), null);
    }

    static Shape shape(Node n) {
        Shape x = Shapes.requireShape(n.input(0));
        if (n.inputCount() > 2 && n.input(2) != null) {
            Tensor os = n.constInput(2);
            if (os != null) return Shape.of(os.toLongs());
            List<Dim> d = new ArrayList<>();
            for (int i = 0; i < x.rank(); i++) d.add(Dim.sym(n.output().name() + "_d" + i));
            return Shape.of(d);
        }
        int sd = x.rank() - 2;
        if (sd < 1) throw new ConversionException("MaxUnpool: input of rank " + x.rank());
        long[] k = n.attrs().getInts("kernel_shape");
        if (k == null || k.length != sd) throw new ConversionException("MaxUnpool: kernel_shape of " + (k == null ? 0 : k.length) + " dims for " + sd + " spatial dims");
        long[] s = n.attrs().getInts("strides", filled(sd, 1));
        long[] p = n.attrs().getInts("pads", new long[2 * sd]);
        List<Dim> d = new ArrayList<>();
        d.add(x.dim(0));
        d.add(x.dim(1));
        for (int i = 0; i < sd; i++) {
            Dim in = x.dim(i + 2);
            d.add(in.isKnown() ? Dim.of((in.value() - 1) * s[i] + k[i] - p[i] - p[i + sd]) : Dim.sym(n.output().name() + "_s" + i));
        }
        return Shape.of(d);
    }

    private static long[] filled(int n, long v) {
        long[] a = new long[n];
        java.util.Arrays.fill(a, v);
        return a;
    }
}
