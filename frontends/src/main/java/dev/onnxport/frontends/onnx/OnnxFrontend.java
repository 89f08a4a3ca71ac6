package dev.onnxport.frontends.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.onnxport.ir.Attr;
import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.schemas.onnx.OnnxProto;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads an ONNX model (protobuf) into the IR: initializers and Constant nodes become constants, value_info gives
 * types, external data is resolved only inside the model's folder, subgraph attributes are parsed recursively.
 * Unknown ops are kept as they are, so that every unsupported node can be reported together later.
 */
public final class OnnxFrontend {
    /**
     * Lowest and highest default-domain opset read. Opsets 7 to 22 are the supported range; older and newer ones
     * are read as well, and each op's conversion decides whether it understands that version.
     */
    public static final int MIN_OPSET = 1, MAX_OPSET = 27;

    private final Path modelFile;
    private final Path baseDir;
    private final Map<String, FileChannel> openFiles = new HashMap<>();

    private OnnxFrontend(Path modelFile) {
        this.modelFile = modelFile;
        Path parent = modelFile.toAbsolutePath().getParent();
        this.baseDir = parent == null ? Path.of(".").toAbsolutePath() : parent;
    }

    /** A loaded model: its main graph and the model-level metadata. */
    public record Model(Graph graph, long irVersion, String producer, Map<String, Integer> opsets) {}

    public static Model load(Path file) {
        OnnxFrontend f = new OnnxFrontend(file);
        try {
            return f.read();
        } catch (ConversionException e) {
            throw e.addContext("file '" + file + "'");
        } finally {
            f.close();
        }
    }

    /** Parses a ModelProto with no size limit below 2 GB (bigger models keep their weights in external data). */
    public static OnnxProto.ModelProto parse(Path file) {
        try {
            long size = Files.size(file);
            if (size == 0) throw new ConversionException("file is empty, not an ONNX model");
            try (InputStream in = Files.newInputStream(file)) {
                CodedInputStream cis = CodedInputStream.newInstance(in, 1 << 16);
                cis.setSizeLimit(Integer.MAX_VALUE);
                cis.setRecursionLimit(512);
                OnnxProto.ModelProto m = OnnxProto.ModelProto.parseFrom(cis);
                if (!m.hasGraph()) throw new ConversionException("not an ONNX model: no graph in the protobuf");
                return m;
            }
        } catch (InvalidProtocolBufferException e) {
            throw new ConversionException("not a valid ONNX model (corrupt or truncated protobuf: " + e.getMessage() + ")");
        } catch (NoSuchFileException e) {
            throw new ConversionException("file not found");
        } catch (IOException e) {
            throw new ConversionException("cannot read: " + e.getMessage());
        }
    }

    private Model read() {
        OnnxProto.ModelProto m = parse(modelFile);
        Map<String, Integer> opsets = new java.util.LinkedHashMap<>();
        for (OnnxProto.OperatorSetIdProto o : m.getOpsetImportList()) {
            String d = o.getDomain().equals("ai.onnx") ? "" : o.getDomain();
            opsets.put(d, (int) o.getVersion());
        }
        if (!opsets.containsKey("")) {
            if (m.getOpsetImportCount() == 0) opsets.put("", 1);
        }
        int v = opsets.getOrDefault("", 0);
        if (opsets.containsKey("") && (v < MIN_OPSET || v > MAX_OPSET))
            throw new ConversionException("default-domain opset " + v + " is not supported (onnxport reads opsets " + MIN_OPSET + " to " + MAX_OPSET + ")");
        Graph g = readGraph(m.getGraph(), opsets, null);
        return new Model(g, m.getIrVersion(), m.getProducerName(), opsets);
    }

