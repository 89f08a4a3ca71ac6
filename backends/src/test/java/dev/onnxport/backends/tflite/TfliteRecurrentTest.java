package dev.onnxport.backends.tflite;

import dev.onnxport.backends.Pipelines;
import dev.onnxport.backends.onnx.OnnxBackend;
import dev.onnxport.backends.onnx.OnnxOptions;
import dev.onnxport.backends.runtime.OrtRunner;
import dev.onnxport.backends.runtime.TfliteRunner;
import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ops.OpRegistry;
import dev.onnxport.passes.PassOptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * LSTM/GRU/RNN forms the ONNX node tests do not cover (reverse, bidirectional, layout 1, clip, input_forget,
 * linear_before_reset, every activation function, sequence_lens, constant weights, subsets of outputs): each is
 * run in onnxruntime, converted to TFLite and run in the TFLite interpreter, and also evaluated by the IR's
 * reference evaluator; all three must agree within atol 1e-4 + rtol 1e-3.
 */
class TfliteRecurrentTest {
    static final double ATOL = 1e-4, RTOL = 1e-3;

    /** One test model: op, attributes, sizes and which optional inputs/outputs it has. */
    record Case(String name, String op, Attrs attrs, int seq, int batch, int input, int hidden, int dirs, int layout,
                boolean bias, boolean lens, int[] lensValues, boolean initH, boolean initC, boolean peep,
                boolean constWeights, boolean[] outs, int opset) {}

    static final class CaseBuilder {
        String name, op;
        Attrs.Builder a = Attrs.builder();
        int seq = 4, batch = 2, input = 3, hidden = 5, dirs = 1, layout = 0, opset = 14;
        boolean bias = true, lens, initH = true, initC = true, peep, constW;
        int[] lensValues;
        boolean[] outs = {true, true, true};

        CaseBuilder(String name, String op) {
            this.name = name;
            this.op = op;
            if (!op.equals("LSTM")) { initC = false; outs = new boolean[] {true, true}; }
        }

        CaseBuilder dir(String d) { a.put("direction", d); dirs = d.equals("bidirectional") ? 2 : 1; return this; }
        CaseBuilder layout1() { layout = 1; a.put("layout", 1L); return this; }
        CaseBuilder attr(String k, long v) { a.put(k, v); return this; }
        CaseBuilder attr(String k, float v) { a.put(k, v); return this; }
        CaseBuilder attr(String k, float[] v) { a.put(k, v); return this; }
        CaseBuilder acts(String... names) { a.put("activations", new dev.onnxport.ir.Attr.Strs(List.of(names))); return this; }
        CaseBuilder lens(int... v) { lens = true; lensValues = v; return this; }
        CaseBuilder noBias() { bias = false; return this; }
        CaseBuilder noInit() { initH = false; initC = false; return this; }
        CaseBuilder peep() { peep = true; return this; }
        CaseBuilder constW() { constW = true; return this; }
        CaseBuilder outs(boolean... o) { outs = o; return this; }
        CaseBuilder sizes(int seq, int batch, int input, int hidden) { this.seq = seq; this.batch = batch; this.input = input; this.hidden = hidden; return this; }
        CaseBuilder opset(int o) { opset = o; return this; }

        Case build() {
            a.put("hidden_size", (long) hidden);
            return new Case(name, op, a.build(), seq, batch, input, hidden, dirs, layout, bias, lens, lensValues, initH, initC,
                    peep, constW, outs, opset);
        }
    }

