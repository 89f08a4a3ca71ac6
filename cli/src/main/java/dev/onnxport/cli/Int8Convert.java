package dev.onnxport.cli;

import dev.onnxport.backends.quant.CalibrationData;
import dev.onnxport.backends.quant.CalibrationException;
import dev.onnxport.backends.quant.Calibrator;
import dev.onnxport.backends.quant.Int8Pipeline;
import dev.onnxport.backends.tflite.TfliteQuantizer;
import dev.onnxport.frontends.onnx.OnnxFrontend;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Tensor;
import dev.onnxport.passes.PassOptions;
import dev.onnxport.schemas.onnx.OnnxProto;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The --int8 conversion of {@link ConvertCommand}: calibration data, calibration run, quantization. */
final class Int8Convert {
    private Int8Convert() {}

    static TfliteQuantizer.Options quantOptions(QuantOptions q) {
        TfliteQuantizer.IoType io = switch (q.ioDtype) {
            case FLOAT32 -> TfliteQuantizer.IoType.FLOAT32;
            case INT8 -> TfliteQuantizer.IoType.INT8;
            case UINT8 -> TfliteQuantizer.IoType.UINT8;
        };
        return new TfliteQuantizer.Options(q.granularity == QuantOptions.Granularity.PER_CHANNEL, q.fcPerChannel, io, false, q.floatHead,
                q.int16Activations);
    }

    /** The calibration samples for g's inputs (before the passes); bad data is a usage error. */
    static List<Map<String, Tensor>> samples(Graph g, QuantOptions q, PrintWriter err, boolean quiet) {
        List<CalibrationData.InputInfo> inputs = Int8Pipeline.inputs(g);
        Set<String> names = new LinkedHashSet<>();
        for (CalibrationData.InputInfo i : inputs) names.add(i.name());
        List<String> specs = q.calib.isEmpty() ? List.of("coco20") : q.calib;
        List<CalibrationData.Source> sources = new ArrayList<>();
        for (String s : specs) sources.add(CalibrationData.parse(s, names));
        if (q.floatHead && q.ioDtype != QuantOptions.IoDtype.FLOAT32)
            throw new CalibrationException("--int8-float-head needs --io-dtype float32");
        if (q.calibPercentile <= 50 || q.calibPercentile > 100)
            throw new CalibrationException("--calib-percentile " + q.calibPercentile + " is outside (50, 100]");
        CalibrationData.Preprocess pp = new CalibrationData.Preprocess(q.calibMean == null ? new double[] {0} : q.calibMean,
                q.calibStd == null ? new double[] {1} : q.calibStd, q.calibScale, q.calibOrder == QuantOptions.ChannelOrder.BGR);
        return CalibrationData.samples(sources, inputs, pp, m -> {
            if (!quiet) {
                err.println("onnxport: " + m);
                err.flush();
            }
        });
    }

    /** A progress bar on stderr, only when it is a terminal. */
    static Calibrator.Progress progress(PrintWriter err, boolean quiet) {
        if (quiet || System.console() == null) return Calibrator.Progress.NONE;
        return new Calibrator.Progress() {
            boolean shown;

            @Override public void update(String phase, int done, int total) {
                int w = 30, f = total == 0 ? w : (int) ((long) done * w / total);
                err.print("\r" + phase + " [" + "#".repeat(f) + "-".repeat(w - f) + "] " + done + "/" + total);
                err.flush();
                shown = true;
            }

            @Override public void finish() {
                if (shown) {
                    err.println();
                    err.flush();
                }
            }
        };
    }

    /** Converts; returns the model bytes (warnings about ops left in float32 go to err). */
    static byte[] convert(Path model, Graph g, List<Map<String, Tensor>> samples, QuantOptions q, PassOptions passes, java.util.Set<String> skip,
                          PrintWriter err, boolean quiet, boolean edgeTpu) {
        OnnxProto.ModelProto proto = OnnxFrontend.parse(model);
        Calibrator.Options co = new Calibrator.Options(q.calibMethod, q.calibPercentile, progress(err, quiet));
        TfliteQuantizer.Options qo = quantOptions(q);
        if (edgeTpu) qo = new TfliteQuantizer.Options(qo.perChannel(), qo.fcPerChannel(), qo.io(), true, false);
        Int8Pipeline.Output out = Int8Pipeline.convert(g, proto, passes, skip, samples, new Int8Pipeline.Options(co, qo, edgeTpu, !q.noBiasCorrection));
        TfliteQuantizer.Result r = out.quantization();
        if (!quiet && r.biasCorrected() > 0)
            err.println("onnxport: " + (q.int16Activations ? "16x8" : "int8") + ": bias correction on " + r.biasCorrected() + " CONV_2D/FULLY_CONNECTED ops (--no-bias-correction to leave it out)");
        if (!quiet && q.fcPerChannel)
            err.println("onnxport: warning: --fc-per-channel: the TFLite 2.6 runtime ignores per-channel FULLY_CONNECTED scales and computes "
                    + "wrong results with such a file; current LiteRT reads it correctly");
        if (!quiet && !r.floatOps().isEmpty()) {
            StringBuilder b = new StringBuilder("onnxport: warning: ").append(q.int16Activations ? "16x8" : "int8").append(": ").append(r.totalOps() - r.int8Ops()).append(" of ").append(r.totalOps())
                    .append(" ops stay float32 (between DEQUANTIZE and QUANTIZE):");
            for (Map.Entry<String, Integer> e : r.floatOps().entrySet())
                b.append(' ').append(e.getKey()).append(" x").append(e.getValue()).append(" (").append(r.floatReasons().get(e.getKey())).append(");");
            b.setLength(b.length() - 1);
            err.println(b);
            err.flush();
        }
        return out.model();
    }
}
