package dev.onnxport.ir.ops;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Value;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The attributes of an ONNX LSTM, GRU or RNN node, normalised for every opset form (1..22): gate count, hidden
 * size, directions, layout, activation functions per direction with their alpha/beta (consumed in list order by
 * the functions that take them, as onnxruntime does for LSTM and GRU; onnxruntime's RNN takes alpha/beta[direction],
 * default 0), clip, input_forget and linear_before_reset.
 *
 * <p>Inputs are X, W, R, B, sequence_lens, initial_h, then (LSTM) initial_c and P. Outputs are Y, Y_h and (LSTM) Y_c.
 */
public record RecurrentSpec(String op, int gates, long hidden, int numDirections, boolean reverse, int layout,
                            List<Act> activations, Float clip, boolean inputForget, boolean linearBeforeReset) {

    /** One activation function: its lower-case ONNX name and parameters (defaults filled in). */
    public record Act(String name, float alpha, float beta) {
        public double apply(double x) {
            return switch (name) {
                case "relu" -> Math.max(0, x);
                case "tanh" -> Math.tanh(x);
                case "sigmoid" -> 1 / (1 + Math.exp(-x));
                case "affine" -> alpha * x + beta;
                case "leakyrelu" -> x >= 0 ? x : alpha * x;
                case "thresholdedrelu" -> x > alpha ? x : 0;
                case "scaledtanh" -> alpha * Math.tanh(beta * x);
                case "hardsigmoid" -> Math.min(Math.max(alpha * x + beta, 0), 1);
                case "elu" -> x >= 0 ? x : alpha * (Math.exp(x) - 1);
                case "softsign" -> x / (1 + Math.abs(x));
                case "softplus" -> Math.log1p(Math.exp(-Math.abs(x))) + Math.max(x, 0);
                default -> throw new ConversionException("unknown activation " + name);
            };
        }
    }

    public static final int LSTM_INITIAL_C = 6, LSTM_P = 7;

    /** Activation functions per direction: LSTM f, g, h; GRU f, g; RNN f. */
    public static int actsPerDirection(String op) {
        return switch (op) {
            case "LSTM" -> 3;
            case "GRU" -> 2;
            case "RNN" -> 1;
            default -> throw new IllegalArgumentException(op);
        };
    }

    public static int gateCount(String op) {
        return switch (op) {
            case "LSTM" -> 4;
            case "GRU" -> 3;
            case "RNN" -> 1;
            default -> throw new IllegalArgumentException(op);
        };
    }

    private static List<String> defaultActs(String op) {
        return switch (op) {
            case "LSTM" -> List.of("Sigmoid", "Tanh", "Tanh");
            case "GRU" -> List.of("Sigmoid", "Tanh");
            default -> List.of("Tanh");
        };
    }

    /** Parses the node's attributes; hidden_size falls back to R's last dim when absent. */
    public static RecurrentSpec of(Node n) {
        String op = n.opType();
        var a = n.attrs();
        int g = gateCount(op);
        String dir = a.getString("direction", "forward").toLowerCase(Locale.ROOT);
        int nd;
        boolean rev = false;
        switch (dir) {
            case "forward" -> nd = 1;
            case "reverse" -> { nd = 1; rev = true; }
            case "bidirectional" -> nd = 2;
            default -> throw new ConversionException("unknown direction '" + dir + "'");
        }
        long hidden = a.getInt("hidden_size", -1);
        if (hidden <= 0) {
            Value r = n.input(2);
            if (r != null && r.shape() != null && r.shape().rank() == 3 && r.shape().dim(2).isKnown()) hidden = r.shape().size(2);
            else if (r != null && r.shape() != null && r.shape().rank() == 3 && r.shape().dim(1).isKnown()) hidden = r.shape().size(1) / g;
        }
        int layout = (int) a.getInt("layout", 0);
        if (layout != 0 && layout != 1) throw new ConversionException("layout must be 0 or 1, got " + layout);
        int per = actsPerDirection(op);
        List<String> names = a.getStrings("activations");
        if (names == null || names.isEmpty()) names = defaultActs(op);
        if (names.size() == per && nd == 2) {
            List<String> dup = new ArrayList<>(names);
            dup.addAll(names);
            names = dup;
        }
        if (names.size() == 2 * per && nd == 1) names = names.subList(0, per); // e.g. RNN's schema default [Tanh, Tanh]
        if (names.size() != per * nd)
            throw new ConversionException(op + " needs " + per * nd + " activation functions, got " + names.size() + " " + names);
        float[] alphas = a.getFloats("activation_alpha"), betas = a.getFloats("activation_beta");
        int ai = 0, bi = 0;
        List<Act> acts = new ArrayList<>();
        for (String nm : names) {
            String l = nm.toLowerCase(Locale.ROOT);
            boolean needA, needB;
            float da = 0, db = 0;
            switch (l) {
                case "affine", "scaledtanh" -> { needA = true; needB = true; }
                case "hardsigmoid" -> { needA = true; needB = true; da = 0.2f; db = 0.5f; }
                case "leakyrelu" -> { needA = true; needB = false; da = 0.01f; }
                case "elu" -> { needA = true; needB = false; da = 1.0f; }
                case "thresholdedrelu" -> { needA = true; needB = false; }
                case "relu", "tanh", "sigmoid", "softsign", "softplus" -> { needA = false; needB = false; }
                default -> throw new ConversionException("unsupported activation function '" + nm + "'");
            }
            float al = da, be = db;
            if (op.equals("RNN")) {
                // onnxruntime's RNN reads alpha/beta per direction (default 0), whatever the function
                int dIdx = acts.size();
                al = alphas != null && dIdx < alphas.length ? alphas[dIdx] : 0f;
                be = betas != null && dIdx < betas.length ? betas[dIdx] : 0f;
            } else {
                if (needA && alphas != null && ai < alphas.length) al = alphas[ai++];
                if (needB && betas != null && bi < betas.length) be = betas[bi++];
            }
            acts.add(new Act(l, al, be));
        }
        Float clip = a.has("clip") ? a.getFloat("clip", 0) : null;
        boolean inputForget = a.getInt("input_forget", 0) != 0;
        boolean lbr = a.getInt("linear_before_reset", 0) != 0;
        return new RecurrentSpec(op, g, hidden, nd, rev, layout, List.copyOf(acts), clip, inputForget, lbr);
    }

    /** Activation k (0-based within a direction) of direction d. */
    public Act act(int d, int k) { return activations.get(d * actsPerDirection(op) + k); }

    /** Direction d runs backwards in time (the second direction of a bidirectional node, or a reverse node). */
    public boolean backward(int d) { return reverse || d == 1; }

    /** X's static [seq, batch, input] sizes as read through the layout (may hold -1 for unknown dims). */
    public long[] seqBatchInput(Shape x) {
        long[] r = new long[3];
        int[] idx = layout == 0 ? new int[] {0, 1, 2} : new int[] {1, 0, 2};
        for (int i = 0; i < 3; i++) r[i] = x.dim(idx[i]).isKnown() ? x.size(idx[i]) : -1;
        return r;
    }
}
