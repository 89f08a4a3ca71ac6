package dev.onnxport.cli;

import tflite.Buffer;
import tflite.BuiltinOperator;
import tflite.Metadata;
import tflite.Model;
import tflite.Operator;
import tflite.OperatorCode;
import tflite.SignatureDef;
import tflite.SubGraph;
import tflite.Tensor;
import tflite.TensorMap;
import tflite.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Summarises a TFLite flatbuffer with the generated schema readers. */
final class TfliteInspector {
    private TfliteInspector() {}

    /** True when the buffer carries the TFLite file identifier "TFL3" (bytes 4..7). */
    static boolean looksLikeTflite(byte[] head) {
        return head.length >= 8 && head[4] == 'T' && head[5] == 'F' && head[6] == 'L' && head[7] == '3';
    }

    /** Reads the model; throws IllegalArgumentException when the bytes are not a readable TFLite model. */
    static ModelInfo inspect(byte[] bytes, String file) {
        if (bytes.length < 8) throw new IllegalArgumentException("not a TFLite model: file is only " + bytes.length + " bytes");
        if (!looksLikeTflite(bytes)) throw new IllegalArgumentException("not a TFLite model: no 'TFL3' file identifier");
        try {
            return read(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN), file, bytes.length);
        } catch (RuntimeException e) {
            // the readers follow offsets blindly: a truncated or corrupt file fails with an index error
            throw new IllegalArgumentException("not a valid TFLite model (corrupt or truncated flatbuffer: " + e + ")", e);
        }
    }

    private static ModelInfo read(ByteBuffer bb, String file, long size) {
        Model m = Model.getRootAsModel(bb);
        ModelInfo info = new ModelInfo();
        info.format = "TFLite";
        info.file = file;
        info.sizeBytes = size;
        info.header.put("schema_version", m.version());
        if (m.description() != null) info.header.put("description", m.description());
        info.header.put("subgraphs", m.subgraphsLength());
        for (int i = 0; i < m.metadataLength(); i++) {
            Metadata md = m.metadata(i);
            if ("min_runtime_version".equals(md.name())) info.header.put("min_runtime_version", bufferString(m, (int) md.buffer()));
        }
        if (m.subgraphsLength() == 0) throw new IllegalArgumentException("the model has no subgraph");
        SubGraph main = m.subgraphs(0);
        for (int i = 0; i < main.inputsLength(); i++) info.inputs.add(desc(main.tensors(main.inputs(i))));
        for (int i = 0; i < main.outputsLength(); i++) info.outputs.add(desc(main.tensors(main.outputs(i))));
        for (int i = 0; i < m.signatureDefsLength(); i++) {
            SignatureDef s = m.signatureDefs(i);
            SubGraph sg = m.subgraphs((int) s.subgraphIndex());
            info.signatures.add(new ModelInfo.Signature(s.signatureKey(), s.subgraphIndex(), maps(sg, s, true), maps(sg, s, false)));
        }
        Map<String, int[]> hist = new LinkedHashMap<>(); // label -> [version, count]
        Map<String, String> opName = new LinkedHashMap<>();
        Set<Long> counted = new HashSet<>();
        long ops = 0, params = 0;
        for (int s = 0; s < m.subgraphsLength(); s++) {
            SubGraph sg = m.subgraphs(s);
            for (int i = 0; i < sg.operatorsLength(); i++) {
                Operator op = sg.operators(i);
                OperatorCode c = m.operatorCodes((int) op.opcodeIndex());
                String name = opName(c);
                String key = name + "\u0000" + c.version();
                hist.computeIfAbsent(key, k -> new int[] {c.version(), 0})[1]++;
                opName.put(key, name);
                ops++;
            }
            for (int i = 0; i < sg.tensorsLength(); i++) {
                Tensor t = sg.tensors(i);
                long b = t.buffer();
                if (b <= 0 || b >= m.buffersLength() || !counted.add(b)) continue;
                Buffer buf = m.buffers((int) b);
                if (buf.dataLength() == 0 && !(buf.offset() > 1 && buf.size() > 0)) continue;
                long n = 1;
                for (int d = 0; d < t.shapeLength(); d++) n *= Math.max(t.shape(d), 0);
                params += n;
            }
        }
        for (Map.Entry<String, int[]> e : hist.entrySet())
            info.ops.add(new ModelInfo.OpCount(opName.get(e.getKey()), e.getValue()[0], e.getValue()[1]));
        info.sortOps();
        info.nodeCount = ops;
        info.parameterCount = params;
        return info;
    }

    /** The builtin name (BuiltinOperator.name) or "CUSTOM(code)" for custom ops. */
    static String opName(OperatorCode c) {
        int code = Math.max(c.deprecatedBuiltinCode(), c.builtinCode());
        if (code == BuiltinOperator.CUSTOM) return "CUSTOM(" + c.customCode() + ")";
        if (code >= 0 && code < BuiltinOperator.names.length) return BuiltinOperator.name(code);
        return "BUILTIN_" + code;
    }

    private static List<String[]> maps(SubGraph sg, SignatureDef s, boolean inputs) {
        List<String[]> r = new ArrayList<>();
        int n = inputs ? s.inputsLength() : s.outputsLength();
        for (int i = 0; i < n; i++) {
            TensorMap tm = inputs ? s.inputs(i) : s.outputs(i);
            String tensor = sg != null && tm.tensorIndex() < sg.tensorsLength() ? sg.tensors((int) tm.tensorIndex()).name() : "#" + tm.tensorIndex();
            r.add(new String[] {tm.name(), tensor});
        }
        return r;
    }

    static ModelInfo.TensorDesc desc(Tensor t) {
        List<String> shape = new ArrayList<>();
        if (t.shapeSignatureLength() > 0) {
            for (int i = 0; i < t.shapeSignatureLength(); i++) shape.add(t.shapeSignature(i) < 0 ? "?" : Integer.toString(t.shapeSignature(i)));
        } else {
            for (int i = 0; i < t.shapeLength(); i++) shape.add(Integer.toString(t.shape(i)));
        }
        return new ModelInfo.TensorDesc(t.name(), typeName(t.type()), shape);
    }

    static String typeName(byte type) {
        int i = type & 0xff;
        return i < TensorType.names.length ? TensorType.name(i).toLowerCase(Locale.ROOT) : "type" + i;
    }

    private static String bufferString(Model m, int idx) {
        if (idx < 0 || idx >= m.buffersLength()) return "?";
        ByteBuffer b = m.buffers(idx).dataAsByteBuffer();
        if (b == null) return "";
        byte[] a = new byte[b.remaining()];
        b.get(a);
        int n = 0;
        while (n < a.length && a[n] != 0) n++;
        return new String(a, 0, n, StandardCharsets.UTF_8);
    }
}