    private Graph readGraph(OnnxProto.GraphProto gp, Map<String, Integer> opsets, Map<String, ValueType> outer) {
        Graph g = new Graph(gp.getName().isEmpty() ? "main" : gp.getName());
        g.opsets().putAll(opsets);
        Map<String, Value> scope = new HashMap<>();
        Map<String, ValueType> infos = new HashMap<>();
        for (OnnxProto.ValueInfoProto vi : gp.getValueInfoList()) {
            ValueType t = type(vi.getType(), vi.getName());
            if (t != null) infos.put(vi.getName(), t);
        }
        for (OnnxProto.ValueInfoProto vi : gp.getOutputList()) {
            ValueType t = type(vi.getType(), vi.getName());
            if (t != null) infos.put(vi.getName(), t);
        }
        for (OnnxProto.TensorProto tp : gp.getInitializerList()) {
            Tensor t = tensor(tp);
            Value c = g.addConstant(tp.getName(), t);
            scope.put(tp.getName(), c);
        }
        for (OnnxProto.ValueInfoProto vi : gp.getInputList()) {
            if (scope.containsKey(vi.getName())) continue; // an initializer listed as input (IR < 4): a constant
            ValueType t = type(vi.getType(), vi.getName());
            if (t == null && outer == null)
                throw new ConversionException("graph input '" + vi.getName() + "' is not a tensor (sequence/map/optional inputs are not supported)");
            scope.put(vi.getName(), g.addInput(vi.getName(), t));
        }
        for (OnnxProto.NodeProto np : gp.getNodeList()) {
            String domain = np.getDomain().equals("ai.onnx") ? "" : np.getDomain();
            int opset = opsets.getOrDefault(domain, 0);
            String nodeName = np.getName().isEmpty() ? np.getOpType() + "_" + g.nodes().size() : np.getName();
            try {
                Attrs attrs = attrs(np, opsets, scope, outer, infos);
                if (domain.isEmpty() && np.getOpType().equals("Constant")) {
                    Tensor t = constantValue(attrs);
                    String out = np.getOutput(0);
                    Value c = g.addConstant(out, t);
                    if (!c.name().equals(out)) throw new ConversionException("value '" + out + "' is produced twice");
                    scope.put(out, c);
                    continue;
                }
                List<Value> ins = new ArrayList<>();
                for (String in : np.getInputList()) {
                    if (in.isEmpty()) { ins.add(null); continue; }
                    Value src = scope.get(in);
                    if (src == null && outer != null && outer.containsKey(in)) {
                        src = g.addOuterRef(in, outer.get(in));
                        scope.put(in, src);
                    } else if (src == null && outer != null) {
                        src = g.addOuterRef(in, null);
                        scope.put(in, src);
                    }
                    if (src == null) throw new ConversionException("input '" + in + "' is not produced by any node, graph input or initializer");
                    ins.add(src);
                }
                while (!ins.isEmpty() && ins.get(ins.size() - 1) == null) ins.remove(ins.size() - 1);
                Node n = g.addNodeExact(domain, np.getOpType(), nodeName, ins, attrs, opset, np.getOutputList());
                for (Value o : n.outputs()) {
                    ValueType t = infos.get(o.name());
                    if (t != null) o.setType(t);
                    if (!np.getOutputList().contains(o.name())) continue;
                    scope.put(o.name(), o);
                }
            } catch (ConversionException e) {
                throw e.addContext("node '" + nodeName + "' (" + (domain.isEmpty() ? "" : domain + ".") + np.getOpType() + ", opset " + opset + ")");
            }
        }
        for (OnnxProto.ValueInfoProto vi : gp.getOutputList()) {
            Value v = scope.get(vi.getName());
            if (v == null && outer != null) v = g.addOuterRef(vi.getName(), type(vi.getType(), vi.getName()));
            if (v == null) throw new ConversionException("graph output '" + vi.getName() + "' is not produced by any node");
            ValueType t = type(vi.getType(), vi.getName());
            if (v.type() == null && t != null) v.setType(t);
            g.addOutput(v);
        }
        return g;
    }

