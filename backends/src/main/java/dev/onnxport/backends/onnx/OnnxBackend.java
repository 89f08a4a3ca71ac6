package dev.onnxport.backends.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.UnsafeByteOperations;
import dev.onnxport.backends.check.ProvenanceMetadata;
import dev.onnxport.ir.Attr;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.schemas.onnx.OnnxProto.AttributeProto;
import dev.onnxport.schemas.onnx.OnnxProto.GraphProto;
import dev.onnxport.schemas.onnx.OnnxProto.ModelProto;
import dev.onnxport.schemas.onnx.OnnxProto.NodeProto;
import dev.onnxport.schemas.onnx.OnnxProto.OperatorSetIdProto;
import dev.onnxport.schemas.onnx.OnnxProto.StringStringEntryProto;
import dev.onnxport.schemas.onnx.OnnxProto.TensorProto;
import dev.onnxport.schemas.onnx.OnnxProto.TensorShapeProto;
import dev.onnxport.schemas.onnx.OnnxProto.TypeProto;
import dev.onnxport.schemas.onnx.OnnxProto.ValueInfoProto;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes an IR {@link Graph} as an ONNX model. The output is deterministic: the same graph gives byte-identical
 * bytes.
 *
 * <ul>
 *   <li>Graph inputs and outputs become ValueInfos (symbolic dims as dim_param, unknown shapes left out).</li>
 *   <li>Constants that something reads (a node, here or in a subgraph, or a graph output) become initializers.</li>
 *   <li>Nodes keep their order, names, domains and value names; an omitted optional input is written as "",
 *       trailing omitted inputs are dropped; attributes named "onnxport.*" are internal and are not written.</li>
 *   <li>Subgraphs (If/Loop/Scan bodies) are written recursively and may read outer-scope values by name. A name a
 *       subgraph defines that shadows an outer-scope name is renamed (ONNX forbids shadowing).</li>
 *   <li>Intermediate values with a known element type are listed in value_info.</li>
 * </ul>
 */
public final class OnnxBackend {
    /** Above this many initializer bytes, {@link #emit(Graph, OnnxOptions, Path)} writes external data. */
    public static final long EXTERNAL_DATA_THRESHOLD = 1_900_000_000L;
    /** Offsets in the external data file are multiples of this. */
    public static final int EXTERNAL_ALIGNMENT = 4096;
    /** In external-data mode, initializers smaller than this stay inline. */
    public static final long EXTERNAL_MIN_TENSOR_BYTES = 1024;
    /** The standard-domain opset used when neither the graph nor its nodes say one. */
    public static final int DEFAULT_OPSET = 17;
    static final String INTERNAL_ATTR_PREFIX = "onnxport.";

    private OnnxBackend() {}

    /** The model as a protobuf message, with every initializer inline. */
    public static ModelProto toModel(Graph g, OnnxOptions opts) {
        return new Writer(g, opts, null).model();
    }

    /** The serialized model, with every initializer inline. Fails for models whose initializers exceed 1.9 GB. */
    public static byte[] emit(Graph g, OnnxOptions opts) {
        long total = initializerBytes(g);
        if (total > EXTERNAL_DATA_THRESHOLD)
            throw new ConversionException("graph '" + g.name() + "' has " + total + " bytes of initializers, more than a"
                    + " single protobuf can hold; write it to a file so that the weights go to external data");
        return serialize(toModel(g, opts));
    }

    /**
     * Writes the model to {@code outFile}. When its initializers total more than 1.9 GB, the initializers of at least
     * {@value #EXTERNAL_MIN_TENSOR_BYTES} bytes go to {@code <outFile>.data} next to it (4096-aligned offsets).
     *
     * @return the files written: the model, then the external data file if there is one
     */
    public static List<Path> emit(Graph g, OnnxOptions opts, Path outFile) throws IOException {
        return emit(g, opts, outFile, EXTERNAL_DATA_THRESHOLD);
    }

