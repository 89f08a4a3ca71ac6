package dev.onnxport.conformance;

import dev.onnxport.frontends.onnx.OnnxFrontend;
import dev.onnxport.ir.Tensor;
import dev.onnxport.schemas.onnx.OnnxProto;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/** One ONNX backend node test case: model.onnx and its test_data_set_N folders. */
public record NodeCase(String suite, String name, Path dir) {
    public Path model() { return dir.resolve("model.onnx"); }

    /** The qualified op types of the model's main graph and its subgraphs (Constant nodes included). */
    public Set<String> ops() {
        OnnxProto.ModelProto m = OnnxFrontend.parse(model());
        Set<String> ops = new LinkedHashSet<>();
        collect(m.getGraph(), ops);
        return ops;
    }

    private static void collect(OnnxProto.GraphProto g, Set<String> ops) {
        for (OnnxProto.NodeProto n : g.getNodeList()) {
            String d = n.getDomain().equals("ai.onnx") ? "" : n.getDomain();
            ops.add(d.isEmpty() ? n.getOpType() : d + "." + n.getOpType());
            for (OnnxProto.AttributeProto a : n.getAttributeList()) {
                if (a.hasG()) collect(a.getG(), ops);
                for (OnnxProto.GraphProto sg : a.getGraphsList()) collect(sg, ops);
            }
        }
    }

    public List<Path> dataSets() {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("test_data_set_")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Inputs of a data set keyed by the model's input names (positional). */
    public Map<String, Tensor> inputs(Path dataSet, List<String> inputNames) { return read(dataSet, "input_", inputNames); }

    public Map<String, Tensor> outputs(Path dataSet, List<String> outputNames) { return read(dataSet, "output_", outputNames); }

    private static Map<String, Tensor> read(Path ds, String prefix, List<String> names) {
        Map<String, Tensor> r = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            Path p = ds.resolve(prefix + i + ".pb");
            if (!Files.exists(p)) break;
            r.put(names.get(i), OnnxFrontend.readTensorFile(p));
        }
        return r;
    }

    /** Every case of every suite found on this machine. */
    public static List<NodeCase> all() {
        List<NodeCase> r = new ArrayList<>();
        for (Map.Entry<String, Path> s : TestData.nodeSuites().entrySet()) {
            try (Stream<Path> st = Files.list(s.getValue())) {
                st.filter(p -> Files.exists(p.resolve("model.onnx"))).sorted()
                        .forEach(p -> r.add(new NodeCase(s.getKey(), p.getFileName().toString(), p)));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return r;
    }
}