    private Attrs attrs(OnnxProto.NodeProto np, Map<String, Integer> opsets, Map<String, Value> scope, Map<String, ValueType> outer,
                        Map<String, ValueType> infos) {
        Attrs.Builder b = Attrs.builder();
        for (OnnxProto.AttributeProto a : np.getAttributeList()) {
            if (!a.getRefAttrName().isEmpty()) throw new ConversionException("attribute '" + a.getName() + "' refers to a function attribute; functions are not supported");
            Attr v = switch (a.getType()) {
                case INT -> new Attr.Int(a.getI());
                case FLOAT -> new Attr.Float(a.getF());
                case STRING -> new Attr.Str(a.getS().toString(StandardCharsets.UTF_8));
                case TENSOR -> new Attr.TensorAttr(tensor(a.getT()));
                case GRAPH -> new Attr.GraphAttr(subgraph(a.getG(), opsets, scope, outer, infos));
                case INTS -> new Attr.Ints(a.getIntsList().stream().mapToLong(Long::longValue).toArray());
                case FLOATS -> {
                    float[] f = new float[a.getFloatsCount()];
                    for (int i = 0; i < f.length; i++) f[i] = a.getFloats(i);
                    yield new Attr.Floats(f);
                }
                case STRINGS -> new Attr.Strs(a.getStringsList().stream().map(s -> s.toString(StandardCharsets.UTF_8)).toList());
                case TENSORS -> new Attr.Tensors(a.getTensorsList().stream().map(this::tensor).toList());
                case GRAPHS -> new Attr.Graphs(a.getGraphsList().stream().map(sg -> subgraph(sg, opsets, scope, outer, infos)).toList());
                case SPARSE_TENSOR, SPARSE_TENSORS -> throw new ConversionException("attribute '" + a.getName() + "': sparse tensors are not supported");
                case TYPE_PROTO, TYPE_PROTOS -> throw new ConversionException("attribute '" + a.getName() + "': type attributes are not supported");
                default -> throw new ConversionException("attribute '" + a.getName() + "' has no type");
            };
            b.put(a.getName(), v);
        }
        return b.build();
    }

    private Graph subgraph(OnnxProto.GraphProto sg, Map<String, Integer> opsets, Map<String, Value> scope, Map<String, ValueType> outer,
                           Map<String, ValueType> infos) {
        Map<String, ValueType> visible = new HashMap<>();
        if (outer != null) visible.putAll(outer);
        for (Map.Entry<String, Value> e : scope.entrySet()) visible.put(e.getKey(), e.getValue().type());
        return readGraph(sg, opsets, visible);
    }

    private static Tensor constantValue(Attrs a) {
        if (a.has("value")) return a.getTensor("value");
        if (a.has("value_float")) return Tensor.scalarFloat(a.getFloat("value_float", 0));
        if (a.has("value_floats")) { float[] f = a.getFloats("value_floats"); return Tensor.ofFloats(new long[] {f.length}, f); }
        if (a.has("value_int")) return Tensor.scalarLong(a.getInt("value_int", 0));
        if (a.has("value_ints")) { long[] l = a.getInts("value_ints"); return Tensor.ofLongs(new long[] {l.length}, l); }
        if (a.has("value_string")) return Tensor.ofStrings(new long[0], List.of(a.getString("value_string", "")));
        if (a.has("value_strings")) { List<String> s = a.getStrings("value_strings"); return Tensor.ofStrings(new long[] {s.size()}, s); }
        throw new ConversionException("Constant has no supported value attribute (sparse_value is not supported)");
    }