    static CaseBuilder lstm(String n) { return new CaseBuilder(n, "LSTM"); }
    static CaseBuilder gru(String n) { return new CaseBuilder(n, "GRU"); }
    static CaseBuilder rnn(String n) { return new CaseBuilder(n, "RNN"); }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        c.add(lstm("lstm_forward").build());
        c.add(lstm("lstm_reverse").dir("reverse").build());
        c.add(lstm("lstm_bidirectional").dir("bidirectional").peep().build());
        c.add(lstm("lstm_bidirectional_layout1").dir("bidirectional").layout1().peep().build());
        c.add(lstm("lstm_const_weights").constW().dir("bidirectional").peep().build());
        c.add(lstm("lstm_no_init_no_bias").noInit().noBias().build());
        c.add(lstm("lstm_clip").attr("clip", 0.3f).peep().build());
        c.add(lstm("lstm_input_forget").attr("input_forget", 1L).peep().build());
        c.add(lstm("lstm_acts").dir("bidirectional").acts("HardSigmoid", "Softsign", "ScaledTanh", "Sigmoid", "Elu", "Tanh")
                .attr("activation_alpha", new float[] {0.3f, 0.7f, 0.5f}).attr("activation_beta", new float[] {0.4f, 1.2f}).build());
        c.add(lstm("lstm_seq_lens").dir("bidirectional").lens(4, 2).peep().build());
        c.add(lstm("lstm_seq_lens_layout1").dir("bidirectional").layout1().lens(1, 3).noInit().build());
        c.add(lstm("lstm_seq_lens_const").dir("reverse").constW().lens(3, 4).build());
        c.add(lstm("lstm_only_y").outs(true, false, false).build());
        c.add(lstm("lstm_only_yc").outs(false, false, true).dir("bidirectional").build());
        c.add(lstm("lstm_opset7").opset(7).dir("reverse").build());
        c.add(gru("gru_forward").build());
        c.add(gru("gru_reverse_lbr").dir("reverse").attr("linear_before_reset", 1L).build());
        c.add(gru("gru_bidirectional").dir("bidirectional").build());
        c.add(gru("gru_bidirectional_lbr_layout1").dir("bidirectional").layout1().attr("linear_before_reset", 1L).build());
        c.add(gru("gru_lbr_no_init").noInit().attr("linear_before_reset", 1L).build());
        c.add(gru("gru_lbr_no_init_no_bias").noInit().noBias().attr("linear_before_reset", 1L).build());
        c.add(gru("gru_no_init_const").noInit().constW().dir("bidirectional").build());
        c.add(gru("gru_lbr_const").constW().attr("linear_before_reset", 1L).build());
        c.add(gru("gru_clip_acts").attr("clip", 0.4f).acts("HardSigmoid", "LeakyRelu").attr("activation_alpha", new float[] {0.25f, 0.1f})
                .attr("activation_beta", new float[] {0.45f}).build());
        c.add(gru("gru_elu_leaky_defaults").dir("bidirectional").acts("Sigmoid", "Elu", "HardSigmoid", "LeakyRelu").build());
        c.add(lstm("lstm_affine_thresholded").acts("Sigmoid", "Affine", "ThresholdedRelu").attr("activation_alpha", new float[] {0.8f, 0.1f})
                .attr("activation_beta", new float[] {0.05f}).build());
        c.add(gru("gru_seq_lens").dir("bidirectional").lens(2, 4).attr("linear_before_reset", 1L).build());
        c.add(gru("gru_opset7").opset(7).build());
        c.add(rnn("rnn_forward").build());
        c.add(rnn("rnn_bidirectional_layout1").dir("bidirectional").layout1().build());
        c.add(rnn("rnn_const").constW().dir("reverse").build());
        c.add(rnn("rnn_seq_lens").dir("bidirectional").lens(3, 1).noInit().build());
        for (String act : List.of("Relu", "Sigmoid", "Affine", "LeakyRelu", "ThresholdedRelu", "ScaledTanh", "HardSigmoid", "Elu", "Softsign", "Softplus"))
            c.add(rnn("rnn_act_" + act).acts(act).attr("activation_alpha", new float[] {0.6f}).attr("activation_beta", new float[] {0.2f}).build());
        c.add(rnn("rnn_act_elu_default").acts("Elu").build());
        c.add(rnn("rnn_clip").attr("clip", 0.2f).build());
        return c;
    }

    @TestFactory
    Stream<DynamicTest> againstOnnxruntime() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    static void check(Case c) {
        Random rnd = new Random(c.name().hashCode());
        Map<String, Tensor> data = data(c, rnd);
        Map<String, Tensor> feeds = feeds(c, data);
        Map<String, Tensor> expected = c.layout() == 0 ? ort(c, data) : ortBatchwise(c, data);
        // the reference evaluator
        Graph eg = build(c, data);
        Node n = eg.nodes().get(0);
        List<Tensor> ins = new ArrayList<>();
        for (Value v : n.inputs()) ins.add(v == null ? null : v.isConstant() ? v.constant() : data.get(v.name()));
        List<Tensor> ev = OpRegistry.standard().get(c.op()).eval().eval(n, ins);
        for (int i = 0; i < c.outs().length; i++) {
            if (!c.outs()[i]) continue;
            String name = outName(i);
            compare(c.name() + " evaluator " + name, expected.get(name), ev.get(i));
        }
        // TFLite
        Graph tg = build(c, data);
        byte[] tfl = Pipelines.toTflite(tg, TfliteOptions.FLOAT32, new PassOptions("nchw"));
        try (TfliteRunner r = new TfliteRunner(tfl)) {
            Map<String, Tensor> got = r.run(feeds);
            for (Map.Entry<String, Tensor> e : expected.entrySet()) compare(c.name() + " tflite " + e.getKey(), e.getValue(), got.get(e.getKey()));
        }
    }

    /**
     * A Silero-like model: an If on a (pinned) constant condition whose branches hold LSTMs with their own weights
     * and read X from the enclosing graph. inline-constant-if makes it a plain graph that converts and matches ORT.
     */
    @org.junit.jupiter.api.Test
    void constantIfAroundLstmIsInlinedAndConverts() {
        for (boolean cond : new boolean[] {true, false}) {
            Random rnd = new Random(cond ? 1 : 2);
            Tensor x = rand(rnd, new long[] {3, 1, 4}, 1f);
            Tensor[] w = {rand(rnd, new long[] {1, 20, 4}, 0.5f), rand(rnd, new long[] {1, 20, 4}, 0.5f)};
            Tensor[] r = {rand(rnd, new long[] {1, 20, 5}, 0.5f), rand(rnd, new long[] {1, 20, 5}, 0.5f)};
            java.util.function.Supplier<Graph> build = () -> {
                Graph g = new Graph("silero_like");
                g.opsets().put("", 14);
                Value xv = g.addInput("X", x.type());
                Value cv = g.addConstant("cond", Tensor.fromLongs(dev.onnxport.ir.DType.BOOL, new long[0], new long[] {cond ? 1 : 0}));
                Graph[] br = new Graph[2];
                for (int b = 0; b < 2; b++) {
                    Graph sg = new Graph(b == 0 ? "then" : "else");
                    sg.opsets().put("", 14);
                    Value sx = sg.addOuterRef("X", x.type());
                    Node l = sg.addNodeExact("", "LSTM", "lstm" + b, List.of(sx, sg.addConstant("W" + b, w[b]), sg.addConstant("R" + b, r[b])),
                            Attrs.builder().put("hidden_size", 5L).build(), 14, List.of("", "h" + b));
                    l.output(1).setType(dev.onnxport.ir.ValueType.of(dev.onnxport.ir.DType.FLOAT32, 1, 1, 5));
                    sg.addOutput(l.output(1));
                    br[b] = sg;
                }
                Attrs a = Attrs.builder().put("then_branch", new dev.onnxport.ir.Attr.GraphAttr(br[0]))
                        .put("else_branch", new dev.onnxport.ir.Attr.GraphAttr(br[1])).build();
                Node iff = g.addNodeExact("", "If", "if", List.of(cv), a, 14, List.of("Y_h"));
                iff.output().setType(dev.onnxport.ir.ValueType.of(dev.onnxport.ir.DType.FLOAT32, 1, 1, 5));
                g.addOutput(iff.output());
                return g;
            };
            Map<String, Tensor> feeds = Map.of("X", x);
            Map<String, Tensor> expected;
            try (OrtRunner ort = new OrtRunner(OnnxBackend.emit(build.get(), OnnxOptions.DEFAULT))) {
                expected = ort.run(feeds);
            }
            Graph tg = build.get();
            new dev.onnxport.passes.PassManager(List.of(new dev.onnxport.passes.InlineConstantIf()), 1)
                    .run(tg, dev.onnxport.passes.PassContext.standard(new PassOptions("nchw")));
            assertEquals(Map.of("LSTM", 1), tg.opHistogram());
            byte[] tfl = Pipelines.toTflite(tg, TfliteOptions.FLOAT32, new PassOptions("nchw"));
            try (TfliteRunner tr = new TfliteRunner(tfl)) {
                compare("if " + cond, expected.get("Y_h"), tr.run(feeds).get("Y_h"));
            }
        }
    }

    static Map<String, Tensor> ort(Case c, Map<String, Tensor> data) {
        Graph og = build(c, data);
        Pipelines.prepareOnnx(og);
        try (OrtRunner ort = new OrtRunner(OnnxBackend.emit(og, OnnxOptions.DEFAULT))) {
            return ort.run(feeds(c, data));
        }
    }

    /** onnxruntime has no layout=1 kernels: run the time-major equivalent and transpose its inputs and outputs. */
    static Map<String, Tensor> ortBatchwise(Case c, Map<String, Tensor> data) {
        Case tm = new Case(c.name() + "_timemajor", c.op(), c.attrs().toBuilder().remove("layout").build(), c.seq(), c.batch(), c.input(),
                c.hidden(), c.dirs(), 0, c.bias(), c.lens(), c.lensValues(), c.initH(), c.initC(), c.peep(), c.constWeights(), c.outs(), c.opset());
        Map<String, Tensor> d = new LinkedHashMap<>(data);
        d.put("X", transpose(data.get("X"), 1, 0, 2));
        if (data.containsKey("initial_h")) d.put("initial_h", transpose(data.get("initial_h"), 1, 0, 2));
        if (data.containsKey("initial_c")) d.put("initial_c", transpose(data.get("initial_c"), 1, 0, 2));
        Map<String, Tensor> r = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : ort(tm, d).entrySet())
            r.put(e.getKey(), e.getKey().equals("Y") ? transpose(e.getValue(), 2, 0, 1, 3) : transpose(e.getValue(), 1, 0, 2));
        return r;
    }

    /** out[i...] = in[i permuted]: out dim k is in dim perm[k]. */
    static Tensor transpose(Tensor t, int... perm) {
        long[] s = t.shape();
        int r = s.length;
        long[] os = new long[r];
        for (int k = 0; k < r; k++) os[k] = s[perm[k]];
        long[] inStride = new long[r];
        long acc = 1;
        for (int k = r - 1; k >= 0; k--) { inStride[k] = acc; acc *= s[k]; }
        float[] v = new float[(int) t.numel()];
        long[] idx = new long[r];
        for (int o = 0; o < v.length; o++) {
            long src = 0;
            for (int k = 0; k < r; k++) src += idx[k] * inStride[perm[k]];
            v[o] = (float) t.getDouble(src);
            for (int k = r - 1; k >= 0; k--) { if (++idx[k] < os[k]) break; idx[k] = 0; }
        }
        return Tensor.ofFloats(os, v);
    }

    static String outName(int i) { return i == 0 ? "Y" : i == 1 ? "Y_h" : "Y_c"; }

    static void compare(String what, Tensor e, Tensor a) {
        assertNotNull(e, what + ": expected");
        assertNotNull(a, what + ": missing");
        assertEquals(Tensor.numel(e.shape()), a.numel(), what + ": element count");
        assertEquals(java.util.Arrays.toString(e.shape()), java.util.Arrays.toString(a.shape()), what + ": shape");
        for (long i = 0; i < e.numel(); i++) {
            double x = e.getDouble(i), y = a.getDouble(i);
            if (!(Math.abs(x - y) <= ATOL + RTOL * Math.abs(x))) fail(what + ": index " + i + " got " + y + " expected " + x);
        }
    }

    static Map<String, Tensor> data(Case c, Random rnd) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        int g = switch (c.op()) { case "LSTM" -> 4; case "GRU" -> 3; default -> 1; };
        int d = c.dirs(), h = c.hidden();
        long[] xs = c.layout() == 0 ? new long[] {c.seq(), c.batch(), c.input()} : new long[] {c.batch(), c.seq(), c.input()};
        long[] ss = c.layout() == 0 ? new long[] {d, c.batch(), h} : new long[] {c.batch(), d, h};
        m.put("X", rand(rnd, xs, 1.5f));
        m.put("W", rand(rnd, new long[] {d, (long) g * h, c.input()}, 0.8f));
        m.put("R", rand(rnd, new long[] {d, (long) g * h, h}, 0.8f));
        if (c.bias()) m.put("B", rand(rnd, new long[] {d, 2L * g * h}, 0.5f));
        if (c.lens()) m.put("sequence_lens", Tensor.ofInts(new long[] {c.batch()}, c.lensValues()));
        if (c.initH()) m.put("initial_h", rand(rnd, ss, 0.7f));
        if (c.initC()) m.put("initial_c", rand(rnd, ss, 0.7f));
        if (c.peep()) m.put("P", rand(rnd, new long[] {d, 3L * h}, 0.5f));
        return m;
    }

    static Tensor rand(Random r, long[] shape, float scale) {
        float[] v = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (r.nextFloat() * 2 - 1) * scale;
        return Tensor.ofFloats(shape, v);
    }

    static final List<String> INPUTS = List.of("X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P");

    /** X is always a graph input; the others are inputs too unless the case makes them constants. */
    static boolean isInput(Case c, String name) {
        return name.equals("X") || !c.constWeights();
    }

    static Map<String, Tensor> feeds(Case c, Map<String, Tensor> data) {
        Map<String, Tensor> f = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : data.entrySet()) if (isInput(c, e.getKey())) f.put(e.getKey(), e.getValue());
        return f;
    }

    static Graph build(Case c, Map<String, Tensor> data) {
        Graph g = new Graph(c.name());
        g.opsets().put("", c.opset());
        List<Value> ins = new ArrayList<>();
        int count = c.op().equals("LSTM") ? 8 : 6;
        for (int i = 0; i < count; i++) {
            String nm = INPUTS.get(i);
            Tensor t = data.get(nm);
            if (t == null) { ins.add(null); continue; }
            ins.add(isInput(c, nm) ? g.addInput(nm, t.type()) : g.addConstant(nm, t));
        }
        while (ins.get(ins.size() - 1) == null) ins.remove(ins.size() - 1);
        List<String> outs = new ArrayList<>();
        for (int i = 0; i < c.outs().length; i++) outs.add(c.outs()[i] ? outName(i) : "");
        while (!outs.isEmpty() && outs.get(outs.size() - 1).isEmpty()) outs.remove(outs.size() - 1);
        Node n = g.addNodeExact("", c.op(), c.op().toLowerCase(), ins, c.attrs(), c.opset(), outs);
        for (int i = 0; i < outs.size(); i++) if (!outs.get(i).isEmpty()) g.addOutput(n.output(i));
        return g;
    }
}
