package dev.onnxport.backends.check;

import dev.onnxport.ir.Tensor;

import java.util.List;
import java.util.Map;

/**
 * A converted model seen by {@code onnxport check}: which of its tensors carry which ONNX tensors, and a way to run
 * it and read those tensors. One implementation per target format (TFLite in the 2.6 interpreter, ONNX in
 * onnxruntime); SavedModel or OpenVINO plug in the same way.
 */
public interface TargetRunner extends AutoCloseable {
    /** "tflite", "onnx", ... */
    String format();

    /** The runtime that runs it, for reports (e.g. "TFLite 2.6 interpreter"). */
    String runtime();

    /** The model's inputs, each with the ONNX input it is fed from (and that input's axis order). */
    List<Mapped> inputs();

    /** Every tensor that carries an ONNX tensor, in the target's order (inputs, constants and activations). */
    List<Mapped> mapping();

    /**
     * Runs the model once on {@code inputs} (by target input name, already in the target's layout and shape) and
     * returns the values of {@code wanted} (constants are read from the file), in the target's own layout and dtype.
     * A tensor that cannot be read is left out of the result.
     */
    Map<Mapped, Tensor> run(Map<String, Tensor> inputs, List<Mapped> wanted);

    /** False when the file carries no onnxport provenance and the mapping was guessed from tensor names. */
    boolean hasProvenance();

    @Override void close();
}