    static ValueType type(OnnxProto.TypeProto tp, String name) {
        if (!tp.hasTensorType()) return null;
        OnnxProto.TypeProto.Tensor tt = tp.getTensorType();
        if (tt.getElemType() == 0) return null;
        DType dt;
        try {
            dt = DType.fromOnnx(tt.getElemType());
        } catch (IllegalArgumentException e) {
            throw new ConversionException("value '" + name + "': " + e.getMessage());
        }
        if (!tt.hasShape()) return new ValueType(dt, null);
        List<Dim> dims = new ArrayList<>();
        for (OnnxProto.TensorShapeProto.Dimension d : tt.getShape().getDimList()) {
            if (d.hasDimValue() && d.getDimValue() >= 0) dims.add(Dim.of(d.getDimValue()));
            else dims.add(Dim.sym(d.hasDimParam() ? d.getDimParam() : ""));
        }
        return new ValueType(dt, Shape.of(dims));
    }

    /** Reads a TensorProto's data, from its typed fields, raw_data or external data. */
    Tensor tensor(OnnxProto.TensorProto tp) {
        String name = tp.getName();
        DType dt;
        try {
            dt = DType.fromOnnx(tp.getDataType());
        } catch (IllegalArgumentException e) {
            throw new ConversionException("tensor '" + name + "': " + e.getMessage());
        }
        long[] shape = tp.getDimsList().stream().mapToLong(Long::longValue).toArray();
        for (long d : shape) if (d < 0) throw new ConversionException("tensor '" + name + "' has a negative dimension");
        long n = Tensor.numel(shape);
        if (dt == DType.STRING) {
            List<String> s = new ArrayList<>();
            for (ByteString b : tp.getStringDataList()) s.add(b.toString(StandardCharsets.UTF_8));
            if (s.size() != n) throw new ConversionException("tensor '" + name + "' has " + s.size() + " strings for shape of " + n);
            return Tensor.ofStrings(shape, s);
        }
        long bytes = n * dt.size();
        if (tp.getDataLocation() == OnnxProto.TensorProto.DataLocation.EXTERNAL) {
            return Tensor.of(dt, shape, external(tp, bytes));
        }
        if (!tp.getRawData().isEmpty() || n == 0) {
            ByteBuffer raw = tp.getRawData().asReadOnlyByteBuffer();
            if (raw.remaining() != bytes)
                throw new ConversionException("tensor '" + name + "' has " + raw.remaining() + " bytes of raw data, its shape needs " + bytes);
            return Tensor.of(dt, shape, raw);
        }
        ByteBuffer b = Tensor.alloc(bytes);
        int count;
        switch (dt) {
            case FLOAT32 -> { count = tp.getFloatDataCount(); for (int i = 0; i < count && i < n; i++) b.putFloat(tp.getFloatData(i)); }
            case FLOAT64 -> { count = tp.getDoubleDataCount(); for (int i = 0; i < count && i < n; i++) b.putDouble(tp.getDoubleData(i)); }
            case INT64 -> { count = tp.getInt64DataCount(); for (int i = 0; i < count && i < n; i++) b.putLong(tp.getInt64Data(i)); }
            case UINT64 -> { count = tp.getUint64DataCount(); for (int i = 0; i < count && i < n; i++) b.putLong(tp.getUint64Data(i)); }
            case UINT32 -> { count = tp.getUint64DataCount(); for (int i = 0; i < count && i < n; i++) b.putInt((int) tp.getUint64Data(i)); }
            case INT32 -> { count = tp.getInt32DataCount(); for (int i = 0; i < count && i < n; i++) b.putInt(tp.getInt32Data(i)); }
            case INT16, UINT16, FLOAT16, BFLOAT16 -> { count = tp.getInt32DataCount(); for (int i = 0; i < count && i < n; i++) b.putShort((short) tp.getInt32Data(i)); }
            case INT8, UINT8, BOOL -> { count = tp.getInt32DataCount(); for (int i = 0; i < count && i < n; i++) b.put((byte) tp.getInt32Data(i)); }
            default -> throw new ConversionException("tensor '" + name + "' of type " + dt + " is not supported");
        }
        if (count != n) throw new ConversionException("tensor '" + name + "' has " + count + " values, its shape needs " + n);
        return Tensor.of(dt, shape, b.flip());
    }

