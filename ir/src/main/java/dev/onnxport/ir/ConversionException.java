package dev.onnxport.ir;

import java.util.ArrayList;
import java.util.List;

/**
 * A conversion error that gathers context as it travels up: the node, the pass, the file.
 * The message renders as {@code file 'm.onnx': node 'conv_3' (Conv, opset 17): attribute 'pads': ...}.
 */
public class ConversionException extends RuntimeException {
    private final List<String> context = new ArrayList<>();
    private final String detail;

    public ConversionException(String detail) { super(detail); this.detail = detail; }

    public ConversionException(String detail, Throwable cause) { super(detail, cause); this.detail = detail; }

    /** Adds an outer context line (e.g. "node 'x' (Conv)"); innermost context comes last. */
    public ConversionException addContext(String ctx) {
        if (!context.contains(ctx)) context.add(0, ctx);
        return this;
    }

    public ConversionException addContext(Node n) { return addContext(n.describe()); }

    public String detail() { return detail; }

    public List<String> context() { return List.copyOf(context); }

    @Override public String getMessage() {
        if (context.isEmpty()) return detail;
        return String.join(": ", context) + ": " + detail;
    }

    /** Wraps any runtime failure so that it carries the node's context. */
    public static ConversionException wrap(RuntimeException e, Node n) {
        ConversionException ce = e instanceof ConversionException c ? c
                : new ConversionException(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
        return ce.addContext(n);
    }
}
