package dev.onnxport.backends.tflite;

import dev.onnxport.backends.tflite.TfliteRecurrentEmitter.T;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ops.RecurrentSpec;
import tflite.BuiltinOperator;

import java.util.ArrayList;
import java.util.List;

/**
 * LSTM, GRU and RNN lowered by unrolling over the (static) sequence length into FULLY_CONNECTED, ADD, SUB, MUL,
 * LOGISTIC, TANH, SPLIT, CONCATENATION, RESHAPE and STRIDED_SLICE: the form portable runtimes and the Edge TPU
 * accept. Per direction, X*W^T (+ both biases where they simply add) is one FULLY_CONNECTED over all time steps,
 * split per step; each step adds H*R^T (a FULLY_CONNECTED without bias) and applies the gate equations. Weights
 * that are constants are sliced per direction/gate in Java; weights computed at run time (or fed as inputs) are
 * sliced with STRIDED_SLICE. sequence_lens is honoured by masking: a padded step keeps the state and writes 0 to Y.
 */
final class TfliteRecurrent {
    private TfliteRecurrent() {}

    static void register(TfliteOps r) {
        r.register("LSTM", TfliteRecurrent::lower);
        r.register("GRU", TfliteRecurrent::lower);
        r.register("RNN", TfliteRecurrent::lower);
    }

    private static final int X = 0, W = 1, R = 2, B = 3, SEQ_LENS = 4, INITIAL_H = 5;

