package dev.onnxport.cli;

import dev.onnxport.backends.check.Compare;
import dev.onnxport.cli.check.Checker;
import dev.onnxport.cli.check.Checker.Result;
import dev.onnxport.cli.check.Checker.Row;
import dev.onnxport.cli.check.Checker.Status;
import dev.onnxport.cli.check.QuantStats;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The text table, verdict, and the report.json / report.csv / report.html files of {@code onnxport check}. */
final class CheckReport {
    private CheckReport() {}

    static final String RESET = "\u001b[0m", GREEN = "\u001b[32m", RED = "\u001b[31m", GREY = "\u001b[90m",
            BOLD_RED_BG = "\u001b[1;37;41m", BOLD = "\u001b[1m";

    // ------------------------------------------------------------------ text

    static String num(double v) {
        if (Double.isNaN(v)) return "nan";
        if (Double.isInfinite(v)) return "inf";
        if (v == 0) return "0";
        return String.format(Locale.ROOT, "%.2e", v);
    }

    static String cos(double v) { return Double.isNaN(v) ? "nan" : String.format(Locale.ROOT, "%.6f", v); }

    /** A threshold as given (0.98, not 0.980000). */
    static String thr(double v) { return new java.math.BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString(); }

    static String status(Status s) {
        return switch (s) {
            case PASS -> "pass";
            case FAIL -> "FAIL";
            case NOT_MAPPED -> "not mapped";
            case ERROR -> "ERROR";
        };
    }

    private static String cut(String s, int w) {
        if (s == null) return "";
        if (s.length() <= w) return s;
        return "..." + s.substring(s.length() - (w - 3));
    }

    private static String nodeLabel(Row r) {
        return r.node().isEmpty() ? r.onnxName() : r.node();
    }

    /** The per-tensor table in graph order (coloured when color is set), the first-failure block and the verdict. */
    static String text(Result res, boolean color, boolean failuresOnly) {
        if (res.quantized()) return quantText(res, color, failuresOnly);
        StringBuilder b = new StringBuilder();
        int wNode = 4, wOp = 2, wT = 10, wS = 5;
        for (Row r : res.rows()) {
            wNode = Math.max(wNode, Math.min(36, nodeLabel(r).length()));
            wOp = Math.max(wOp, Math.min(18, r.opType().length()));
            wT = Math.max(wT, Math.min(24, r.targetOps() == null ? 1 : r.targetOps().length()));
            wS = Math.max(wS, Math.min(20, r.shapeText().length()));
        }
        int wIdx = Math.max(3, String.valueOf(res.rows().size()).length());
        String fmt = "%s%" + wIdx + "s  %-" + wNode + "s  %-" + wOp + "s  %-" + wT + "s  %-" + wS + "s  %9s  %9s  %9s  %9s  %s";
        b.append(String.format(Locale.ROOT, fmt, " ", "#", "node", "op", "target ops", "shape", "max abs", "mean abs", "RMSE", "cosine", "status"))
                .append('\n');
        Row first = res.firstFail();
        int hidden = 0;
        for (Row r : res.rows()) {
            if (failuresOnly && r != first && !(r.status() == Status.FAIL || r.status() == Status.ERROR) && !r.modelOutput()) { hidden++; continue; }
            Compare.Stats s = r.stats();
            String st = status(r.status()) + (r.modelOutput() ? " (output)" : "");
            if (r.note() != null) st += r.status() == Status.NOT_MAPPED ? ": " + r.note() : "  " + r.note();
            String line = String.format(Locale.ROOT, fmt, r == first ? ">" : " ", r.index(), cut(nodeLabel(r), wNode), cut(r.opType(), wOp),
                    cut(r.targetOps() == null ? "-" : r.targetOps(), wT), cut(r.status() == Status.NOT_MAPPED ? "" : r.shapeText(), wS),
                    s == null ? "" : num(s.maxAbs()), s == null ? "" : num(s.meanAbs()), s == null ? "" : num(s.rmse()),
                    s == null ? "" : cos(s.cosine()), st);
            b.append(color ? colored(line, r, r == first) : line).append('\n');
        }
        if (hidden > 0) b.append("  (").append(hidden).append(" passing or unmapped tensors not shown)\n");
        if (first != null) b.append('\n').append(firstFailure(res, first, color));
        b.append('\n').append(verdict(res, color)).append('\n');
        return b.toString();
    }

