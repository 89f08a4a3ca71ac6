package dev.onnxport.passes.portable;

import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.passes.PassContext;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * GatherND becomes index arithmetic plus one Gather: data [B..., D1..Dk, R...] (b batch dims) is reshaped to
 * [prod(B) * prod(D), R...]; each index tuple (negatives wrapped with Where(i &lt; 0, i + D, i)) is turned into a
 * row number sum_j i_j * stride_j (+ the flat batch number * prod(D) when b &gt; 0) with Mul and ReduceSum; a Gather
 * on axis 0 picks the rows. Constant indices are turned into row numbers here. Needs static data dims and a static
 * last index dim (and static batch dims of the indices).
 */
public final class GatherNdDecompose extends NodeRewrite {
    @Override public String name() { return "gathernd-decompose"; }

    @Override public String description() { return "rewrite GatherND as row-number arithmetic plus Gather"; }

    @Override boolean matches(Node n) { return isOp(n, "GatherND"); }

    @Override boolean rewrite(Graph g, Node n, PassContext ctx) {
        Value data = n.input(0), ind = n.input(1);
        int b = (int) n.attrs().getInt("batch_dims", 0);
        Shape ds = data.shape(), is = ind.shape();
        if (ds == null || !ds.isStatic() || is == null || is.rank() < 1 || !is.dim(-1).isKnown()) {
            ctx.log(name() + ": left " + n.describe() + ": needs static data shape and a static last index dim (data "
                    + ds + ", indices " + is + ")");
            return false;
        }
        int r = ds.rank(), q = is.rank(), k = (int) is.size(-1);
        if (k < 1 || b + k > r || b >= q) return false;
        for (int i = 0; i < b; i++) {
            if (!is.dim(i).isKnown()) {
                ctx.log(name() + ": left " + n.describe() + ": batch dim " + i + " of the indices is not static");
                return false;
            }
        }
        long[] dd = ds.toArray();
        long batch = 1, p = 1;
        for (int i = 0; i < b; i++) batch *= dd[i];
        long[] dims = Arrays.copyOfRange(dd, b, b + k);
        long[] strides = new long[k];
        for (int j = k - 1; j >= 0; j--) { strides[j] = p; p *= dims[j]; }
        List<Long> rows = new ArrayList<>();
        rows.add(batch * p);
        for (int i = b + k; i < r; i++) rows.add(dd[i]);
        Build bl = new Build(g, n.name(), ctx);
        Value flat = bl.reshape(data, rows.stream().mapToLong(Long::longValue).toArray());
        List<Dim> lin = new ArrayList<>(is.dims().subList(0, q - 1));
        Value row;
        Tensor ci = ind.constant();
        if (ci != null) {
            long[] iv = ci.toLongs();
            long count = iv.length / k;
            long[] out = new long[(int) count];
            long perBatch = count / Math.max(1, batch);
            for (int t = 0; t < count; t++) {
                long s = 0;
                for (int j = 0; j < k; j++) {
                    long v = iv[t * k + j];
                    if (v < -dims[j] || v >= dims[j]) { ctx.log(name() + ": left " + n.describe() + ": index out of range"); return false; }
                    s += (v < 0 ? v + dims[j] : v) * strides[j];
                }
                out[t] = s + (b > 0 ? (t / perBatch) * p : 0);
            }
            row = bl.constant(Tensor.ofLongs(Shape.of(lin).toArray(), out));
        } else {
            if (ind.dtype() != DType.INT64) return false;
            Value dimsV = bl.longs(dims);
            Value wrapped = bl.where(bl.compare("Less", ind, bl.scalar(DType.INT64, 0)), bl.add(ind, dimsV), ind);
            row = bl.reduce("ReduceSum", bl.mul(wrapped, bl.longs(strides)), new long[] {-1}, false);
            if (b > 0) {
                long[] offShape = new long[q - 1];
                Arrays.fill(offShape, 1);
                long[] off = new long[(int) batch];
                for (int i = 0; i < b; i++) offShape[i] = dd[i];
                for (int i = 0; i < batch; i++) off[i] = i * p;
                row = bl.add(row, bl.constant(Tensor.ofLongs(offShape, off)));
            }
            row.setType(new dev.onnxport.ir.ValueType(DType.INT64, Shape.of(lin)));
        }
        Value y = bl.gather(flat, row, 0);
        replace(g, n, 0, y);
        ctx.log(name() + ": " + n.describe() + " -> Gather of " + rows.get(0) + " rows");
        return true;
    }
}
