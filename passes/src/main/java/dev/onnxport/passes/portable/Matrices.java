package dev.onnxport.passes.portable;

import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;

import java.util.ArrayList;
import java.util.List;

/**
 * Batched small-matrix arithmetic for inverse-decompose and det-decompose. X is [..., n, n] with a known rank and
 * a static n; the batch dims may be symbolic.
 * <ul>
 *   <li>Closed form (n &lt;= 4): every product term of the Leibniz formula is one row of a constant index table, so a
 *       determinant is Gather (all terms' factors) / ReduceProd / MatMul with the signs; the adjugate is the same
 *       for all n*n minors at once, and det = row 0 of X times column 0 of the adjugate.</li>
 *   <li>Elimination (n &lt;= 8): Gauss-Jordan with partial pivoting, unrolled over the n columns: ArgMax of |column|
 *       below the diagonal, an exact row swap with Where, pivot row divided by the pivot, the other rows minus
 *       their column entry times it. The determinant is the product of the pivots with a sign per swap (a zero
 *       pivot gives 0 without dividing by it).</li>
 * </ul>
 */
final class Matrices {
    private Matrices() {}

    static final int CLOSED_FORM_MAX = 4, ELIMINATION_MAX = 8;

    /** [..., n, n] to [..., n*n] (0 copies a symbolic batch dim). */
    static Value flatten(Build b, Value x, int n) {
        Shape s = x.shape();
        int r = s.rank();
        List<Dim> out = new ArrayList<>(s.dims().subList(0, r - 2));
        out.add(Dim.of((long) n * n));
        Shape os = Shape.of(out);
        if (os.isStatic()) return b.reshape(x, os.toArray());
        long[] t = new long[r - 1];
        t[r - 2] = (long) n * n;
        return b.reshape(x, b.longs(t), os);
    }

    /** [..., n*n] back to [..., n, n]. */
    static Value unflatten(Build b, Value x, Shape target) {
        if (target.isStatic()) return b.reshape(x, target.toArray());
        int r = target.rank();
        long[] t = new long[r];
        t[r - 2] = target.size(-2);
        t[r - 1] = target.size(-1);
        return b.reshape(x, b.longs(t), target);
    }

    /** All permutations of 0..k-1 with their signs. */
    static List<int[]> permutations(int k, List<Integer> signs) {
        List<int[]> out = new ArrayList<>();
        permute(new int[k], new boolean[k], 0, out);
        for (int[] p : out) {
            int inv = 0;
            for (int i = 0; i < k; i++) for (int j = i + 1; j < k; j++) if (p[i] > p[j]) inv++;
            signs.add(inv % 2 == 0 ? 1 : -1);
        }
        return out;
    }

    private static void permute(int[] cur, boolean[] used, int i, List<int[]> out) {
        if (i == cur.length) { out.add(cur.clone()); return; }
        for (int v = 0; v < cur.length; v++) {
            if (used[v]) continue;
            used[v] = true;
            cur[i] = v;
            permute(cur, used, i + 1, out);
            used[v] = false;
        }
    }

    /** det of [..., n, n] by the Leibniz formula, shape [...]. */
    static Value detClosedForm(Build b, Value x, int n) {
        DType dt = x.dtype();
        if (n == 1) return b.squeeze(x, -2, -1);
        Value xf = flatten(b, x, n);
        List<Integer> signs = new ArrayList<>();
        List<int[]> perms = permutations(n, signs);
        long[] idx = new long[perms.size() * n];
        double[] sg = new double[perms.size()];
        for (int p = 0; p < perms.size(); p++) {
            for (int i = 0; i < n; i++) idx[p * n + i] = (long) i * n + perms.get(p)[i];
            sg[p] = signs.get(p);
        }
        Value terms = b.gather(xf, b.constant(Tensor.ofLongs(new long[] {perms.size(), n}, idx)), -1);
        Value prods = b.reduce("ReduceProd", terms, new long[] {-1}, false);
        return b.matmul(prods, b.constant(Tensor.fromDoubles(dt, new long[] {perms.size()}, sg)));
    }

