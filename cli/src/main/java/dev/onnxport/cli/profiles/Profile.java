package dev.onnxport.cli.profiles;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A target profile: what an inference target can read. Profiles are data, one text file each under
 * {@code cli/src/main/resources/profiles/} (the names are listed in {@code profiles/index.txt}), one entry a line:
 * <pre>
 * # a comment
 * name portable-opset11
 * description Any ONNX runtime that reads opset 11
 * target onnx              (onnx: convert --to onnx checks models against it; tflite: the TFLite backend's own)
 * opset 11                 (the default-domain opset written; absent: keep the model's)
 * pass gridsample-decompose   (the passes the target needs, in order; repeatable)
 * op Conv 11               (an op the target reads, and the newest version of it it knows; domain-qualified
 *                           for other domains, e.g. "op com.microsoft.Inverse 1")
 * </pre>
 */
public record Profile(String name, String description, String target, Integer opset, List<String> passes, Map<String, Integer> ops) {
    public Profile {
        passes = List.copyOf(passes);
        ops = Collections.unmodifiableMap(new LinkedHashMap<>(ops));
    }

    /** The names of the built-in profiles, in the order of {@code profiles/index.txt}. */
    public static List<String> builtinNames() {
        List<String> r = new ArrayList<>();
        for (String l : resourceLines("index.txt")) {
            String s = l.strip();
            if (!s.isEmpty() && !s.startsWith("#")) r.add(s);
        }
        return r;
    }

    /** A built-in profile by name, or a profile file when {@code nameOrFile} is a path to one. */
    public static Profile load(String nameOrFile) {
        if (builtinNames().contains(nameOrFile)) return parse(resourceLines(nameOrFile + ".txt"), "profile '" + nameOrFile + "'");
        Path p = Path.of(nameOrFile);
        if ((nameOrFile.contains("/") || nameOrFile.contains(".")) && Files.isRegularFile(p)) {
            try {
                return parse(Files.readAllLines(p, StandardCharsets.UTF_8), "profile file '" + p + "'");
            } catch (IOException e) {
                throw new IllegalArgumentException("profile file '" + p + "': cannot read: " + e.getMessage(), e);
            }
        }
        throw new IllegalArgumentException("unknown profile '" + nameOrFile + "' (built-in: " + String.join(", ", builtinNames())
                + "; or give the path of a profile file)");
    }

    private static List<String> resourceLines(String file) {
        try (InputStream in = Profile.class.getResourceAsStream("/profiles/" + file)) {
            if (in == null) throw new IllegalStateException("resource profiles/" + file + " is missing");
            return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses a profile; errors name the source and the line. */
    public static Profile parse(List<String> lines, String source) {
        String name = null, description = "", target = "onnx";
        Integer opset = null;
        List<String> passes = new ArrayList<>();
        Map<String, Integer> ops = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] kv = line.split("\\s+", 2);
            String key = kv[0], rest = kv.length > 1 ? kv[1].strip() : "";
            String where = source + ", line " + (i + 1);
            switch (key) {
                case "name" -> name = rest;
                case "description" -> description = rest;
                case "target" -> {
                    if (!rest.equals("onnx") && !rest.equals("tflite")) throw new IllegalArgumentException(where + ": target must be onnx or tflite");
                    target = rest;
                }
                case "opset" -> opset = number(rest, where);
                case "pass" -> {
                    if (rest.isEmpty() || rest.contains(" ")) throw new IllegalArgumentException(where + ": 'pass' takes one pass name");
                    passes.add(rest);
                }
                case "op" -> {
                    String[] f = rest.split("\\s+");
                    if (f.length != 2) throw new IllegalArgumentException(where + ": 'op' takes an op name and its newest supported version");
                    if (ops.put(f[0], number(f[1], where)) != null) throw new IllegalArgumentException(where + ": op " + f[0] + " is listed twice");
                }
                default -> throw new IllegalArgumentException(where + ": unknown entry '" + key + "'");
            }
        }
        if (name == null || name.isEmpty()) throw new IllegalArgumentException(source + ": no 'name' line");
        return new Profile(name, description, target, opset, passes, ops);
    }

    private static int number(String s, String where) {
        try {
            int v = Integer.parseInt(s);
            if (v < 1) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": '" + s + "' is not a positive version number");
        }
    }
}