    static void lower(Node n, LowerContext ctx) {
        RecurrentSpec s = RecurrentSpec.of(n);
        Value xv = n.input(X);
        if (xv == null || n.input(W) == null || n.input(R) == null) throw new ConversionException(n.opType() + " needs X, W and R");
        for (int i = 0; i < n.inputCount(); i++) {
            Value v = n.input(i);
            if (v != null && i != SEQ_LENS && v.dtype() != DType.FLOAT32)
                throw new ConversionException("TFLite lowering supports float32 only; input " + i + " is " + v.dtype());
        }
        long[] xs = ctx.shape(xv);
        if (xs.length != 3) throw new ConversionException("X must have rank 3");
        int seq = (int) (s.layout() == 0 ? xs[0] : xs[1]), batch = (int) (s.layout() == 0 ? xs[1] : xs[0]);
        int h = (int) s.hidden(), g = s.gates(), nd = s.numDirections();
        if (seq <= 0) throw new ConversionException("sequence length 0 is not supported");
        if (h <= 0) throw new ConversionException("hidden_size is unknown");
        TfliteRecurrentEmitter e = new TfliteRecurrentEmitter(ctx, n.name());
        boolean lstm = s.op().equals("LSTM"), gru = s.op().equals("GRU");

        T x = new T(ctx.in(n, X), xs);
        if (s.layout() == 1) x = e.transpose(x, new int[] {1, 0, 2}, "x_tbi");
        T[] masks = masks(n, e, seq, batch);

        boolean needY = wanted(n, 0);
        List<List<T>> ys = new ArrayList<>();
        for (int t = 0; t < seq; t++) ys.add(new ArrayList<>());
        T[] hFinal = new T[nd], cFinal = new T[nd];
        for (int d = 0; d < nd; d++) {
            String p = "d" + d;
            boolean back = s.backward(d);
            T w = rows(n, W, d, 0, (long) g * h, e, p + "_W");
            T bias = null, recBias = null;
            if (n.input(B) != null) {
                if (gru && s.linearBeforeReset()) {
                    bias = rows(n, B, d, 0, (long) g * h, e, p + "_Wb");
                    recBias = rows(n, B, d, (long) g * h, 2L * g * h, e, p + "_Rb");
                } else {
                    bias = biasSum(n, d, g * h, e, p + "_bias");
                }
            }
            T xw = e.fc(x, w, bias, p + "_xw"); // [seq*batch, g*h], time-major rows
            T[] xwt = e.split(xw, 0, seq, p + "_xw_t");
            T hs = initialState(n, INITIAL_H, s, d, batch, h, e, p + "_h0");
            T cs = lstm ? initialState(n, RecurrentSpec.LSTM_INITIAL_C, s, d, batch, h, e, p + "_c0") : null;

            // recurrent weights
            T rAll = null, rZr = null, rH = null;
            if (gru && !s.linearBeforeReset()) {
                rZr = rows(n, R, d, 0, 2L * h, e, p + "_Rzr");
                rH = rows(n, R, d, 2L * h, 3L * h, e, p + "_Rh");
            } else {
                rAll = rows(n, R, d, 0, (long) g * h, e, p + "_R");
            }
            T pi = null, po = null, pf = null;
            if (lstm && n.input(RecurrentSpec.LSTM_P) != null) {
                pi = rows(n, RecurrentSpec.LSTM_P, d, 0, h, e, p + "_Pi");
                po = rows(n, RecurrentSpec.LSTM_P, d, h, 2L * h, e, p + "_Po");
                pf = rows(n, RecurrentSpec.LSTM_P, d, 2L * h, 3L * h, e, p + "_Pf");
            }
            T one = lstm && s.inputForget() ? e.scalar(1f, p + "_one") : null;

            for (int step = 0; step < seq; step++) {
                int t = back ? seq - 1 - step : step;
                String q = p + "_t" + t;
                T hn, cn = null;
                if (lstm) {
                    T gates = e.add(xwt[t], hs == null ? null : e.fc(hs, rAll, null, q + "_hr"), q + "_gates");
                    T[] iofc = e.split(gates, 1, 4, q + "_iofc");
                    T gi = e.add(iofc[0], e.mul(cs, pi, q + "_pic"), q + "_ipre");
                    T i = e.act(s.act(d, 0), e.clip(s.clip(), gi, q + "_iclip"), q + "_i");
                    T f = s.inputForget() ? e.sub(one, i, q + "_f") : e.act(s.act(d, 0),
                            e.clip(s.clip(), e.add(iofc[2], e.mul(cs, pf, q + "_pfc"), q + "_fpre"), q + "_fclip"), q + "_f");
                    T cc = e.act(s.act(d, 1), e.clip(s.clip(), iofc[3], q + "_cclip"), q + "_cc");
                    cn = e.add(e.mul(f, cs, q + "_fc"), e.mul(i, cc, q + "_icc"), q + "_c");
                    T go = e.add(iofc[1], e.mul(cn, po, q + "_poc"), q + "_opre");
                    T o = e.act(s.act(d, 0), e.clip(s.clip(), go, q + "_oclip"), q + "_o");
                    hn = e.mul(o, e.act(s.act(d, 2), cn, q + "_hc"), q + "_h");
                } else if (gru) {
                    T[] zrh = e.split(xwt[t], 1, 3, q + "_xzrh");
                    T z, r, hpre;
                    if (s.linearBeforeReset()) {
                        T rec = hs == null ? recBias : e.fc(hs, rAll, recBias, q + "_hr");
                        T[] hzrh = e.split(rec, rec == null ? 0 : rec.rank() - 1, 3, q + "_hzrh");
                        z = e.act(s.act(d, 0), e.clip(s.clip(), e.add(zrh[0], hzrh[0], q + "_zpre"), q + "_zclip"), q + "_z");
                        r = e.act(s.act(d, 0), e.clip(s.clip(), e.add(zrh[1], hzrh[1], q + "_rpre"), q + "_rclip"), q + "_r");
                        hpre = e.add(zrh[2], e.mul(r, hzrh[2], q + "_rhh"), q + "_hpre");
                    } else {
                        T[] hzr = e.split(hs == null ? null : e.fc(hs, rZr, null, q + "_hzr"), 1, 2, q + "_hzr");
                        z = e.act(s.act(d, 0), e.clip(s.clip(), e.add(zrh[0], hzr[0], q + "_zpre"), q + "_zclip"), q + "_z");
                        r = e.act(s.act(d, 0), e.clip(s.clip(), e.add(zrh[1], hzr[1], q + "_rpre"), q + "_rclip"), q + "_r");
                        T rh = e.mul(r, hs, q + "_rh");
                        hpre = e.add(zrh[2], rh == null ? null : e.fc(rh, rH, null, q + "_rhR"), q + "_hpre");
                    }
                    T ht = e.act(s.act(d, 1), e.clip(s.clip(), hpre, q + "_hclip"), q + "_ht");
                    // H = (1 - z) * ht + z * H_prev = ht + z * (H_prev - ht)
                    hn = hs == null ? e.sub(ht, e.mul(z, ht, q + "_zht"), q + "_h")
                            : e.add(ht, e.mul(z, e.sub(hs, ht, q + "_dh"), q + "_zdh"), q + "_h");
                } else {
                    T pre = e.add(xwt[t], hs == null ? null : e.fc(hs, rAll, null, q + "_hr"), q + "_pre");
                    hn = e.act(s.act(d, 0), e.clip(s.clip(), pre, q + "_clip"), q + "_h");
                }
                T m = masks == null ? null : masks[t];
                if (m == null) {
                    ys.get(t).add(hn);
                    hs = hn;
                    cs = cn;
                } else {
                    if (needY) ys.get(t).add(e.mul(m, hn, q + "_y"));
                    hs = hs == null ? e.mul(m, hn, q + "_hm") : e.add(hs, e.mul(m, e.sub(hn, hs, q + "_hd"), q + "_hdm"), q + "_hm");
                    if (lstm) cs = cs == null ? e.mul(m, cn, q + "_cm") : e.add(cs, e.mul(m, e.sub(cn, cs, q + "_cd"), q + "_cdm"), q + "_cm");
                }
            }
            hFinal[d] = hs;
            cFinal[d] = cs;
        }

        // Y: (t, d) pieces of [batch, h]
        if (needY) {
            List<T> pieces = new ArrayList<>();
            for (List<T> l : ys) pieces.addAll(l);
            long[] ys0 = s.layout() == 0 ? new long[] {seq, nd, batch, h} : new long[] {batch, seq, nd, h};
            writeOut(n, 0, pieces, s.layout(), ys0, e);
        }
        long[] hsShape = s.layout() == 0 ? new long[] {nd, batch, h} : new long[] {batch, nd, h};
        if (wanted(n, 1)) writeOut(n, 1, List.of(hFinal), s.layout(), hsShape, e);
        if (lstm && wanted(n, 2)) writeOut(n, 2, List.of(cFinal), s.layout(), hsShape, e);
    }

