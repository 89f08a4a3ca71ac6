package dev.onnxport.backends.tflite;

import dev.onnxport.backends.tflite.TfliteIndexEmit.T;

import java.util.List;

/** Uses TFLite's RESIZE_NEAREST_NEIGHBOR / RESIZE_BILINEAR kernels where they sample exactly like ONNX. */
final class TfliteIndexResizeKernel {
    private TfliteIndexResizeKernel() {}

    static boolean tryKernel(TfliteIndexEmit e, TfliteIndexResize.Cfg cfg, T x, T out, boolean nhwc, List<TfliteIndexResize.AxisPlan> todo) {
        return false;
    }
}