    /** A quantization step count, "-" when the tensor is not quantized. */
    static String steps(double v) {
        if (Double.isNaN(v)) return "-";
        if (Double.isInfinite(v)) return "inf";
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    static String pct(double v) {
        if (Double.isNaN(v)) return "-";
        if (v == 0) return "0";
        return v < 0.0001 ? "<0.01%" : String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    static String rel(double v) { return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v); }

    static String qtype(QuantStats.Stats q) {
        if (q == null) return "";
        if (!q.quantized()) return q.dtype();
        return q.dtype() + (q.channels() > 1 ? " x" + q.channels() + "ch" : "");
    }

    /**
     * The quantized file's table: per tensor the element type, mean and min cosine over the samples, max abs error /
     * the float tensor's range, mean and max error in quantization steps, the share of float values outside the
     * representable range, and pass (mean cosine >= the threshold).
     */
    static String quantText(Result res, boolean color, boolean failuresOnly) {
        StringBuilder b = new StringBuilder();
        int wNode = 4, wOp = 2, wT = 10, wS = 5, wQ = 4;
        for (Row r : res.rows()) {
            wNode = Math.max(wNode, Math.min(36, nodeLabel(r).length()));
            wOp = Math.max(wOp, Math.min(18, r.opType().length()));
            wT = Math.max(wT, Math.min(24, r.targetOps() == null ? 1 : r.targetOps().length()));
            wS = Math.max(wS, Math.min(20, r.shapeText().length()));
            wQ = Math.max(wQ, qtype(r.quant()).length());
        }
        int wIdx = Math.max(3, String.valueOf(res.rows().size()).length());
        String fmt = "%s%" + wIdx + "s  %-" + wNode + "s  %-" + wOp + "s  %-" + wT + "s  %-" + wS + "s  %-" + wQ
                + "s  %9s  %9s  %10s  %10s  %9s  %7s  %s";
        b.append(String.format(Locale.ROOT, fmt, " ", "#", "node", "op", "target ops", "shape", "type", "cosine", "min cos",
                "max/range", "mean steps", "max steps", "sat", "status")).append('\n');
        Row first = res.firstFail();
        int hidden = 0;
        for (Row r : res.rows()) {
            if (failuresOnly && r != first && r != res.largestJump() && !(r.status() == Status.FAIL || r.status() == Status.ERROR) && !r.modelOutput()) {
                hidden++;
                continue;
            }
            QuantStats.Stats q = r.quant();
            String st = status(r.status()) + (r.modelOutput() ? " (output)" : "");
            if (r == res.largestJump()) st += " [largest jump]";
            if (r.note() != null) st += r.status() == Status.NOT_MAPPED ? ": " + r.note() : "  " + r.note();
            String line = String.format(Locale.ROOT, fmt, r == first ? ">" : " ", r.index(), cut(nodeLabel(r), wNode), cut(r.opType(), wOp),
                    cut(r.targetOps() == null ? "-" : r.targetOps(), wT), cut(r.status() == Status.NOT_MAPPED ? "" : r.shapeText(), wS),
                    qtype(q), q == null ? "" : cos(q.cosine()), q == null ? "" : cos(q.cosineMin()), q == null ? "" : rel(q.maxRel()),
                    q == null ? "" : steps(q.meanSteps()), q == null ? "" : steps(q.maxSteps()), q == null || !q.quantized() ? (q == null ? "" : "-") : pct(q.saturated()), st);
            b.append(color ? colored(line, r, r == first) : line).append('\n');
        }
        if (hidden > 0) b.append("  (").append(hidden).append(" passing or unmapped tensors not shown)\n");
        if (first != null) b.append('\n').append(firstFailure(res, first, color));
        else if (res.largestJump() != null) b.append('\n').append(jumpLine(res)).append('\n');
        b.append('\n').append(verdict(res, color)).append('\n');
        return b.toString();
    }

    static String jumpLine(Result res) {
        Row j = res.largestJump();
        if (j == null) return "";
        return "largest error increase: #" + j.index() + " " + j.opType() + " '" + nodeLabel(j) + "' (target: " + j.targetOps()
                + "): cosine " + cos(j.quant().cosine()) + " where its inputs have " + cos(1 - Checker.inherited(j, byName(res), new java.util.HashSet<>(), 0));
    }

    private static Map<String, Row> byName(Result res) {
        Map<String, Row> m = new java.util.HashMap<>();
        for (Row r : res.rows()) m.put(r.onnxName(), r);
        return m;
    }

    static String firstFailure(Result res, Row f, boolean color) {
        if (res.quantized()) return quantFirstFailure(res, f, color);
        StringBuilder b = new StringBuilder();
        String head = "first failing layer: #" + f.index() + " " + f.opType() + " '" + nodeLabel(f) + "' -> '" + f.onnxName() + "' "
                + f.shapeText() + " (target: " + f.targetOps() + " '" + f.target() + "')";
        b.append(color ? BOLD + RED + head + RESET : head).append('\n');
        Compare.Stats s = f.stats();
        if (s != null) {
            b.append(String.format(Locale.ROOT, "  max abs %s (atol %s, rtol %s), mean abs %s, RMSE %s, cosine %s, %d of %d elements out of tolerance, max |ref| %s%n",
                    num(s.maxAbs()), num(res.options().atol()), num(res.options().rtol()), num(s.meanAbs()), num(s.rmse()), cos(s.cosine()),
                    s.mismatches(), s.count(), num(s.refMaxAbs())));
        }
        if (f.note() != null) b.append("  ").append(f.note()).append('\n');
        if (!f.inputs().isEmpty()) {
            b.append("  its inputs:\n");
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (String in : f.inputs()) input(b, res, in, 4, seen, color);
        }
        return b.toString();
    }

    /** The first layer under the cosine threshold (where the drift starts), its figures and its inputs' cosines. */
    static String quantFirstFailure(Result res, Row f, boolean color) {
        StringBuilder b = new StringBuilder();
        String head = "drift starts at: #" + f.index() + " " + f.opType() + " '" + nodeLabel(f) + "' -> '" + f.onnxName() + "' "
                + f.shapeText() + " (target: " + f.targetOps() + " '" + f.target() + "'), the first tensor with cosine < "
                + thr(res.options().minCosine());
        b.append(color ? BOLD + RED + head + RESET : head).append('\n');
        QuantStats.Stats q = f.quant();
        if (q != null) {
            b.append(String.format(Locale.ROOT, "  %s, cosine %s (min %s over %d sample%s), max abs %s = %s of the float range [%s, %s]",
                    qtype(q), cos(q.cosine()), cos(q.cosineMin()), q.samples(), q.samples() == 1 ? "" : "s", num(q.maxAbs()), rel(q.maxRel()),
                    num(q.refMin()), num(q.refMax())));
            if (q.quantized())
                b.append(String.format(Locale.ROOT, ", mean %s / max %s steps%s, %s saturated", steps(q.meanSteps()), steps(q.maxSteps()),
                        Double.isNaN(q.scale()) ? "" : " of " + num(q.scale()), pct(q.saturated())));
            b.append('\n');
        }
        if (f.note() != null) b.append("  ").append(f.note()).append('\n');
        if (!f.inputs().isEmpty()) {
            b.append("  its inputs:\n");
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (String in : f.inputs()) input(b, res, in, 4, seen, color);
        }
        if (res.largestJump() != null && res.largestJump() != f) b.append(jumpLine(res)).append('\n');
        return b.toString();
    }

    /** One input of the first failing layer; an unmapped (fused, removed) input is followed up to its own inputs. */
    private static void input(StringBuilder b, Result res, String in, int indent, java.util.Set<String> seen, boolean color) {
        if (in.isEmpty() || !seen.add(in)) return;
        Row r = res.row(in);
        String pad = " ".repeat(indent);
        String line;
        if (r == null) {
            line = String.format(Locale.ROOT, "%s%-" + Math.max(1, 43 - indent + 4) + "s %s", pad, "'" + cut(in, 38) + "'",
                    res.inputShapes().containsKey(in) ? "model input (fed identically)" : "constant (initializer)");
        } else if (r.stats() == null) {
            line = String.format(Locale.ROOT, "%s#%d %-" + Math.max(1, 40 - indent + 4) + "s %-14s %s%s", pad, r.index(), "'" + cut(in, 38) + "'",
                    r.opType(), status(r.status()), r.note() == null ? "" : ": " + r.note());
        } else if (r.quant() != null) {
            line = String.format(Locale.ROOT, "%s#%d %-" + Math.max(1, 40 - indent + 4) + "s %-14s cosine %s  %s", pad, r.index(), "'" + cut(in, 38) + "'",
                    r.opType(), cos(r.quant().cosine()), status(r.status()));
        } else {
            line = String.format(Locale.ROOT, "%s#%d %-" + Math.max(1, 40 - indent + 4) + "s %-14s max abs %-9s %s", pad, r.index(), "'" + cut(in, 38) + "'",
                    r.opType(), num(r.stats().maxAbs()), status(r.status()));
        }
        if (color && r != null) line = (r.status() == Status.PASS ? GREEN : r.status() == Status.NOT_MAPPED ? GREY : RED) + line + RESET;
        b.append(line).append('\n');
        if (r != null && r.status() == Status.NOT_MAPPED && indent < 12)
            for (String x : r.inputs()) input(b, res, x, indent + 2, seen, color);
    }

    static String verdict(Result res, boolean color) {
        if (res.quantized()) {
            String v = quantVerdict(res);
            return color ? (res.passed() ? BOLD + GREEN : BOLD + RED) + v + RESET : v;
        }
        long pass = res.count(Status.PASS), fail = res.count(Status.FAIL) + res.count(Status.ERROR), nm = res.count(Status.NOT_MAPPED);
        int outs = res.outputs().size();
        long badOuts = res.outputs().stream().filter(o -> res.row(o) == null || res.row(o).status() != Status.PASS).count();
        String tol = "atol " + num(res.options().atol()) + ", rtol " + num(res.options().rtol());
        String counts = pass + " tensors pass, " + fail + " fail, " + nm + " not mapped";
        String v;
        if (res.passed()) {
            v = "PASS: all " + outs + " model output" + (outs == 1 ? "" : "s") + " within tolerance (" + tol + "); " + counts;
            if (res.firstFail() != null) v += "; first intermediate over tolerance: #" + res.firstFail().index() + " '" + nodeLabel(res.firstFail()) + "'";
        } else {
            v = "FAIL: " + badOuts + " of " + outs + " model output" + (outs == 1 ? "" : "s") + " out of tolerance (" + tol + ")";
            if (res.firstFail() != null) v += "; first failing layer #" + res.firstFail().index() + " " + res.firstFail().opType() + " '" + nodeLabel(res.firstFail()) + "'";
            v += "; " + counts;
        }
        if (!color) return v;
        return (res.passed() ? BOLD + GREEN : BOLD + RED) + v + RESET;
    }

    static String quantVerdict(Result res) {
        long pass = res.count(Status.PASS), fail = res.count(Status.FAIL) + res.count(Status.ERROR), nm = res.count(Status.NOT_MAPPED);
        int outs = res.outputs().size();
        List<String> outCos = new ArrayList<>();
        long badOuts = 0;
        for (String o : res.outputs()) {
            Row r = res.row(o);
            if (r == null || r.status() != Status.PASS) badOuts++;
            outCos.add("'" + o + "' " + (r == null || r.quant() == null ? status(r == null ? Status.NOT_MAPPED : r.status()) : cos(r.quant().cosine())));
        }
        String crit = "cosine >= " + thr(res.options().minCosine()) + ", mean over " + res.samples() + " sample" + (res.samples() == 1 ? "" : "s");
        String counts = pass + " tensors at or above it, " + fail + " below, " + nm + " not mapped";
        String v;
        if (res.passed()) {
            v = "PASS: all " + outs + " model output" + (outs == 1 ? "" : "s") + " within the quantization tolerance (" + crit + "): "
                    + String.join(", ", outCos) + "; " + counts;
            if (res.firstFail() != null) v += "; first intermediate below it: #" + res.firstFail().index() + " '" + nodeLabel(res.firstFail()) + "'";
        } else {
            v = "FAIL: " + badOuts + " of " + outs + " model output" + (outs == 1 ? "" : "s") + " below the quantization tolerance (" + crit + "): "
                    + String.join(", ", outCos);
            if (res.firstFail() != null) v += "; drift starts at #" + res.firstFail().index() + " " + res.firstFail().opType() + " '" + nodeLabel(res.firstFail()) + "'";
            v += "; " + counts;
        }
        return v;
    }

    // ------------------------------------------------------------------ files

    static List<Path> write(Result res, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path j = dir.resolve("report.json"), c = dir.resolve("report.csv"), h = dir.resolve("report.html");
        Files.writeString(j, Json.write(json(res)) + "\n", StandardCharsets.UTF_8);
        Files.writeString(c, csv(res), StandardCharsets.UTF_8);
        Files.writeString(h, html(res), StandardCharsets.UTF_8);
        return List.of(j, c, h);
    }

    private static Object d(double v) { return Double.isFinite(v) ? (Object) v : (Double.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf"); }

    static Map<String, Object> json(Result res) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("onnx", res.onnxFile());
        m.put("converted", res.convertedFile());
        m.put("format", res.format());
        m.put("runtime", res.runtime());
        m.put("quantized", res.quantized());
        if (res.quantized()) {
            m.put("min_cosine", res.options().minCosine());
            m.put("samples", res.samples());
            m.put("samples_label", res.samplesLabel());
            m.put("largest_jump", res.largestJump() == null ? null : res.largestJump().index());
        } else {
            m.put("atol", res.options().atol());
            m.put("rtol", res.options().rtol());
        }
        m.put("seed", res.options().seed());
        Map<String, Object> ins = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : res.inputShapes().entrySet()) ins.put(e.getKey(), longs(e.getValue()));
        m.put("inputs", ins);
        m.put("verdict", res.passed() ? "pass" : "fail");
        m.put("outputs", res.outputs());
        Map<String, Object> counts = new LinkedHashMap<>();
        for (Status s : Status.values()) counts.put(s.name().toLowerCase(Locale.ROOT), res.count(s));
        m.put("counts", counts);
        m.put("first_failing", res.firstFail() == null ? null : res.firstFail().index());
        m.put("warnings", res.warnings());
        List<Object> rows = new ArrayList<>();
        for (Row r : res.rows()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("index", r.index());
            x.put("node", r.node());
            x.put("op", r.opType());
            x.put("tensor", r.onnxName());
            x.put("inputs", r.inputs());
            x.put("model_output", r.modelOutput());
            x.put("status", status(r.status()).toLowerCase(Locale.ROOT));
            x.put("target", r.target());
            x.put("target_ops", r.targetOps());
            x.put("shape", r.shape() == null ? null : longs(r.shape()));
            x.put("perm", r.perm() == null ? null : Arrays.stream(r.perm()).boxed().toList());
            Compare.Stats s = r.stats();
            QuantStats.Stats q = r.quant();
            if (q != null) {
                x.put("dtype", q.dtype());
                x.put("scale", q.quantized() && Double.isNaN(q.scale()) ? "per-channel" : d(q.scale()));
                x.put("channels", q.channels());
                x.put("samples", q.samples());
                x.put("cosine", d(q.cosine()));
                x.put("cosine_min", d(q.cosineMin()));
                x.put("max_abs", d(q.maxAbs()));
                x.put("mean_abs", d(q.meanAbs()));
                x.put("rmse", d(q.rmse()));
                x.put("ref_min", d(q.refMin()));
                x.put("ref_max", d(q.refMax()));
                x.put("max_abs_over_range", d(q.maxRel()));
                x.put("mean_abs_steps", d(q.meanSteps()));
                x.put("max_abs_steps", d(q.maxSteps()));
                x.put("saturated", d(q.saturated()));
                x.put("elements", q.count());
            } else if (s != null) {
                x.put("max_abs", d(s.maxAbs()));
                x.put("mean_abs", d(s.meanAbs()));
                x.put("rmse", d(s.rmse()));
                x.put("cosine", d(s.cosine()));
                x.put("elements", s.count());
                x.put("out_of_tolerance", s.mismatches());
                x.put("ref_max_abs", d(s.refMaxAbs()));
            }
            x.put("note", r.note());
            rows.add(x);
        }
        m.put("rows", rows);
        return m;
    }

    private static List<Long> longs(long[] a) { return Arrays.stream(a).boxed().toList(); }

    private static String csvField(String s) {
        if (s == null) return "";
        if (s.contains(",") || s.contains("\"") || s.contains("\n")) return "\"" + s.replace("\"", "\"\"") + "\"";
        return s;
    }

    static String csv(Result res) {
        if (res.quantized()) return quantCsv(res);
        StringBuilder b = new StringBuilder("index,node,op,tensor,target,target_ops,shape,max_abs,mean_abs,rmse,cosine,out_of_tolerance,elements,status,model_output,note\n");
        for (Row r : res.rows()) {
            Compare.Stats s = r.stats();
            b.append(r.index()).append(',').append(csvField(r.node())).append(',').append(csvField(r.opType())).append(',')
                    .append(csvField(r.onnxName())).append(',').append(csvField(r.target())).append(',').append(csvField(r.targetOps())).append(',')
                    .append(csvField(r.shape() == null ? "" : r.shapeText())).append(',')
                    .append(s == null ? "" : s.maxAbs()).append(',').append(s == null ? "" : s.meanAbs()).append(',')
                    .append(s == null ? "" : s.rmse()).append(',').append(s == null ? "" : s.cosine()).append(',')
                    .append(s == null ? "" : s.mismatches()).append(',').append(s == null ? "" : s.count()).append(',')
                    .append(status(r.status()).toLowerCase(Locale.ROOT)).append(',').append(r.modelOutput()).append(',')
                    .append(csvField(r.note())).append('\n');
        }
        return b.toString();
    }

    private static String csvNum(double v) { return Double.isNaN(v) ? "" : String.valueOf(v); }

    static String quantCsv(Result res) {
        StringBuilder b = new StringBuilder("index,node,op,tensor,target,target_ops,shape,dtype,scale,channels,samples,cosine,cosine_min,"
                + "max_abs,mean_abs,rmse,ref_min,ref_max,max_abs_over_range,mean_abs_steps,max_abs_steps,saturated,elements,status,model_output,note\n");
        for (Row r : res.rows()) {
            QuantStats.Stats q = r.quant();
            b.append(r.index()).append(',').append(csvField(r.node())).append(',').append(csvField(r.opType())).append(',')
                    .append(csvField(r.onnxName())).append(',').append(csvField(r.target())).append(',').append(csvField(r.targetOps())).append(',')
                    .append(csvField(r.shape() == null ? "" : r.shapeText())).append(',');
            if (q == null) b.append(",".repeat(16));
            else b.append(q.dtype()).append(',').append(q.quantized() && Double.isNaN(q.scale()) ? "per-channel" : csvNum(q.scale())).append(',')
                    .append(q.channels()).append(',').append(q.samples()).append(',').append(q.cosine()).append(',').append(q.cosineMin()).append(',')
                    .append(q.maxAbs()).append(',').append(q.meanAbs()).append(',').append(q.rmse()).append(',').append(q.refMin()).append(',')
                    .append(q.refMax()).append(',').append(csvNum(q.maxRel())).append(',').append(csvNum(q.meanSteps())).append(',')
                    .append(csvNum(q.maxSteps())).append(',').append(q.saturated()).append(',').append(q.count()).append(',');
            b.append(status(r.status()).toLowerCase(Locale.ROOT)).append(',').append(r.modelOutput()).append(',').append(csvField(r.note())).append('\n');
        }
        return b.toString();
    }

    static String esc(String s) {
        if (s == null) return "";
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** A self-contained page: summary, an inline SVG of max abs error per tensor (log scale), the table. */
    static String html(Result res) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>onnxport check: ")
                .append(esc(Path.of(res.onnxFile()).getFileName().toString())).append("</title>\n<style>\n")
                .append("body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#222}\n")
                .append("h1{font-size:20px;margin:0 0 8px}.verdict{font-size:16px;font-weight:600;padding:8px 12px;border-radius:4px;display:inline-block}\n")
                .append(".ok{background:#e3f5e6;color:#17652a}.bad{background:#fde2e1;color:#a11b12}.meta{color:#555;font-size:13px;margin:6px 0 14px}\n")
                .append("table{border-collapse:collapse;font-size:12px;font-family:ui-monospace,Menlo,Consolas,monospace}\n")
                .append("th,td{padding:2px 8px;border-bottom:1px solid #eee;text-align:left;white-space:nowrap}th{background:#f4f4f4;position:sticky;top:0}\n")
                .append("td.n{text-align:right}tr.pass td.s{color:#17652a}tr.fail td,tr.error td{color:#a11b12}tr.nm td{color:#999}\n")
                .append("tr.first td{background:#fde2e1;font-weight:700}svg text{font-family:system-ui,sans-serif;font-size:11px}\n")
                .append("</style></head><body>\n");
        b.append("<h1>onnxport check</h1>\n<div class=\"verdict ").append(res.passed() ? "ok" : "bad").append("\">")
                .append(esc(verdict(res, false))).append("</div>\n");
        b.append("<div class=\"meta\">source <b>").append(esc(res.onnxFile())).append("</b> (onnxruntime) vs <b>")
                .append(esc(res.convertedFile())).append("</b> (").append(esc(res.runtime())).append(")<br>inputs: ");
        List<String> ins = new ArrayList<>();
        for (Map.Entry<String, long[]> e : res.inputShapes().entrySet())
            ins.add(esc(e.getKey()) + " " + Arrays.toString(e.getValue()).replace(" ", ""));
        b.append(String.join(", ", ins));
        if (res.samplesLabel() != null) b.append("; ").append(esc(res.samplesLabel()));
        else b.append("; seed ").append(res.options().seed());
        b.append("</div>\n");
        b.append(svg(res)).append('\n');
        if (res.firstFail() != null)
            b.append("<pre>").append(esc(firstFailure(res, res.firstFail(), false))).append("</pre>\n");
        if (res.quantized()) {
            quantHtmlTable(res, b);
            b.append("</body></html>\n");
            return b.toString();
        }
        b.append("<table><thead><tr><th>#</th><th>node</th><th>op</th><th>tensor</th><th>target ops</th><th>shape</th>")
                .append("<th>max abs</th><th>mean abs</th><th>RMSE</th><th>cosine</th><th>status</th><th>note</th></tr></thead><tbody>\n");
        for (Row r : res.rows()) {
            String cls = htmlClass(r, res);
            Compare.Stats s = r.stats();
            b.append("<tr class=\"").append(cls).append("\" id=\"t").append(r.index()).append("\"><td class=\"n\">").append(r.index())
                    .append("</td><td>").append(esc(r.node())).append("</td><td>").append(esc(r.opType())).append("</td><td>")
                    .append(esc(r.onnxName())).append("</td><td>").append(esc(r.targetOps())).append("</td><td>")
                    .append(r.status() == Status.NOT_MAPPED ? "" : esc(r.shapeText())).append("</td><td class=\"n\">")
                    .append(s == null ? "" : num(s.maxAbs())).append("</td><td class=\"n\">").append(s == null ? "" : num(s.meanAbs()))
                    .append("</td><td class=\"n\">").append(s == null ? "" : num(s.rmse())).append("</td><td class=\"n\">")
                    .append(s == null ? "" : cos(s.cosine())).append("</td><td class=\"s\">")
                    .append(esc(status(r.status()) + (r.modelOutput() ? " (output)" : ""))).append("</td><td>")
                    .append(esc(r.note())).append("</td></tr>\n");
        }
        b.append("</tbody></table>\n</body></html>\n");
        return b.toString();
    }

    private static void quantHtmlTable(Result res, StringBuilder b) {
        b.append("<table><thead><tr><th>#</th><th>node</th><th>op</th><th>tensor</th><th>target ops</th><th>shape</th><th>type</th>")
                .append("<th>cosine</th><th>min cos</th><th>max abs</th><th>max/range</th><th>mean steps</th><th>max steps</th><th>sat</th>")
                .append("<th>status</th><th>note</th></tr></thead><tbody>\n");
        for (Row r : res.rows()) {
            String cls = htmlClass(r, res);
            QuantStats.Stats q = r.quant();
            String st = status(r.status()) + (r.modelOutput() ? " (output)" : "") + (r == res.largestJump() ? " [largest jump]" : "");
            b.append("<tr class=\"").append(cls).append("\" id=\"t").append(r.index()).append("\"><td class=\"n\">").append(r.index())
                    .append("</td><td>").append(esc(r.node())).append("</td><td>").append(esc(r.opType())).append("</td><td>")
                    .append(esc(r.onnxName())).append("</td><td>").append(esc(r.targetOps())).append("</td><td>")
                    .append(r.status() == Status.NOT_MAPPED ? "" : esc(r.shapeText())).append("</td><td>").append(esc(qtype(q)))
                    .append("</td><td class=\"n\">").append(q == null ? "" : cos(q.cosine()))
                    .append("</td><td class=\"n\">").append(q == null ? "" : cos(q.cosineMin()))
                    .append("</td><td class=\"n\">").append(q == null ? "" : num(q.maxAbs()))
                    .append("</td><td class=\"n\">").append(q == null ? "" : rel(q.maxRel()))
                    .append("</td><td class=\"n\">").append(q == null ? "" : steps(q.meanSteps()))
                    .append("</td><td class=\"n\">").append(q == null ? "" : steps(q.maxSteps()))
                    .append("</td><td class=\"n\">").append(q == null || !q.quantized() ? "" : pct(q.saturated()))
                    .append("</td><td class=\"s\">").append(esc(st)).append("</td><td>").append(esc(r.note())).append("</td></tr>\n");
        }
        b.append("</tbody></table>\n");
    }

    /** Max abs error per tensor in graph order, log scale; the tolerance as a dashed line; unmapped as grey ticks. */
    /** The plotted error of a compared row: max abs error, or for a quantized file 1 - mean cosine. */
    private static double val(Result res, Row r) {
        return res.quantized() && r.quant() != null ? Math.max(0, r.quant().drift()) : r.stats().maxAbs();
    }

    static String svg(Result res) {
        int w = 1100, h = 380, left = 64, right = 16, top = 28, bottom = 44;
        int pw = w - left - right, ph = h - top - bottom;
        double atol = res.quantized() ? 1 - res.options().minCosine() : res.options().atol();
        double lo = Double.POSITIVE_INFINITY, hi = atol;
        for (Row r : res.rows()) {
            if (r.stats() == null) continue;
            double e = val(res, r);
            if (e > 0 && Double.isFinite(e)) { lo = Math.min(lo, e); hi = Math.max(hi, e); }
            if (Double.isInfinite(e)) hi = Math.max(hi, 1e6);
        }
        if (atol > 0) lo = Math.min(lo, atol / 10);
        if (!Double.isFinite(lo)) lo = 1e-9;
        int eLo = (int) Math.floor(Math.log10(lo)) - 1, eHi = (int) Math.ceil(Math.log10(hi));
        if (eHi <= eLo) eHi = eLo + 1;
        int n = Math.max(1, res.rows().size());
        final int fLo = eLo, fHi = eHi;
        java.util.function.DoubleUnaryOperator y = e -> {
            double le = e <= 0 ? fLo : Double.isInfinite(e) ? fHi : Math.log10(e);
            le = Math.max(fLo, Math.min(fHi, le));
            return top + ph - (le - fLo) / (fHi - fLo) * ph;
        };
        java.util.function.IntToDoubleFunction x = i -> left + (n == 1 ? pw / 2.0 : i * (double) pw / (n - 1));
        StringBuilder b = new StringBuilder();
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(w).append("\" height=\"").append(h)
                .append("\" viewBox=\"0 0 ").append(w).append(' ').append(h).append("\" role=\"img\" aria-label=\"").append(res.quantized() ? "1 - cosine" : "max abs error").append(" per tensor\">\n");
        b.append("<rect x=\"0\" y=\"0\" width=\"").append(w).append("\" height=\"").append(h).append("\" fill=\"#fff\"/>\n");
        b.append("<text x=\"").append(left).append("\" y=\"16\" font-weight=\"600\">").append(res.quantized()
                ? "1 - cosine per tensor (mean over the samples), graph order (log scale)" : "max abs error per tensor, graph order (log scale)").append("</text>\n");
        for (int e = eLo; e <= eHi; e++) {
            double yy = y.applyAsDouble(Math.pow(10, e));
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>", left, left + pw, yy, yy));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#666\">1e%d</text>%n", left - 6, yy + 4, e));
        }
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#999\"/>", left, left + pw, top + ph, top + ph));
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#999\"/>%n", left, left, top, top + ph));
        if (atol > 0) {
            double ya = y.applyAsDouble(atol);
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#d33\" stroke-dasharray=\"6 4\"/>", left, left + pw, ya, ya));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#d33\">%s</text>%n", left + pw, ya - 4,
                    res.quantized() ? "cosine " + thr(res.options().minCosine()) : "atol " + num(atol)));
        }
        // polyline through the compared tensors
        StringBuilder pts = new StringBuilder();
        for (Row r : res.rows()) {
            if (r.stats() == null) continue;
            pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x.applyAsDouble(r.index()), y.applyAsDouble(val(res, r))));
        }
        if (pts.length() > 0) b.append("<polyline fill=\"none\" stroke=\"#9bb\" stroke-width=\"1\" points=\"").append(pts.toString().trim()).append("\"/>\n");
        for (Row r : res.rows()) {
            double xx = x.applyAsDouble(r.index());
            String tip = "#" + r.index() + " " + r.opType() + " " + (r.node().isEmpty() ? r.onnxName() : r.node()) + ": " + status(r.status());
            if (r.stats() == null) {
                String col = r.status() == Status.NOT_MAPPED ? "#bbb" : "#d33";
                b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"%s\"><title>%s</title></line>%n",
                        xx, xx, top + ph + 4, top + ph + 10, col, esc(tip + (r.note() == null ? "" : " (" + r.note() + ")"))));
                continue;
            }
            double e = val(res, r);
            String col = r.status() == Status.PASS ? "#2a9d3f" : "#d33";
            double rad = r == res.firstFail() ? 5 : r.modelOutput() ? 4.5 : 2.8;
            String extra = r == res.firstFail() ? " stroke=\"#000\" stroke-width=\"1.5\"" : r.modelOutput() ? " stroke=\"#000\"" : "";
            b.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"%s><title>%s</title></circle>%n",
                    xx, y.applyAsDouble(e), rad, e == 0 ? "#fff" : col, e == 0 ? " stroke=\"" + col + "\"" : extra, esc(tip + (res.quantized() ? ", cosine " + cos(1 - e) : ", max abs " + num(e)))));
        }
        if (res.firstFail() != null) {
            Row f = res.firstFail();
            double xx = x.applyAsDouble(f.index());
            double yy = f.stats() == null ? top + ph : y.applyAsDouble(val(res, f));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#a11b12\" font-weight=\"600\"%s>%s: #%d %s</text>%n",
                    xx + (xx > left + pw * 0.7 ? -8 : 8), Math.max(top + 12, yy - 8), xx > left + pw * 0.7 ? " text-anchor=\"end\"" : "",
                    res.quantized() ? "drift starts" : "first failing", f.index(), esc(f.opType() + " " + nodeLabel(f))));
        }
        b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#666\">tensor # in graph order (0..%d); "
                + "green pass, red fail, hollow: exact, grey ticks: not mapped, black ring: model output</text>%n", left + pw / 2.0, h - 10, n - 1));
        b.append("</svg>");
        return b.toString();
    }

    /** A table row in its status colour (the first failing row on red). */
    static String colored(String line, Row r, boolean first) {
        String c = first ? BOLD_RED_BG : switch (r.status()) {
            case PASS -> GREEN;
            case FAIL, ERROR -> RED;
            case NOT_MAPPED -> GREY;
        };
        return c + line + RESET;
    }

    /** The CSS class of a report row (the first failing row has its own). */
    static String htmlClass(Row r, Result res) {
        return r == res.firstFail() ? "first fail" : switch (r.status()) {
            case PASS -> "pass";
            case FAIL -> "fail";
            case ERROR -> "error";
            case NOT_MAPPED -> "nm";
        };
    }
}