    private ByteBuffer external(OnnxProto.TensorProto tp, long bytes) {
        String location = null;
        long offset = 0, length = -1;
        for (OnnxProto.StringStringEntryProto e : tp.getExternalDataList()) {
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset" -> offset = parseLong(e.getValue(), "offset", tp.getName());
                case "length" -> length = parseLong(e.getValue(), "length", tp.getName());
                default -> { }
            }
        }
        if (location == null || location.isEmpty())
            throw new ConversionException("tensor '" + tp.getName() + "' is stored externally but names no location");
        Path p = resolveInside(location, tp.getName());
        if (length < 0) length = bytes;
        if (length != bytes)
            throw new ConversionException("tensor '" + tp.getName() + "': external data length " + length + " does not match its shape (" + bytes + " bytes)");
        try {
            FileChannel ch = openFiles.get(p.toString());
            if (ch == null) {
                ch = FileChannel.open(p, StandardOpenOption.READ);
                openFiles.put(p.toString(), ch);
            }
            if (offset + length > ch.size())
                throw new ConversionException("tensor '" + tp.getName() + "': external data '" + location + "' has " + ch.size()
                        + " bytes, needs offset " + offset + " + length " + length);
            if (length > Integer.MAX_VALUE - 8)
                throw new ConversionException("tensor '" + tp.getName() + "' is larger than 2 GB; a single tensor that size is not supported");
            return ch.map(FileChannel.MapMode.READ_ONLY, offset, length).order(ByteOrder.LITTLE_ENDIAN);
        } catch (NoSuchFileException e) {
            throw new ConversionException("tensor '" + tp.getName() + "': external data file '" + location + "' is missing (looked in " + baseDir + ")");
        } catch (IOException e) {
            throw new ConversionException("tensor '" + tp.getName() + "': cannot read external data '" + location + "': " + e.getMessage());
        }
    }

    /** Resolves an external-data location, refusing any path that leaves the model's folder. */
    private Path resolveInside(String location, String tensor) {
        Path rel = Path.of(location);
        if (rel.isAbsolute())
            throw new ConversionException("tensor '" + tensor + "': external data path '" + location + "' is absolute; it must stay inside the model's folder");
        Path base = baseDir.normalize();
        Path p = base.resolve(rel).normalize();
        if (!p.startsWith(base))
            throw new ConversionException("tensor '" + tensor + "': external data path '" + location + "' leaves the model's folder");
        if (Files.exists(p)) {
            try {
                Path real = p.toRealPath();
                if (!real.startsWith(base.toRealPath()))
                    throw new ConversionException("tensor '" + tensor + "': external data path '" + location + "' leaves the model's folder (through a link)");
            } catch (IOException e) {
                throw new ConversionException("tensor '" + tensor + "': cannot resolve external data path '" + location + "'");
            }
        }
        return p;
    }

    private static long parseLong(String s, String what, String tensor) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new ConversionException("tensor '" + tensor + "': external data " + what + " '" + s + "' is not a number");
        }
    }

    private void close() {
        for (FileChannel c : openFiles.values()) {
            try { c.close(); } catch (IOException ignored) { }
        }
    }

    /** Reads a standalone TensorProto file (the node test suite's input_N.pb / output_N.pb). */
    public static Tensor readTensorFile(Path pb) {
        try {
            OnnxProto.TensorProto tp = OnnxProto.TensorProto.parseFrom(Files.readAllBytes(pb));
            return new OnnxFrontend(pb).tensor(tp);
        } catch (IOException e) {
            throw new ConversionException("cannot read tensor file '" + pb + "': " + e.getMessage());
        }
    }

    /** Name stored in a standalone TensorProto file. */
    public static String tensorFileName(Path pb) {
        try {
            return OnnxProto.TensorProto.parseFrom(Files.readAllBytes(pb)).getName();
        } catch (IOException e) {
            throw new ConversionException("cannot read tensor file '" + pb + "': " + e.getMessage());
        }
    }
}
