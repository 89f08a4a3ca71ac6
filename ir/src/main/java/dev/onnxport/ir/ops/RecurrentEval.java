package dev.onnxport.ir.ops;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Reference evaluation of LSTM, GRU and RNN on constant inputs (in double precision), following onnxruntime's
 * semantics: clip on the gate pre-activations, input_forget as f = 1 - i, sequence_lens per batch entry (the
 * state stops at the sequence's end, Y is zero past it, a backward direction starts at the sequence's last step).
 */
final class RecurrentEval {
    private RecurrentEval() {}

    static List<Tensor> eval(Node n, List<Tensor> in) {
        RecurrentSpec s = RecurrentSpec.of(n);
        Tensor x = in.get(0), w = at(in, 1), r = at(in, 2);
        if (x == null || w == null || r == null) return null;
        if (!x.dtype().isFloat()) return null;
        long[] xs = x.shape();
        if (xs.length != 3) throw new ConversionException("X must have rank 3");
        int seq = (int) (s.layout() == 0 ? xs[0] : xs[1]), batch = (int) (s.layout() == 0 ? xs[1] : xs[0]), inSz = (int) xs[2];
        int h = (int) (s.hidden() > 0 ? s.hidden() : r.shape()[2]);
        int g = s.gates(), nd = s.numDirections();
        boolean lstm = s.op().equals("LSTM"), gru = s.op().equals("GRU");
        double[] X = x.toDoubles(), W = w.toDoubles(), R = r.toDoubles();
        Tensor bt = at(in, 3), lt = at(in, 4), h0t = at(in, 5), c0t = lstm ? at(in, RecurrentSpec.LSTM_INITIAL_C) : null, pt = lstm ? at(in, RecurrentSpec.LSTM_P) : null;
        double[] B = bt == null ? null : bt.toDoubles(), H0 = h0t == null ? null : h0t.toDoubles(), C0 = c0t == null ? null : c0t.toDoubles(),
                P = pt == null ? null : pt.toDoubles();
        long[] lens = lt == null ? null : lt.toLongs();
        double[] Y = new double[seq * nd * batch * h], YH = new double[nd * batch * h], YC = new double[nd * batch * h];
        for (int d = 0; d < nd; d++) {
            boolean back = s.backward(d);
            for (int b = 0; b < batch; b++) {
                int len = lens == null ? seq : (int) lens[b];
                double[] hp = new double[h], cp = new double[h];
                // initial_h/c are [dirs, batch, hidden] for layout 0, [batch, dirs, hidden] for layout 1
                int sb = stateIndex(s.layout(), d, b, nd, batch) * h;
                if (H0 != null) System.arraycopy(H0, sb, hp, 0, h);
                if (C0 != null) System.arraycopy(C0, sb, cp, 0, h);
                for (int step = 0; step < len; step++) {
                    int t = back ? len - 1 - step : step;
                    int xo = (s.layout() == 0 ? t * batch + b : b * seq + t) * inSz;
                    double[] xw = new double[g * h], rh = new double[g * h];
                    for (int j = 0; j < g * h; j++) {
                        double acc = 0, racc = 0;
                        int wo = (d * g * h + j) * inSz, ro = (d * g * h + j) * h;
                        for (int k = 0; k < inSz; k++) acc += X[xo + k] * W[wo + k];
                        for (int k = 0; k < h; k++) racc += hp[k] * R[ro + k];
                        if (B != null) { acc += B[d * 2 * g * h + j]; racc += B[d * 2 * g * h + g * h + j]; }
                        xw[j] = acc;
                        rh[j] = racc;
                    }
                    double[] hn = new double[h], cn = new double[h];
                    if (lstm) {
                        RecurrentSpec.Act f = s.act(d, 0), gg = s.act(d, 1), hh = s.act(d, 2);
                        for (int k = 0; k < h; k++) {
                            double pi = P == null ? 0 : P[d * 3 * h + k], po = P == null ? 0 : P[d * 3 * h + h + k], pf = P == null ? 0 : P[d * 3 * h + 2 * h + k];
                            double ig = clip(s, xw[k] + rh[k] + pi * cp[k]);
                            double og = xw[h + k] + rh[h + k];
                            double fg = clip(s, xw[2 * h + k] + rh[2 * h + k] + pf * cp[k]);
                            double cg = clip(s, xw[3 * h + k] + rh[3 * h + k]);
                            double ia = f.apply(ig);
                            double fa = s.inputForget() ? 1 - ia : f.apply(fg);
                            double c = fa * cp[k] + ia * gg.apply(cg);
                            double oa = f.apply(clip(s, og + po * c));
                            cn[k] = c;
                            hn[k] = oa * hh.apply(c);
                        }
                    } else if (gru) {
                        RecurrentSpec.Act f = s.act(d, 0), gg = s.act(d, 1);
                        double[] z = new double[h], rr = new double[h];
                        for (int k = 0; k < h; k++) {
                            z[k] = f.apply(clip(s, xw[k] + rh[k]));
                            rr[k] = f.apply(clip(s, xw[h + k] + rh[h + k]));
                        }
                        for (int k = 0; k < h; k++) {
                            double hpre;
                            if (s.linearBeforeReset()) {
                                hpre = xw[2 * h + k] + rr[k] * rh[2 * h + k];
                            } else {
                                double acc = 0;
                                int ro = (d * g * h + 2 * h + k) * h;
                                for (int q = 0; q < h; q++) acc += rr[q] * hp[q] * R[ro + q];
                                if (B != null) acc += B[d * 2 * g * h + g * h + 2 * h + k];
                                hpre = xw[2 * h + k] + acc;
                            }
                            double ht = gg.apply(clip(s, hpre));
                            hn[k] = (1 - z[k]) * ht + z[k] * hp[k];
                        }
                    } else {
                        RecurrentSpec.Act f = s.act(d, 0);
                        for (int k = 0; k < h; k++) hn[k] = f.apply(clip(s, xw[k] + rh[k]));
                    }
                    int yo = (s.layout() == 0 ? ((t * nd + d) * batch + b) : ((b * seq + t) * nd + d)) * h;
                    System.arraycopy(hn, 0, Y, yo, h);
                    hp = hn;
                    cp = cn;
                }
                System.arraycopy(hp, 0, YH, sb, h);
                System.arraycopy(cp, 0, YC, sb, h);
            }
        }
        long[] ys = s.layout() == 0 ? new long[] {seq, nd, batch, h} : new long[] {batch, seq, nd, h};
        long[] hs = s.layout() == 0 ? new long[] {nd, batch, h} : new long[] {batch, nd, h};
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < n.outputs().size(); i++)
            out.add(Tensor.fromDoubles(x.dtype(), i == 0 ? ys : hs, i == 0 ? Y : i == 1 ? YH : YC));
        return out;
    }

    private static int stateIndex(int layout, int d, int b, int nd, int batch) {
        return layout == 0 ? d * batch + b : b * nd + d;
    }

    private static double clip(RecurrentSpec s, double v) {
        if (s.clip() == null) return v;
        double c = s.clip();
        return Math.max(-c, Math.min(c, v));
    }

    private static Tensor at(List<Tensor> in, int i) { return i < in.size() ? in.get(i) : null; }
}
