package dev.onnxport.cli.profiles;

import dev.onnxport.ir.Attr;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Value;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The versions of every standard-domain ONNX op (the resource {@code onnx-op-versions.txt}, generated from the onnx
 * package by {@code scripts/gen-onnx-op-versions.py}), and which version steps a given node survives.
 *
 * <p>A node in a model of opset N is an instance of version {@link #versionAt(String, int) versionAt(op, N)}: the
 * newest version at or below N. Written into a file of another opset, or read by a target that knows only older
 * versions, it means the same only when every version step in between is <em>compatible for that node</em>: the
 * step only added element types the node does not use, optional attributes the node leaves at their default, or
 * optional trailing inputs the node does not pass.
 */
public final class OpVersions {
    /** What one version step added; {@code breaking} when the step may change meaning for any node. */
    record Step(int version, boolean breaking, Set<String> addedTypes, Map<String, String> addedAttrs, int addedInputsFrom) {}

    private static final OpVersions STANDARD = load();

    private final Map<String, List<Step>> ops;

    private OpVersions(Map<String, List<Step>> ops) { this.ops = ops; }

    public static OpVersions standard() { return STANDARD; }

    private static OpVersions load() {
        try (InputStream in = OpVersions.class.getResourceAsStream("/onnx-op-versions.txt")) {
            if (in == null) throw new IllegalStateException("resource onnx-op-versions.txt is missing");
            return parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static OpVersions parse(List<String> lines) {
        Map<String, List<Step>> ops = new TreeMap<>();
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] f = line.split("\\s+");
            List<Step> steps = new ArrayList<>();
            for (int i = 1; i < f.length; i++) steps.add(step(f[i], i == 1));
            ops.put(f[0], List.copyOf(steps));
        }
        return new OpVersions(ops);
    }

    /** "13+bfloat16~allowzero=0#3": version 13, added the type bfloat16, the attribute allowzero (default 0), inputs from 3. */
    private static Step step(String s, boolean first) {
        int i = 0;
        while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
        int version = Integer.parseInt(s.substring(0, i));
        String tags = s.substring(i);
        if (tags.isEmpty()) return new Step(version, !first, Set.of(), Map.of(), Integer.MAX_VALUE);
        Set<String> types = new java.util.TreeSet<>();
        Map<String, String> attrs = new TreeMap<>();
        int from = Integer.MAX_VALUE;
        for (String t : tags.split("(?=[+~#])")) {
            if (t.isEmpty()) continue;
            String body = t.substring(1);
            switch (t.charAt(0)) {
                case '+' -> types.addAll(List.of(body.split(",")));
                case '~' -> {
                    int eq = body.indexOf('=');
                    attrs.put(body.substring(0, eq), body.substring(eq + 1));
                }
                case '#' -> from = Integer.parseInt(body);
                default -> throw new IllegalArgumentException("bad version tag '" + s + "'");
            }
        }
        return new Step(version, false, Collections.unmodifiableSet(types), Collections.unmodifiableMap(attrs), from);
    }

    /** True when op is a standard-domain op listed in the table. */
    public boolean knows(String op) { return ops.containsKey(op); }

    /** All op names in the table. */
    public Set<String> ops() { return Collections.unmodifiableSet(ops.keySet()); }

    /** The versions at which op changed, oldest first (empty for an unknown op). */
    public List<Integer> versions(String op) {
        List<Integer> r = new ArrayList<>();
        for (Step s : ops.getOrDefault(op, List.of())) r.add(s.version());
        return r;
    }

    /** The version of op in effect at opset {@code opset}: the newest at or below it; 0 when the op does not exist yet. */
    public int versionAt(String op, int opset) {
        int v = 0;
        for (Step s : ops.getOrDefault(op, List.of())) if (s.version() <= opset) v = s.version();
        return v;
    }

    /**
     * Why node n (an instance of version {@code from} of its op) cannot be read as version {@code to}, or null when it
     * can. Going up, every step must be compatible; going down, the node must also not use what those steps added.
     */
    public String whyNot(Node n, int from, int to) {
        if (from == to) return null;
        String op = n.opType();
        int lo = Math.min(from, to), hi = Math.max(from, to);
        for (Step s : ops.getOrDefault(op, List.of())) {
            if (s.version() <= lo || s.version() > hi) continue;
            if (s.breaking()) return op + "-" + s.version() + " changed the op's meaning or signature";
            if (to > from) continue;
            for (Value v : values(n)) {
                String t = v == null ? null : onnxTypeName(v.dtype());
                if (t != null && s.addedTypes().contains(t)) return "element type " + t + " needs " + op + "-" + s.version();
            }
            for (Map.Entry<String, String> a : s.addedAttrs().entrySet()) {
                Attr attr = n.attrs().get(a.getKey());
                if (attr != null && !isDefault(attr, a.getValue()))
                    return "attribute '" + a.getKey() + "' needs " + op + "-" + s.version();
            }
            for (int i = s.addedInputsFrom(); i < n.inputCount(); i++)
                if (n.hasInput(i)) return "input " + i + " needs " + op + "-" + s.version();
        }
        return null;
    }

    private static List<Value> values(Node n) {
        List<Value> r = new ArrayList<>(n.inputs());
        r.addAll(n.outputs());
        return r;
    }

    private static boolean isDefault(Attr a, String dflt) {
        try {
            if (a instanceof Attr.Int i) return i.value() == Long.parseLong(dflt);
            if (a instanceof Attr.Float f) return f.value() == Float.parseFloat(dflt);
            if (a instanceof Attr.Str s) return s.value().equals(dflt);
        } catch (NumberFormatException e) {
            return false;
        }
        return false;
    }

    private static final Map<DType, String> NAMES = new HashMap<>();

    static {
        for (DType d : DType.values()) {
            NAMES.put(d, switch (d) {
                case FLOAT32 -> "float";
                case FLOAT64 -> "double";
                default -> d.name().toLowerCase(Locale.ROOT);
            });
        }
    }

    /** The ONNX type name of an element type ("float", "double", "int64", "bfloat16", ...), or null. */
    public static String onnxTypeName(DType d) { return d == null ? null : NAMES.get(d); }
}
