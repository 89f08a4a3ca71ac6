package dev.onnxport.cli;

import dev.onnxport.backends.quant.RangeStats;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The quantization options of {@code convert} (a picocli mixin). */
final class QuantOptions {
    enum Granularity { PER_CHANNEL, PER_TENSOR }

    enum IoDtype { FLOAT32, INT8, UINT8 }

    enum ChannelOrder { RGB, BGR }

    /** Accepts the enum names lower-case with '-' for '_' (per-channel, float32). */
    static final class Lower<E extends Enum<E>> implements ITypeConverter<E> {
        private final Class<E> type;

        Lower(Class<E> type) { this.type = type; }

        @Override public E convert(String v) {
            try {
                return Enum.valueOf(type, v.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                List<String> ok = new ArrayList<>();
                for (E c : type.getEnumConstants()) ok.add(c.name().toLowerCase(Locale.ROOT).replace('_', '-'));
                throw new CommandLine.TypeConversionException("'" + v + "' is not one of " + String.join(", ", ok));
            }
        }
    }

    static final class GranularityConverter implements ITypeConverter<Granularity> {
        @Override public Granularity convert(String v) { return new Lower<>(Granularity.class).convert(v); }
    }

    static final class IoDtypeConverter implements ITypeConverter<IoDtype> {
        @Override public IoDtype convert(String v) { return new Lower<>(IoDtype.class).convert(v); }
    }

    static final class OrderConverter implements ITypeConverter<ChannelOrder> {
        @Override public ChannelOrder convert(String v) { return new Lower<>(ChannelOrder.class).convert(v); }
    }

    static final class MethodConverter implements ITypeConverter<RangeStats.Method> {
        @Override public RangeStats.Method convert(String v) { return new Lower<>(RangeStats.Method.class).convert(v); }
    }

    @Option(names = "--int8", description = {"tflite: also write <stem>_full_integer_quant.tflite: int8 weights (symmetric, per channel) and int8 "
            + "activations calibrated on --calib data, int32 biases (TFLite int8 quantization spec)."})
    boolean int8;

    @Option(names = "--int16-activations", description = {"--int8: write the 16x8 variant instead, "
            + "<stem>_full_integer_quant_with_int16_act.tflite: int16 activations (symmetric, zero point 0), int8 weights, int64 "
            + "biases; ops without an int16 kernel in TFLite 2.6 stay float32. Float32 I/O only; calibration takes min/max "
            + "unless --calib-method is given (mse is not offered: it models int8 steps)."})
    boolean int16Activations;

    @Option(names = "--dynamic-range", description = "tflite: also write <stem>_dynamic_range_quant.tflite: int8 weights, float32 activations "
            + "(no calibration).")
    boolean dynamicRange;

    @Option(names = "--calib", paramLabel = "SPEC", description = {"Calibration data for --int8 (repeatable; default: coco20): coco20 (20 MS-COCO images, "
            + "built in: $ONNXPORT_DATA/coco20, ~/.cache/onnxport/coco20, else downloaded once and checked), a folder of .jpg/.png images, "
            + "a .npy file (images NHWC or NCHW, uint8 or float), or NAME=FILE.npy for one input (needed for each input of a "
            + "multi-input or non-image model; [samples, ...input dims] fed as they are)."})
    List<String> calib = new ArrayList<>();

    @Option(names = "--calib-mean", split = ",", paramLabel = "M[,M,M]",
            description = "Image calibration data: per-channel mean subtracted after scaling (default 0).")
    double[] calibMean;

    @Option(names = "--calib-std", split = ",", paramLabel = "S[,S,S]",
            description = "Image calibration data: per-channel std divided by after the mean (default 1): x = (v * scale - mean) / std.")
    double[] calibStd;

    @Option(names = "--calib-scale", paramLabel = "F",
            description = "Image calibration data: factor applied to the pixel values first (default 1/255 for uint8 images, 1 for float arrays).")
    Double calibScale;

    @Option(names = "--calib-order", paramLabel = "rgb|bgr", converter = OrderConverter.class, defaultValue = "rgb",
            description = "Image calibration data: channel order the model expects (default: ${DEFAULT-VALUE}).")
    ChannelOrder calibOrder;

    @Option(names = "--calib-method", paramLabel = "minmax|percentile|mse", converter = MethodConverter.class, defaultValue = "percentile",
            description = "How an activation's range is taken from the calibration values: min/max, the percentiles (100-P, P), or "
                    + "the range of least int8 squared error (default: percentile).")
    RangeStats.Method calibMethod;

    @Option(names = "--calib-percentile", paramLabel = "P", defaultValue = "99.99",
            description = "The percentile of --calib-method percentile (50 < P <= 100, default: ${DEFAULT-VALUE}).")
    double calibPercentile;

    @Option(names = "--quant-granularity", paramLabel = "per-channel|per-tensor", converter = GranularityConverter.class,
            defaultValue = "per-channel", description = "Weight scales of CONV_2D, DEPTHWISE_CONV_2D and TRANSPOSE_CONV (default: per-channel); "
            + "FULLY_CONNECTED weights are per tensor unless --fc-per-channel.")
    Granularity granularity;

    @Option(names = "--fc-per-channel", description = "FULLY_CONNECTED weights per output channel (default: per tensor). Needs a current "
            + "LiteRT: TFLite 2.6 ignores the per-channel scales.")
    boolean fcPerChannel;

    @Option(names = "--io-dtype", paramLabel = "float32|int8|uint8", converter = IoDtypeConverter.class, defaultValue = "float32",
            description = "--int8: type of the model's float inputs and outputs: float32 (QUANTIZE/DEQUANTIZE inside the model), int8 or "
                    + "uint8 (default: ${DEFAULT-VALUE}).")
    IoDtype ioDtype;

    @Option(names = "--int8-float-head", description = "--int8 with float32 I/O: keep the model's final LOGISTIC/SOFTMAX/TANH (and the "
            + "reshapes/transposes after them) in float32; their int8 outputs have fixed 1/256 (1/128) steps, too coarse for small "
            + "probabilities such as a detector's scores.")
    boolean floatHead;

    @Option(names = "--no-bias-correction", description = "--int8: leave the biases as they are. By default the expected output shift "
            + "that rounding the weights to int8 causes (sum of weight error x the input's mean per channel on the calibration data) "
            + "is taken off each CONV_2D and FULLY_CONNECTED bias.")
    boolean noBiasCorrection;

    boolean anyCalibrationOption(CommandLine.ParseResult pr) {
        for (String o : List.of("--calib", "--calib-mean", "--calib-std", "--calib-scale", "--calib-order", "--calib-method",
                "--calib-percentile", "--io-dtype", "--int8-float-head", "--no-bias-correction"))
            if (pr.hasMatchedOption(o)) return true;
        return false;
    }

    boolean anyWeightOption(CommandLine.ParseResult pr) {
        return pr.hasMatchedOption("--quant-granularity") || pr.hasMatchedOption("--fc-per-channel");
    }
}