    private static boolean wanted(Node n, int i) {
        if (i >= n.outputs().size()) return false;
        Value o = n.output(i);
        return !o.uses().isEmpty() || n.graph() == null || n.graph().outputs().contains(o);
    }

    /** Concatenates [batch, h] pieces (batch-major for layout 1) and reshapes them into output i. */
    private static void writeOut(Node n, int i, List<T> pieces, int layout, long[] shape, TfliteRecurrentEmitter e) {
        for (T p : pieces) if (p == null) throw new ConversionException("output " + i + " has no value (empty sequence)");
        T all = pieces.size() == 1 ? pieces.get(0) : e.concat(pieces, layout == 0 ? 0 : 1, "out" + i + "_concat");
        Emit.reshapeInto(e.ctx(), all.idx(), e.ctx().out(n, i), shape);
    }

    /**
     * input[d, from:to, ...] of W/R ([dirs, rows, cols] -> [to-from, cols]) or B/P ([dirs, n] -> [to-from]):
     * sliced in Java when constant, else with STRIDED_SLICE (or RESHAPE when it is the whole tensor).
     */
    private static T rows(Node n, int input, int d, long from, long to, TfliteRecurrentEmitter e, String hint) {
        Value v = n.input(input);
        long[] vs = e.ctx().shape(v);
        if (to > vs[1]) throw new ConversionException("input " + input + " has shape " + java.util.Arrays.toString(vs) + ", expected at least " + to + " rows");
        long cols = vs.length == 3 ? vs[2] : 1;
        long[] outShape = vs.length == 3 ? new long[] {to - from, cols} : new long[] {to - from};
        Tensor c = v.constant();
        if (c != null) return e.constant(constRows(c, d, from, to), outShape, hint);
        T in = new T(e.ctx().tensor(v), vs);
        if (vs[0] == 1 && from == 0 && to == vs[1]) return e.reshape(in, outShape, hint);
        long[] begin = vs.length == 3 ? new long[] {d, from, 0} : new long[] {d, from};
        long[] end = vs.length == 3 ? new long[] {d + 1, to, cols} : new long[] {d + 1, to};
        return e.stridedSlice(in, begin, end, 1, hint);
    }

    private static float[] constRows(Tensor c, int d, long from, long to) {
        long[] vs = c.shape();
        long cols = vs.length == 3 ? vs[2] : 1;
        float[] r = new float[Math.toIntExact((to - from) * cols)];
        long off = ((long) d * vs[1] + from) * cols;
        for (int i = 0; i < r.length; i++) r[i] = (float) c.getDouble(off + i);
        return r;
    }