    /** As {@link #emit(Graph, OnnxOptions, Path)}, with the external-data threshold given in bytes. */
    public static List<Path> emit(Graph g, OnnxOptions opts, Path outFile, long externalThreshold) throws IOException {
        Path abs = outFile.toAbsolutePath();
        if (abs.getParent() != null) Files.createDirectories(abs.getParent());
        if (initializerBytes(g) <= externalThreshold) {
            ModelProto m = toModel(g, opts);
            writeModel(m, abs);
            return List.of(abs);
        }
        Path dataFile = abs.resolveSibling(abs.getFileName().toString() + ".data");
        ModelProto m;
        try (FileChannel ch = FileChannel.open(dataFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ExternalSink sink = new ExternalSink(ch, dataFile.getFileName().toString());
            try {
                m = new Writer(g, opts, sink).model();
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
        writeModel(m, abs);
        return List.of(abs, dataFile);
    }

    /** Deterministic protobuf serialization. */
    public static byte[] serialize(ModelProto m) {
        byte[] out = new byte[m.getSerializedSize()];
        CodedOutputStream cos = CodedOutputStream.newInstance(out);
        cos.useDeterministicSerialization();
        try {
            m.writeTo(cos);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        cos.checkNoSpaceLeft();
        return out;
    }

    private static void writeModel(ModelProto m, Path file) throws IOException {
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            CodedOutputStream cos = CodedOutputStream.newInstance(os, 1 << 16);
            cos.useDeterministicSerialization();
            m.writeTo(cos);
            cos.flush();
        }
    }

    /** The ONNX IR version that goes with a standard-domain opset version. */
    public static int irVersionFor(int opset) {
        if (opset <= 8) return 3;
        return switch (opset) {
            case 9 -> 4;
            case 10 -> 5;
            case 11 -> 6;
            case 12, 13, 14 -> 7;
            case 15, 16, 17, 18 -> 8;
            case 19, 20 -> 9;
            case 21, 22 -> 10;
            default -> 11;
        };
    }

    /** Bytes of initializer data the model will hold (constants that are read, in every graph). */
    public static long initializerBytes(Graph g) {
        Set<Value> refs = referenced(g);
        long[] total = {0};
        forEachGraph(g, sub -> {
            for (Value c : sub.constants()) {
                if (!refs.contains(c)) continue;
                Tensor t = c.constant();
                if (t.strings() != null) for (String s : t.strings()) total[0] += s.getBytes(StandardCharsets.UTF_8).length;
                else total[0] += t.byteSize();
            }
        });
        return total[0];
    }

    // ------------------------------------------------------------------------------------------------------------

    private static void forEachGraph(Graph g, java.util.function.Consumer<Graph> f) {
        f.accept(g);
        for (Node n : g.nodes()) for (Attr a : n.attrs().asMap().values()) {
            if (a instanceof Attr.GraphAttr ga) forEachGraph(ga.value(), f);
            else if (a instanceof Attr.Graphs gs) for (Graph s : gs.value()) forEachGraph(s, f);
        }
    }

    /** Every value read by a node or listed as a graph output, in g and its subgraphs. */
    private static Set<Value> referenced(Graph g) {
        Set<Value> r = Collections.newSetFromMap(new IdentityHashMap<>());
        forEachGraph(g, sub -> {
            r.addAll(sub.outputs());
            for (Node n : sub.nodes()) for (Value v : n.inputs()) if (v != null) r.add(v);
            // constants that subgraphs read by name from this scope
            java.util.Set<String> byName = sub.namesReadBySubgraphs();
            for (Value c : sub.constants()) if (byName.contains(c.name())) r.add(c);
        });
        return r;
    }

    /** Writes aligned tensor data into the external data file. */
    private static final class ExternalSink {
        final FileChannel ch;
        final String location;
        long end;

        ExternalSink(FileChannel ch, String location) { this.ch = ch; this.location = location; }

        long write(ByteBuffer data) {
            long off = (end + EXTERNAL_ALIGNMENT - 1) / EXTERNAL_ALIGNMENT * EXTERNAL_ALIGNMENT;
            ByteBuffer b = data.duplicate();
            long pos = off;
            try {
                while (b.hasRemaining()) pos += ch.write(b, pos);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            end = pos;
            return off;
        }
    }

    /** A lexical scope: the names defined by one graph, and its enclosing graph's scope. */
    private static final class Scope {
        final Scope parent;
        final Map<String, Value> byName = new HashMap<>();
        final Map<Value, String> byValue = new IdentityHashMap<>();

        Scope(Scope parent) { this.parent = parent; }

        boolean nameVisible(String n) {
            for (Scope s = this; s != null; s = s.parent) if (s.byName.containsKey(n)) return true;
            return false;
        }

        String nameOf(Value v) {
            for (Scope s = this; s != null; s = s.parent) {
                String n = s.byValue.get(v);
                if (n != null) return n;
            }
            return null;
        }
    }

    private static final class Writer {
        final Graph main;
        final OnnxOptions opts;
        final ExternalSink sink;
        final Set<Value> refs;
        final Set<String> allNames = new HashSet<>();
        final Map<String, Integer> opsets;
        final int irVersion;

        Writer(Graph main, OnnxOptions opts, ExternalSink sink) {
            this.main = main;
            this.opts = opts == null ? OnnxOptions.DEFAULT : opts;
            this.sink = sink;
            this.refs = referenced(main);
            forEachGraph(main, sub -> {
                for (Value v : sub.inputs()) allNames.add(v.name());
                for (Value v : sub.constants()) allNames.add(v.name());
                for (Node n : sub.nodes()) for (Value v : n.outputs()) allNames.add(v.name());
            });
            this.opsets = opsetImports();
            this.irVersion = irVersionFor(opsets.get(""));
        }

        ModelProto model() {
            ModelProto.Builder m = ModelProto.newBuilder()
                    .setIrVersion(irVersion)
                    .setProducerName(opts.producer() == null ? "onnxport" : opts.producer());
            for (Map.Entry<String, Integer> e : opsets.entrySet())
                m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(e.getKey()).setVersion(e.getValue()));
            m.setGraph(graph(main, null));
            // values whose ONNX tensor is not the one of their name (JSON, see ProvenanceMetadata), for onnxport check
            ProvenanceMetadata prov = provenance(main);
            if (!prov.entries.isEmpty())
                m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(ProvenanceMetadata.NAME).setValue(prov.toJson()));
            return m.build();
        }

        /**
         * The values of the main graph whose ONNX tensor is not the one of their own name: renamed or folded values
         * (a folded constant 'x_folded' carries 'x'), values made by passes (no ONNX tensor: null). Every other value
         * carries the ONNX tensor of its name. Empty for most models, and then not written.
         */
        private static ProvenanceMetadata provenance(Graph g) {
            ProvenanceMetadata p = new ProvenanceMetadata();
            List<Value> values = new ArrayList<>(g.inputs());
            for (Node n : g.nodes()) values.addAll(n.outputs());
            values.addAll(g.constants());
            for (Value v : values) {
                dev.onnxport.ir.Provenance pr = v.provenance();
                String onnx = pr == null ? null : pr.onnxName();
                boolean identity = pr == null || pr.isIdentity();
                if (v.name().equals(onnx) && identity) continue;
                p.entries.add(new ProvenanceMetadata.Entry(-1, v.name(), onnx, identity ? null : pr.perm()));
            }
            return p;
        }

        /** "" first (always present), then the other domains in name order. */
        private Map<String, Integer> opsetImports() {
            Map<String, Integer> declared = new TreeMap<>();
            forEachGraph(main, sub -> {
                for (Map.Entry<String, Integer> e : sub.opsets().entrySet()) {
                    String d = e.getKey() == null || e.getKey().equals("ai.onnx") ? "" : e.getKey();
                    if (e.getValue() == null || e.getValue() <= 0) continue;
                    // the main graph's own entries win; subgraphs only fill in domains it lacks
                    if (sub == main) declared.put(d, e.getValue());
                    else if (!main.opsets().containsKey(d)) declared.merge(d, e.getValue(), Math::max);
                }
            });
            Map<String, Integer> fromNodes = new TreeMap<>();
            forEachGraph(main, sub -> {
                for (Node n : sub.nodes()) fromNodes.merge(n.domain(), Math.max(n.opset(), 0), Math::max);
            });
            for (Map.Entry<String, Integer> e : fromNodes.entrySet()) {
                if (declared.containsKey(e.getKey())) continue;
                if (e.getValue() > 0) declared.put(e.getKey(), e.getValue());
                else if (!e.getKey().isEmpty()) declared.put(e.getKey(), 1);
            }
            if (opts.opset() != null) {
                if (opts.opset() < 1) throw new ConversionException("invalid opset " + opts.opset());
                declared.put("", opts.opset());
            }
            declared.putIfAbsent("", DEFAULT_OPSET);
            Map<String, Integer> r = new LinkedHashMap<>();
            r.put("", declared.remove(""));
            r.putAll(declared);
            return r;
        }

        private String define(Scope s, Value v) {
            String name = v.name();
            if (name == null || name.isEmpty()) throw new ConversionException("a value in the graph has no name");
            if (s.parent != null && s.parent.nameVisible(name)) {
                String base = name;
                int i = 1;
                do { name = base + "_" + i++; } while (allNames.contains(name) || s.nameVisible(name));
                allNames.add(name);
            } else if (s.byName.containsKey(name) && s.byName.get(name) != v) {
                throw new ConversionException("value name '" + name + "' is defined twice");
            }
            s.byName.put(name, v);
            s.byValue.put(v, name);
            return name;
        }

        private String resolve(Scope s, Value v, String what) {
            String n = s.nameOf(v);
            if (n != null) return n;
            // a placeholder for an outer-scope value, referenced by its name
            if (s.nameVisible(v.name())) return v.name();
            throw new ConversionException("value '" + v.name() + "' (" + what + ") is not defined before it is read");
        }

        GraphProto graph(Graph g, Scope outer) {
            Scope s = new Scope(outer);
            GraphProto.Builder gb = GraphProto.newBuilder().setName(g.name());
            for (Value v : g.inputs()) gb.addInput(valueInfo(define(s, v), v.type()));
            List<ValueInfoProto> initInputs = new ArrayList<>();
            for (Value c : g.constants()) {
                if (!refs.contains(c)) continue;
                String name = define(s, c);
                gb.addInitializer(tensor(c.constant(), name, true));
                if (irVersion < 4 && outer == null) initInputs.add(valueInfo(name, c.type()));
            }
            gb.addAllInput(initInputs);
            Set<Value> outs = Collections.newSetFromMap(new IdentityHashMap<>());
            outs.addAll(g.outputs());
            List<ValueInfoProto> valueInfos = new ArrayList<>();
            for (Node n : g.nodes()) {
                try {
                    gb.addNode(node(n, s, outs, valueInfos));
                } catch (UncheckedIOException e) {
                    throw e;
                } catch (RuntimeException e) {
                    throw ConversionException.wrap(e, n);
                }
            }
            for (Value v : g.outputs()) gb.addOutput(valueInfo(resolve(s, v, "output of graph '" + g.name() + "'"), v.type()));
            gb.addAllValueInfo(valueInfos);
            return gb.build();
        }

        private NodeProto node(Node n, Scope s, Set<Value> graphOutputs, List<ValueInfoProto> valueInfos) {
            NodeProto.Builder nb = NodeProto.newBuilder().setOpType(n.opType());
            if (n.name() != null && !n.name().isEmpty()) nb.setName(n.name());
            if (!n.domain().isEmpty()) nb.setDomain(n.domain());
            List<String> ins = new ArrayList<>();
            for (int i = 0; i < n.inputCount(); i++) {
                Value v = n.input(i);
                ins.add(v == null ? "" : resolve(s, v, "input " + i));
            }
            while (!ins.isEmpty() && ins.get(ins.size() - 1).isEmpty()) ins.remove(ins.size() - 1);
            nb.addAllInput(ins);
            for (Map.Entry<String, Attr> e : n.attrs().asMap().entrySet()) {
                if (e.getKey().startsWith(INTERNAL_ATTR_PREFIX)) continue;
                try {
                    nb.addAttribute(attribute(e.getKey(), e.getValue(), s));
                } catch (ConversionException ce) {
                    throw ce.addContext("attribute '" + e.getKey() + "'");
                }
            }
            // outputs are defined after the attributes: a subgraph sees only what precedes its node
            List<String> outs = new ArrayList<>();
            for (int i = 0; i < n.outputs().size(); i++) {
                Value o = n.output(i);
                if (isOmittedOutput(n, i, o, graphOutputs)) { outs.add(""); continue; }
                String name = define(s, o);
                outs.add(name);
                if (!graphOutputs.contains(o) && o.type() != null && o.type().dtype() != null)
                    valueInfos.add(valueInfo(name, o.type()));
            }
            while (!outs.isEmpty() && outs.get(outs.size() - 1).isEmpty()) outs.remove(outs.size() - 1);
            nb.addAllOutput(outs);
            return nb.build();
        }

        /** An optional output the source model left out (addNodeExact names it "<node>_unused<i>"), still unread. */
        private boolean isOmittedOutput(Node n, int i, Value o, Set<Value> graphOutputs) {
            return o.provenance() == null && !refs.contains(o) && !graphOutputs.contains(o)
                    && o.name().startsWith(n.name() + "_unused" + i);
        }

        private AttributeProto attribute(String name, Attr a, Scope s) {
            AttributeProto.Builder b = AttributeProto.newBuilder().setName(name);
            if (a instanceof Attr.Int x) {
                b.setType(AttributeProto.AttributeType.INT).setI(x.value());
            } else if (a instanceof Attr.Float x) {
                b.setType(AttributeProto.AttributeType.FLOAT).setF(x.value());
            } else if (a instanceof Attr.Str x) {
                b.setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(x.value()));
            } else if (a instanceof Attr.Ints x) {
                b.setType(AttributeProto.AttributeType.INTS);
                for (long v : x.value()) b.addInts(v);
            } else if (a instanceof Attr.Floats x) {
                b.setType(AttributeProto.AttributeType.FLOATS);
                for (float v : x.value()) b.addFloats(v);
            } else if (a instanceof Attr.Strs x) {
                b.setType(AttributeProto.AttributeType.STRINGS);
                for (String v : x.value()) b.addStrings(ByteString.copyFromUtf8(v));
            } else if (a instanceof Attr.TensorAttr x) {
                b.setType(AttributeProto.AttributeType.TENSOR).setT(tensor(x.value(), null, false));
            } else if (a instanceof Attr.GraphAttr x) {
                b.setType(AttributeProto.AttributeType.GRAPH).setG(graph(x.value(), s));
            } else if (a instanceof Attr.Tensors x) {
                b.setType(AttributeProto.AttributeType.TENSORS);
                for (Tensor t : x.value()) b.addTensors(tensor(t, null, false));
            } else if (a instanceof Attr.Graphs x) {
                b.setType(AttributeProto.AttributeType.GRAPHS);
                for (Graph sub : x.value()) b.addGraphs(graph(sub, s));
            } else {
                throw new ConversionException("unsupported attribute kind " + a.getClass().getSimpleName());
            }
            return b.build();
        }

        private TensorProto tensor(Tensor t, String name, boolean mayBeExternal) {
            TensorProto.Builder b = TensorProto.newBuilder().setDataType(t.dtype().onnxCode());
            for (long d : t.shape()) b.addDims(d);
            if (name != null) b.setName(name);
            if (t.strings() != null) {
                for (String v : t.strings()) b.addStringData(ByteString.copyFromUtf8(v));
            } else if (mayBeExternal && sink != null && t.byteSize() >= EXTERNAL_MIN_TENSOR_BYTES) {
                long off = sink.write(t.data());
                b.setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(entry("location", sink.location))
                        .addExternalData(entry("offset", Long.toString(off)))
                        .addExternalData(entry("length", Long.toString(t.byteSize())));
            } else {
                b.setRawData(UnsafeByteOperations.unsafeWrap(t.data()));
            }
            return b.build();
        }

        private static StringStringEntryProto entry(String k, String v) {
            return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
        }

        private static ValueInfoProto valueInfo(String name, ValueType t) {
            ValueInfoProto.Builder b = ValueInfoProto.newBuilder().setName(name);
            if (t != null && t.dtype() != null) {
                TypeProto.Tensor.Builder tt = TypeProto.Tensor.newBuilder().setElemType(t.dtype().onnxCode());
                Shape sh = t.shape();
                if (sh != null) {
                    TensorShapeProto.Builder sb = TensorShapeProto.newBuilder();
                    for (Dim d : sh.dims()) {
                        TensorShapeProto.Dimension.Builder db = TensorShapeProto.Dimension.newBuilder();
                        if (d instanceof Dim.Known k) db.setDimValue(k.value());
                        else if (d instanceof Dim.Sym sy && sy.name() != null && !sy.name().isEmpty()) db.setDimParam(sy.name());
                        sb.addDim(db);
                    }
                    tt.setShape(sb);
                }
                b.setType(TypeProto.newBuilder().setTensorType(tt));
            }
            return b.build();
        }
    }
}
