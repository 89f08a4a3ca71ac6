package dev.onnxport.cli.parts;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;

import java.util.ArrayList;
import java.util.List;

/**
 * The median of {@code x} over one axis, by TopK (ONNX has no Sort): the smallest k = n/2 + 1 values in ascending
 * order (k = (n+1)/2 for the lower median), of which the last is the median. Mode {@code lower} (PyTorch's
 * torch.median) gives the lower of the two middle values for an even n, and also {@code indices}, the position of
 * that value along the axis; mode {@code mean} (NumPy's median) gives the mean of the two. NaNs are not handled.
 * The axis must have a static size; the other dims may be symbolic.
 */
public final class MedianPart {
    public enum Mode { lower, mean }

    public record Options(List<Dim> shape, int axis, boolean keepdims, Mode mode, int opset) {}

    private MedianPart() {}

    public static Graph build(Options o) {
        int rank = o.shape().size();
        if (rank == 0) throw new IllegalArgumentException("--shape needs at least one dim");
        int axis = o.axis() < 0 ? o.axis() + rank : o.axis();
        if (axis < 0 || axis >= rank) throw new IllegalArgumentException("--axis " + o.axis() + " is outside a rank-" + rank + " shape");
        Dim ad = o.shape().get(axis);
        if (!ad.isKnown()) throw new IllegalArgumentException("--shape: the median axis needs a size, not '" + ad + "'");
        long n = ad.value();
        boolean mean = o.mode() == Mode.mean && n % 2 == 0;
        long k = mean ? n / 2 + 1 : (n + 1) / 2;

        PartGraph p = new PartGraph("median", o.opset());
        Value x = p.input("x", DType.FLOAT32, o.shape());
        List<Dim> topShape = new ArrayList<>(o.shape());
        topShape.set(axis, Dim.of(k));
        List<Dim> outShape = new ArrayList<>(o.shape());
        if (o.keepdims()) outShape.set(axis, Dim.of(1));
        else outShape.remove(axis);
        ValueType outF = PartGraph.type(DType.FLOAT32, outShape);

        Attrs topAttrs = Attrs.builder().put("axis", (long) axis).put("largest", 0L).put("sorted", 1L).build();
        List<Value> top = p.ops("TopK", "smallest_half", List.of(x, p.ints("k", k)), topAttrs, List.of("smallest_values", "smallest_indices"),
                List.of(PartGraph.type(DType.FLOAT32, topShape), PartGraph.type(DType.INT64, topShape)));
        Attrs ax = Attrs.builder().put("axis", (long) axis).build();
        Value last = o.keepdims() ? p.ints("last", k - 1) : p.scalarInt("last", k - 1);
        Value median = p.op("Gather", "kth_value", List.of(top.get(0), last), ax, outF);
        if (mean) {
            Value before = o.keepdims() ? p.ints("before_last", k - 2) : p.scalarInt("before_last", k - 2);
            Value other = p.op("Gather", "kth_minus_1_value", List.of(top.get(0), before), ax, outF);
            Value sum = p.op("Add", "middle_sum", outF, other, median);
            median = p.op("Mul", "middle_mean", outF, sum, p.scalarFloat("half", 0.5f));
        }
        p.output(median, "values");
        if (o.mode() == Mode.lower) {
            Value idx = p.op("Gather", "kth_index", List.of(top.get(1), last), ax, PartGraph.type(DType.INT64, outShape));
            p.output(idx, "indices");
        }
        return p.g;
    }
}
