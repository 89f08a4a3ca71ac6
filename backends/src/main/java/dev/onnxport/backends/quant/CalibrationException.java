package dev.onnxport.backends.quant;

/**
 * Bad calibration input: a missing or unreadable file or folder, an array of the wrong shape or type, an image that
 * cannot be decoded, a checksum mismatch, or a model whose inputs the given data cannot feed. The CLI reports it as
 * a usage error (exit 2) and writes nothing.
 */
public class CalibrationException extends RuntimeException {
    public CalibrationException(String message) { super(message); }

    public CalibrationException(String message, Throwable cause) { super(message, cause); }
}
