package dev.onnxport.passes;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;

import java.util.List;

/**
 * Folds an inference BatchNormalization into the Conv, ConvTranspose or Gemm that produces its input, when that
 * producer has constant weights (and bias, if any) and the BatchNormalization is its only reader: with
 * a = scale / sqrt(var + epsilon) per channel, the weights of output channel m are multiplied by a[m] and the
 * bias becomes (bias - mean) * a + beta. The BatchNormalization is removed.
 */
public final class FoldBatchNorm implements Pass {
    @Override public String name() { return "fold-batchnorm"; }

    @Override public String description() { return "fold inference BatchNormalization into a preceding Conv/ConvTranspose/Gemm with constant weights"; }

    @Override public boolean run(Graph g, PassContext ctx) {
        boolean changed = false;
        for (Node bn : List.copyOf(g.nodes())) {
            if (bn.graph() != g || !bn.domain().isEmpty() || !bn.opType().equals("BatchNormalization")) continue;
            if (fold(g, bn)) {
                ctx.log(name() + ": folded " + bn.name());
                changed = true;
            }
        }
        return changed;
    }

    static boolean fold(Graph g, Node bn) {
        if (bn.attrs().getInt("training_mode", 0) != 0) return false;
        if (bn.attrs().getInt("spatial", 1) == 0) return false;
        for (int i = 1; i < bn.outputs().size(); i++) {
            Value o = bn.output(i);
            if (!o.uses().isEmpty() || g.outputs().contains(o)) return false;
        }
        Value x = bn.input(0);
        Node p = x == null ? null : x.producer();
        if (p == null || !p.domain().isEmpty() || p.graph() != g) return false;
        String op = p.opType();
        if (!op.equals("Conv") && !op.equals("ConvTranspose") && !op.equals("Gemm")) return false;
        if (p.output(0) != x || x.uses().size() != 1 || g.outputs().contains(x)) return false;
        for (int i = 1; i < p.outputs().size(); i++) if (!p.output(i).uses().isEmpty() || g.outputs().contains(p.output(i))) return false;
        Tensor s = bn.constInput(1), b = bn.constInput(2), mean = bn.constInput(3), var = bn.constInput(4);
        Tensor w = p.constInput(1);
        if (s == null || b == null || mean == null || var == null || w == null) return false;
        if (!w.dtype().isFloat() || w.dtype() == DType.BFLOAT16) return false;
        Value biasV = p.input(2);
        Tensor bias = biasV == null ? null : biasV.constant();
        if (biasV != null && bias == null) return false;
        int ch = Math.toIntExact(s.numel());
        if (b.numel() != ch || mean.numel() != ch || var.numel() != ch) return false;
        double eps = bn.attrs().getFloat("epsilon", 1e-5f);
        double[] a = new double[ch], shift = new double[ch];
        double[] sv = s.toDoubles(), bv = b.toDoubles(), mv = mean.toDoubles(), vv = var.toDoubles();
        for (int i = 0; i < ch; i++) {
            a[i] = sv[i] / Math.sqrt(vv[i] + eps);
            shift[i] = bv[i] - mv[i] * a[i];
        }
        long[] ws = w.shape();
        double[] wd = w.toDoubles();
        Tensor newW, newB;
        Attrs newAttrs = null;
        switch (op) {
            case "Conv" -> {
                if (ws.length < 3 || ws[0] != ch) return false;
                long per = w.numel() / ch;
                for (int m = 0; m < ch; m++) for (long k = 0; k < per; k++) wd[(int) (m * per + k)] *= a[m];
                newW = Tensor.fromDoubles(w.dtype(), ws, wd);
                newB = channelBias(bias, a, shift, ch, w.dtype());
                if (newB == null) return false;
            }
            case "ConvTranspose" -> {
                long group = p.attrs().getInt("group", 1);
                if (ws.length < 3 || ws[1] * group != ch || ws[0] % group != 0) return false;
                long cin = ws[0], mg = ws[1], per = w.numel() / (cin * mg), cinG = cin / group;
                for (long c = 0; c < cin; c++) for (long j = 0; j < mg; j++) {
                    int m = (int) ((c / cinG) * mg + j);
                    for (long k = 0; k < per; k++) wd[(int) ((c * mg + j) * per + k)] *= a[m];
                }
                newW = Tensor.fromDoubles(w.dtype(), ws, wd);
                newB = channelBias(bias, a, shift, ch, w.dtype());
                if (newB == null) return false;
            }
            default -> { // Gemm: output [M, N], channels = N
                if (ws.length != 2) return false;
                boolean tb = p.attrs().getInt("transB", 0) != 0;
                long k = tb ? ws[1] : ws[0], n = tb ? ws[0] : ws[1];
                if (n != ch) return false;
                for (long i = 0; i < k; i++) for (int j = 0; j < n; j++) wd[(int) (tb ? j * k + i : i * n + j)] *= a[j];
                newW = Tensor.fromDoubles(w.dtype(), ws, wd);
                double beta = p.attrs().getFloat("beta", 1f);
                // new C (with beta = 1): a * (beta * C - mean) + bias = a * beta * C + shift, broadcast over rows
                long[] cs = bias == null ? new long[] {ch} : bias.shape();
                if (bias != null) {
                    if (cs.length > 2 || (cs.length >= 1 && cs[cs.length - 1] != 1 && cs[cs.length - 1] != ch)) return false;
                }
                long rows = cs.length == 2 ? cs[0] : 1;
                boolean twoD = cs.length == 2;
                double[] cd = bias == null ? null : bias.toDoubles();
                double[] out = new double[(int) (rows * ch)];
                for (long r = 0; r < rows; r++) for (int j = 0; j < ch; j++) {
                    double cval = 0;
                    if (cd != null) {
                        long cols = cs.length == 0 ? 1 : cs[cs.length - 1];
                        cval = cd[(int) (r * cols + (cols == 1 ? 0 : j))];
                    }
                    out[(int) (r * ch + j)] = a[j] * beta * cval + shift[j];
                }
                newB = Tensor.fromDoubles(w.dtype(), twoD ? new long[] {rows, ch} : new long[] {ch}, out);
                newAttrs = p.attrs().toBuilder().put("beta", 1.0f).build();
            }
        }
        Value nw = g.addConstant(p.input(1).name() + "_bnfold", newW);
        Value nb = g.addConstant((biasV != null ? biasV.name() : p.name() + "_bias") + "_bnfold", newB);
        g.setInput(p, 1, nw);
        g.setInput(p, 2, nb);
        if (newAttrs != null) p.setAttrs(newAttrs);
        Value y = bn.output(0);
        // x now computes the BatchNormalization's output, not the conv's: it carries y's ONNX tensor
        x.setProvenance(y.provenance());
        g.replaceAllUsesWith(y, x);
        g.removeNode(bn);
        return true;
    }

    /** (bias - mean) * a + beta = bias * a + shift, per output channel. */
    private static Tensor channelBias(Tensor bias, double[] a, double[] shift, int ch, DType dt) {
        double[] out = new double[ch];
        if (bias != null) {
            if (bias.numel() != ch) return null;
            double[] bd = bias.toDoubles();
            for (int i = 0; i < ch; i++) out[i] = bd[i] * a[i] + shift[i];
        } else {
            System.arraycopy(shift, 0, out, 0, ch);
        }
        return Tensor.fromDoubles(dt, new long[] {ch}, out);
    }
}