    /** inverse of [..., n, n] as adjugate / det. */
    static Value inverseClosedForm(Build b, Value x, int n) {
        DType dt = x.dtype();
        if (n == 1) return b.rdiv(1, x);
        Value xf = flatten(b, x, n);
        List<Integer> signs = new ArrayList<>();
        List<int[]> perms = permutations(n - 1, signs);
        int q = perms.size(), nn = n * n, m = n - 1;
        long[] idx = new long[q * m * nn];
        double[] sg = new double[q * nn];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
            int o = j * n + i; // inverse[j][i] = cofactor[i][j] / det: minor without row i and column j
            int[] rows = new int[m], cols = new int[m];
            for (int t = 0, u = 0; t < n; t++) if (t != i) rows[u++] = t;
            for (int t = 0, u = 0; t < n; t++) if (t != j) cols[u++] = t;
            for (int p = 0; p < q; p++) {
                for (int t = 0; t < m; t++) idx[(p * m + t) * nn + o] = (long) rows[t] * n + cols[perms.get(p)[t]];
                sg[p * nn + o] = signs.get(p) * ((i + j) % 2 == 0 ? 1 : -1);
            }
        }
        Value terms = b.gather(xf, b.constant(Tensor.ofLongs(new long[] {q, m, nn}, idx)), -1);
        Value prods = b.reduce("ReduceProd", terms, new long[] {-2}, false);
        Value adj = b.reduce("ReduceSum", b.mul(prods, b.constant(Tensor.fromDoubles(dt, new long[] {q, nn}, sg))), new long[] {-2}, false);
        long[] row0 = new long[n], col0 = new long[n];
        for (int t = 0; t < n; t++) { row0[t] = t; col0[t] = (long) t * n; }
        Value det = b.reduce("ReduceSum", b.mul(b.gather(xf, b.longs(row0), -1), b.gather(adj, b.longs(col0), -1)), new long[] {-1}, true);
        return unflatten(b, b.div(adj, det), x.shape());
    }

    /**
     * Gauss-Jordan elimination with partial pivoting on [..., n, n]. Returns the inverse when {@code inverse}, else
     * the determinant ([...]).
     */
    static Value eliminate(Build b, Value x, int n, boolean inverse) {
        DType dt = x.dtype();
        Value m;
        if (inverse) {
            double[] eye = new double[n * n];
            for (int i = 0; i < n; i++) eye[i * n + i] = 1;
            Value e = b.op("Expand", x.type(), dev.onnxport.ir.Attrs.EMPTY,
                    b.constant(Tensor.fromDoubles(dt, new long[] {n, n}, eye)), b.shapeOf(x));
            m = b.concat(-1, x, e);
        } else {
            m = x;
        }
        long[] rangeCol = new long[n];
        for (int i = 0; i < n; i++) rangeCol[i] = i;
        Value range = b.constant(Tensor.ofLongs(new long[] {n, 1}, rangeCol));
        Value det = null;
        for (int k = 0; k < n; k++) {
            boolean[] isK = new boolean[n];
            isK[k] = true;
            Value isKv = b.constant(boolColumn(isK));
            Value rowj, jIdx = null;
            if (k < n - 1) {
                Value col = b.slice(m, new long[] {k}, new long[] {k + 1}, new long[] {-1});
                double[] mask = new double[n];
                for (int i = 0; i < k; i++) mask[i] = -1;
                Value masked = b.add(b.abs(col), b.constant(Tensor.fromDoubles(dt, new long[] {n, 1}, mask)));
                jIdx = b.argmax(masked, -2, true);
                Value oh = b.compare("Equal", range, jIdx);
                rowj = b.reduce("ReduceSum", b.mul(b.cast(oh, dt), m), new long[] {-2}, true);
                Value rowk = b.slice(m, new long[] {k}, new long[] {k + 1}, new long[] {-2});
                m = b.where(isKv, rowj, b.where(oh, rowk, m));
            } else {
                rowj = b.slice(m, new long[] {k}, new long[] {k + 1}, new long[] {-2});
            }
            Value pivot = b.slice(rowj, new long[] {k}, new long[] {k + 1}, new long[] {-1});
            Value divisor = pivot;
            if (!inverse) {
                Value term = pivot;
                if (jIdx != null) {
                    Value same = b.compare("Equal", jIdx, b.scalar(DType.INT64, k));
                    term = b.mul(pivot, b.where(same, b.scalar(dt, 1), b.scalar(dt, -1)));
                }
                det = det == null ? term : b.mul(det, term);
                if (k == n - 1) break;
                divisor = b.where(b.compare("Equal", pivot, b.scalar(dt, 0)), b.scalar(dt, 1), pivot);
            }
            Value nrow = b.div(rowj, divisor);
            Value c = b.slice(m, new long[] {k}, new long[] {k + 1}, new long[] {-1});
            m = b.where(isKv, nrow, b.sub(m, b.mul(c, nrow)));
        }
        if (!inverse) return b.squeeze(det, -2, -1);
        Value inv = b.slice(m, new long[] {n}, new long[] {2L * n}, new long[] {-1});
        inv.setType(x.type());
        return inv;
    }

    private static Tensor boolColumn(boolean[] v) {
        java.nio.ByteBuffer bb = Tensor.alloc(v.length);
        for (boolean x : v) bb.put((byte) (x ? 1 : 0));
        return Tensor.of(DType.BOOL, new long[] {v.length, 1}, bb.flip());
    }

    /** Checks the shared preconditions; returns n, or -1 (with the reason in why[0]). */
    static int size(Value x, String[] why) {
        Shape s = x == null ? null : x.shape();
        if (s == null || s.rank() < 2) { why[0] = "input rank unknown or below 2"; return -1; }
        if (!s.dim(-1).isKnown() || !s.dim(-2).isKnown() || s.size(-1) != s.size(-2)) {
            why[0] = "matrix dims " + s + " are not static and square";
            return -1;
        }
        if (!PrimitiveActivations.isFloat(x.dtype())) { why[0] = "element type " + x.dtype(); return -1; }
        long n = s.size(-1);
        if (n < 1 || n > ELIMINATION_MAX) { why[0] = n + "x" + n + " matrices (the unrolled forms go up to " + ELIMINATION_MAX + ")"; return -1; }
        return (int) n;
    }

}
