package dev.onnxport.backends.quant;

import dev.onnxport.backends.Pipelines;
import dev.onnxport.backends.tflite.TfliteBackend;
import dev.onnxport.backends.tflite.TfliteOptions;
import dev.onnxport.backends.tflite.TfliteQuantizer;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.passes.PassOptions;
import dev.onnxport.schemas.onnx.OnnxProto;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * ONNX -> full-integer TFLite: the TFLite pipeline and the float32 emitter, the calibration run, then
 * {@link TfliteQuantizer} on the emitted model description.
 */
public final class Int8Pipeline {
    private Int8Pipeline() {}

    /**
     * @param edgeTpu rewrite ops that the Edge TPU lacks into ones it has ({@link EdgeTpuRewrites}) instead of fusing
     *                hard-swish, and fail when an op cannot be quantized (set quantization.integerOnly too)
     */
    /**
     * @param biasCorrection take the expected shift caused by weight rounding off each conv / fully-connected bias,
     *                       measured on the calibration data ({@link TfliteQuantizer#quantize(TfliteBackend.Emitted, Map, Map, TfliteQuantizer.Options)})
     */
    public record Options(Calibrator.Options calibration, TfliteQuantizer.Options quantization, boolean edgeTpu, boolean biasCorrection) {
        public static final Options DEFAULT = new Options(Calibrator.Options.DEFAULT, TfliteQuantizer.Options.DEFAULT, false, true);

        public Options(Calibrator.Options calibration, TfliteQuantizer.Options quantization) { this(calibration, quantization, false, true); }

        public Options(Calibrator.Options calibration, TfliteQuantizer.Options quantization, boolean edgeTpu) {
            this(calibration, quantization, edgeTpu, true);
        }
    }

    public record Output(byte[] model, TfliteQuantizer.Result quantization, Calibrator.Result calibration) {}

    /** ONNX -> dynamic-range TFLite (int8 weights, float32 activations); g is changed in place. */
    public static byte[] dynamicRange(Graph g, PassOptions passes, TfliteQuantizer.Options o) {
        return dynamicRange(g, passes, java.util.Set.of(), o);
    }

    /** As above, leaving out the named decompositions of the TFLite pipeline (the CLI's --no-pass). */
    public static byte[] dynamicRange(Graph g, PassOptions passes, java.util.Set<String> skip, TfliteQuantizer.Options o) {
        Pipelines.prepareTflite(g, passes, skip);
        TfliteBackend.Emitted em = new TfliteBackend().emitModel(g, TfliteOptions.FLOAT32);
        return TfliteQuantizer.dynamicRange(em.model(), em.inputs(), em.outputs(), o).finish();
    }

    /** The graph's inputs as calibration sees them (ONNX layout; -1 for a dim that is not fixed). Call before the passes. */
    public static List<CalibrationData.InputInfo> inputs(Graph g) {
        List<CalibrationData.InputInfo> r = new ArrayList<>();
        for (Value v : g.inputs()) {
            Shape s = v.shape();
            long[] dims = new long[s == null ? 0 : s.rank()];
            for (int i = 0; i < dims.length; i++) {
                Dim d = s.dim(i);
                dims[i] = d.isKnown() ? d.value() : -1;
            }
            r.add(new CalibrationData.InputInfo(v.name(), v.dtype(), dims));
        }
        return r;
    }

    /**
     * Converts g (as loaded from onnx, input shapes applied; changed in place) to a full-integer TFLite model.
     *
     * @param samples calibration inputs by ONNX input name, in the ONNX layout (see {@link CalibrationData})
     */
    public static Output convert(Graph g, OnnxProto.ModelProto onnx, PassOptions passes, List<Map<String, Tensor>> samples, Options o) {
        return convert(g, onnx, passes, java.util.Set.of(), samples, o);
    }

    /** As above, leaving out the named decompositions of the TFLite pipeline (the CLI's --no-pass). */
    public static Output convert(Graph g, OnnxProto.ModelProto onnx, PassOptions passes, java.util.Set<String> skip,
                                 List<Map<String, Tensor>> samples, Options o) {
        Pipelines.prepareTflite(g, passes, skip);
        if (o.edgeTpu()) {
            for (Value v : g.inputs()) if (v.shape() == null || !v.shape().isStatic())
                throw new ConversionException("--to edgetpu needs static shapes: input '" + v.name() + "' is " + v.shape()
                        + "; fix it with --input-shape or --batch");
            EdgeTpuRewrites.apply(g);
        } else {
            FuseHardSwish.apply(g);
        }
        TfliteBackend.Emitted em = new TfliteBackend().emitModel(g, TfliteOptions.FLOAT32);
        java.util.Set<Integer> meanOf = o.biasCorrection() ? TfliteQuantizer.biasCorrectionInputs(em.model()) : java.util.Set.of();
        Calibrator.Result cal = Calibrator.calibrate(onnx, g, em, samples, meanOf, o.calibration());
        TfliteQuantizer.Result q = TfliteQuantizer.quantize(em, cal.ranges(), cal.channelMeans(), o.quantization());
        return new Output(q.finish(), q, cal);
    }
}