    /** Wb + Rb of direction d (both [gh]): summed in Java for a constant B, else with ADD. */
    private static T biasSum(Node n, int d, int gh, TfliteRecurrentEmitter e, String hint) {
        Tensor c = n.constInput(B);
        if (c != null) {
            float[] wb = constRows(c, d, 0, gh), rb = constRows(c, d, gh, 2L * gh);
            for (int i = 0; i < gh; i++) wb[i] += rb[i];
            return e.constant(wb, new long[] {gh}, hint);
        }
        return e.add(rows(n, B, d, 0, gh, e, hint + "_Wb"), rows(n, B, d, gh, 2L * gh, e, hint + "_Rb"), hint);
    }

    /** initial_h / initial_c of direction d as [batch, h], or null when absent or all zeros. */
    private static T initialState(Node n, int input, RecurrentSpec s, int d, int batch, int h, TfliteRecurrentEmitter e, String hint) {
        Value v = n.input(input);
        if (v == null) return null;
        long[] vs = e.ctx().shape(v);
        int nd = s.numDirections();
        long[] expect = s.layout() == 0 ? new long[] {nd, batch, h} : new long[] {batch, nd, h};
        if (!java.util.Arrays.equals(vs, expect))
            throw new ConversionException("initial state (input " + input + ") has shape " + java.util.Arrays.toString(vs) + ", expected " + java.util.Arrays.toString(expect));
        Tensor c = v.constant();
        if (c != null) {
            float[] r = new float[batch * h];
            boolean zero = true;
            for (int b = 0; b < batch; b++) for (int k = 0; k < h; k++) {
                long idx = s.layout() == 0 ? ((long) d * batch + b) * h + k : ((long) b * nd + d) * h + k;
                r[b * h + k] = (float) c.getDouble(idx);
                if (r[b * h + k] != 0) zero = false;
            }
            return zero ? null : e.constant(r, new long[] {batch, h}, hint);
        }
        T in = new T(e.ctx().tensor(v), vs);
        if (nd == 1) return e.reshape(in, new long[] {batch, h}, hint);
        if (s.layout() == 0) return e.stridedSlice(in, new long[] {d, 0, 0}, new long[] {d + 1, batch, h}, 1, hint);
        return e.stridedSlice(in, new long[] {0, d, 0}, new long[] {batch, d + 1, h}, 2, hint);
    }

    /**
     * Per time step, a [batch, 1] float mask (1 where t < sequence_lens[b]), or null when sequence_lens is absent or
     * (constant and) covers every step; entries are null for steps where every sequence is still running.
     */
    private static T[] masks(Node n, TfliteRecurrentEmitter e, int seq, int batch) {
        Value v = n.input(SEQ_LENS);
        if (v == null) return null;
        long[] vs = e.ctx().shape(v);
        if (vs.length != 1 || vs[0] != batch) throw new ConversionException("sequence_lens must have shape [" + batch + "], got " + java.util.Arrays.toString(vs));
        T[] r = new T[seq];
        Tensor c = v.constant();
        if (c != null) {
            long[] lens = c.toLongs();
            boolean any = false;
            for (int t = 0; t < seq; t++) {
                float[] m = new float[batch];
                boolean all = true;
                for (int b = 0; b < batch; b++) {
                    if (lens[b] < 0 || lens[b] > seq) throw new ConversionException("sequence_lens[" + b + "] = " + lens[b] + " is outside [0, " + seq + "]");
                    m[b] = t < lens[b] ? 1f : 0f;
                    if (m[b] == 0f) all = false;
                }
                if (!all) { r[t] = e.constant(m, new long[] {batch, 1}, "mask_t" + t); any = true; }
            }
            return any ? r : null;
        }
        // run time: mask[t, b] = float(t < lens[b]), computed once and split per step
        LowerContext ctx = e.ctx();
        int lens = ctx.tensor(v);
        if (v.dtype() != DType.INT32) lens = Emit.cast(ctx, lens, DType.INT32, vs, n.name() + "_lens_i32");
        int[] steps = new int[seq];
        for (int t = 0; t < seq; t++) steps[t] = t;
        int range = ctx.constInt32(n.name() + "_steps", new long[] {seq, 1}, steps);
        int less = ctx.temp(DType.BOOL, new long[] {seq, batch}, n.name() + "_valid");
        ctx.op(BuiltinOperator.LESS, 1, new int[] {range, lens}, new int[] {less});
        int mf = Emit.cast(ctx, less, DType.FLOAT32, new long[] {seq, batch}, n.name() + "_mask");
        T all = e.reshape(new T(mf, new long[] {seq, batch}), new long[] {(long) seq * batch, 1}, "mask_rows");
        return e.split(all, 0, seq, "mask_t");
    }
}
