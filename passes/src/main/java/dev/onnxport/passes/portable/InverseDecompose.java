package dev.onnxport.passes.portable;

import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Value;
import dev.onnxport.passes.PassContext;

/**
 * com.microsoft Inverse of batched [..., n, n] matrices with a static n becomes standard ops: the adjugate over the
 * determinant in closed form up to 4x4, unrolled Gauss-Jordan elimination with partial pivoting up to 8x8
 * (see {@link Matrices}). Larger matrices are left (logged).
 */
public final class InverseDecompose extends NodeRewrite {
    @Override public String name() { return "inverse-decompose"; }

    @Override public String description() { return "rewrite com.microsoft Inverse (n <= 8) as closed-form (n <= 4) or unrolled elimination"; }

    @Override boolean matches(Node n) { return n.qualifiedOp().equals("com.microsoft.Inverse"); }

    @Override boolean rewrite(Graph g, Node n, PassContext ctx) {
        Value x = n.input(0);
        String[] why = new String[1];
        int size = Matrices.size(x, why);
        if (size < 0) {
            ctx.log(name() + ": left " + n.describe() + ": " + why[0]);
            return false;
        }
        Build b = new Build(g, n.name(), ctx);
        boolean closed = size <= Matrices.CLOSED_FORM_MAX;
        Value y = closed ? Matrices.inverseClosedForm(b, x, size) : Matrices.eliminate(b, x, size, true);
        y.setType(x.type());
        replace(g, n, 0, y);
        ctx.log(name() + ": " + n.describe() + " " + size + "x" + size + " by " + (closed ? "adjugate/determinant" : "Gauss-Jordan elimination"));
        return true;
    }
}
