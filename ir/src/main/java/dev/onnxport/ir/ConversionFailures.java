package dev.onnxport.ir;

import java.util.List;

/** Every node that could not be converted, reported together before anything is written. */
public final class ConversionFailures extends ConversionException {
    private final List<ConversionException> failures;

    public ConversionFailures(String what, List<ConversionException> failures) {
        super(render(what, failures));
        this.failures = List.copyOf(failures);
    }

    public List<ConversionException> failures() { return failures; }

    private static String render(String what, List<ConversionException> fs) {
        StringBuilder sb = new StringBuilder(what).append(": ").append(fs.size()).append(fs.size() == 1 ? " node" : " nodes")
                .append(" cannot be converted");
        for (ConversionException e : fs) sb.append("\n  - ").append(e.getMessage());
        return sb.toString();
    }
}
