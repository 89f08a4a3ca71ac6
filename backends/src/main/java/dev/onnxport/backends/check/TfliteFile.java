package dev.onnxport.backends.check;

import tflite.Buffer;
import tflite.BuiltinOperator;
import tflite.Metadata;
import tflite.Model;
import tflite.Operator;
import tflite.OperatorCode;
import tflite.QuantizationParameters;
import tflite.SubGraph;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A read-only view of a TFLite flatbuffer's main subgraph (tensors, operators, inputs, outputs, metadata), and
 * {@link #withOutputs}: a debug copy of the file whose subgraph outputs include extra tensors.
 *
 * <p>How the debug copy is made: the TFLite 2.6 interpreter only lets you read tensors that are subgraph outputs
 * (others share arena memory). Rather than re-serializing the whole model (the generated classes have no object
 * API), the copy appends a new int32 vector (original outputs + extras) at the end of the buffer and points the
 * SubGraph's {@code outputs} field at it. Flatbuffer offsets are unsigned and point forward; the SubGraph table lies
 * before the end of the buffer, so an offset to data appended after everything else is valid. Nothing else moves,
 * so every other offset stays correct; the signature def is left as it was.
 */
public final class TfliteFile {
    /** Per-tensor or per-channel affine quantization: real = (q - zeroPoint) * scale. */
    public record Quant(float[] scale, long[] zeroPoint, int dim) {}

    public record TensorInfo(int index, String name, byte type, int[] shape, int[] signature, int buffer, boolean constant, Quant quant) {
        public String typeName() { return tflite.TensorType.name(type); }
    }

    public record OpInfo(int index, int builtin, String opName, int[] inputs, int[] outputs) {}

    private final byte[] bytes;
    private final ByteBuffer bb;
    private final Model model;
    private final List<TensorInfo> tensors = new ArrayList<>();
    private final List<OpInfo> ops = new ArrayList<>();
    private final int[] inputs, outputs;
    private final Map<String, byte[]> metadata = new LinkedHashMap<>();

    private TfliteFile(byte[] bytes) {
        this.bytes = bytes;
        this.bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        this.model = Model.getRootAsModel(bb);
        if (model.subgraphsLength() < 1) throw new IllegalArgumentException("the TFLite model has no subgraph");
        SubGraph sg = model.subgraphs(0);
        for (int i = 0; i < sg.tensorsLength(); i++) {
            tflite.Tensor t = sg.tensors(i);
            int[] shape = new int[t.shapeLength()];
            for (int k = 0; k < shape.length; k++) shape[k] = t.shape(k);
            int[] sig = null;
            if (t.shapeSignatureLength() > 0) {
                sig = new int[t.shapeSignatureLength()];
                for (int k = 0; k < sig.length; k++) sig[k] = t.shapeSignature(k);
            }
            int buf = (int) t.buffer();
            boolean constant = buf > 0 && buf < model.buffersLength() && model.buffers(buf).dataLength() > 0;
            Quant q = null;
            QuantizationParameters qp = t.quantization();
            if (qp != null && qp.scaleLength() > 0) {
                float[] sc = new float[qp.scaleLength()];
                for (int k = 0; k < sc.length; k++) sc[k] = qp.scale(k);
                long[] zp = new long[qp.zeroPointLength()];
                for (int k = 0; k < zp.length; k++) zp[k] = qp.zeroPoint(k);
                q = new Quant(sc, zp, qp.quantizedDimension());
            }
            tensors.add(new TensorInfo(i, t.name(), t.type(), shape, sig, buf, constant, q));
        }
        for (int i = 0; i < sg.operatorsLength(); i++) {
            Operator o = sg.operators(i);
            OperatorCode c = model.operatorCodes((int) o.opcodeIndex());
            int code = Math.max(c.builtinCode(), c.deprecatedBuiltinCode());
            String name = code == BuiltinOperator.CUSTOM && c.customCode() != null ? "CUSTOM:" + c.customCode() : opName(code);
            int[] in = new int[o.inputsLength()], out = new int[o.outputsLength()];
            for (int k = 0; k < in.length; k++) in[k] = o.inputs(k);
            for (int k = 0; k < out.length; k++) out[k] = o.outputs(k);
            ops.add(new OpInfo(i, code, name, in, out));
        }
        inputs = new int[sg.inputsLength()];
        for (int k = 0; k < inputs.length; k++) inputs[k] = sg.inputs(k);
        outputs = new int[sg.outputsLength()];
        for (int k = 0; k < outputs.length; k++) outputs[k] = sg.outputs(k);
        for (int i = 0; i < model.metadataLength(); i++) {
            Metadata md = model.metadata(i);
            int b = (int) md.buffer();
            if (md.name() == null || b <= 0 || b >= model.buffersLength()) continue;
            ByteBuffer d = model.buffers(b).dataAsByteBuffer();
            byte[] raw = new byte[d == null ? 0 : d.remaining()];
            if (d != null) d.get(raw);
            metadata.put(md.name(), raw);
        }
    }

    /** Reads a TFLite flatbuffer; throws IllegalArgumentException when it is not one. */
    public static TfliteFile read(byte[] bytes) {
        if (bytes.length < 8 || bytes[4] != 'T' || bytes[5] != 'F' || bytes[6] != 'L' || bytes[7] != '3')
            throw new IllegalArgumentException("not a TFLite model (no 'TFL3' file identifier)");
        try {
            return new TfliteFile(bytes);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a valid TFLite model (corrupt or truncated flatbuffer: " + e + ")", e);
        }
    }

    static String opName(int code) {
        try {
            return BuiltinOperator.name(code);
        } catch (RuntimeException e) {
            return "BUILTIN_" + code;
        }
    }

    public byte[] bytes() { return bytes; }

    public List<TensorInfo> tensors() { return tensors; }

    public TensorInfo tensor(int i) { return tensors.get(i); }

    public List<OpInfo> operators() { return ops; }

    public int[] inputs() { return inputs.clone(); }

    public int[] outputs() { return outputs.clone(); }

    public Map<String, byte[]> metadata() { return metadata; }

    /** The onnxport provenance stored in the file, or null when it has none (not written by onnxport). */
    public ProvenanceMetadata provenance() {
        byte[] raw = metadata.get(ProvenanceMetadata.NAME);
        if (raw == null) return null;
        try {
            return ProvenanceMetadata.parse(raw);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The constant data of tensor i (a read-only little-endian view), or null when it has none. */
    public ByteBuffer constantData(int i) {
        TensorInfo t = tensors.get(i);
        if (!t.constant()) return null;
        Buffer b = model.buffers(t.buffer());
        ByteBuffer d = b.dataAsByteBuffer();
        return d == null ? null : d.slice().order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Where tensor i's constant data starts in the file (bytes()), or -1 when it has none. */
    public int constantOffset(int i) {
        TensorInfo t = tensors.get(i);
        if (!t.constant()) return -1;
        ByteBuffer d = model.buffers(t.buffer()).dataAsByteBuffer();
        return d == null ? -1 : d.position();
    }

    /** For each tensor, the operator that writes it (-1: a graph input, a constant or unused). */
    public int[] producers() {
        int[] r = new int[tensors.size()];
        Arrays.fill(r, -1);
        for (OpInfo o : ops) for (int t : o.outputs()) if (t >= 0) r[t] = o.index();
        return r;
    }

    /**
     * A copy of the file whose main subgraph outputs are the original outputs followed by {@code extra} (tensors
     * that already are outputs are not repeated). See the class comment for how.
     */
    public byte[] withOutputs(int[] extra) {
        List<Integer> all = new ArrayList<>();
        for (int o : outputs) all.add(o);
        for (int e : extra) {
            if (e < 0 || e >= tensors.size()) throw new IllegalArgumentException("no tensor " + e);
            if (!all.contains(e)) all.add(e);
        }
        int modelPos = bb.getInt(0);
        int subgraphsField = field(modelPos, 2); // Model: version, operator_codes, subgraphs, ...
        if (subgraphsField == 0) throw new IllegalArgumentException("the model has no subgraphs");
        int vec = subgraphsField + bb.getInt(subgraphsField);
        int sgPos = vec + 4 + bb.getInt(vec + 4);
        int outputsField = field(sgPos, 2); // SubGraph: tensors, inputs, outputs, operators, name
        if (outputsField == 0) throw new IllegalArgumentException("the subgraph has no outputs field to patch");
        int start = (bytes.length + 15) & ~15;
        byte[] copy = Arrays.copyOf(bytes, start + 4 + 4 * all.size());
        ByteBuffer w = ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN);
        w.putInt(start, all.size());
        for (int k = 0; k < all.size(); k++) w.putInt(start + 4 + 4 * k, all.get(k));
        w.putInt(outputsField, start - outputsField);
        return copy;
    }

    /** The absolute position of field {@code index} of the table at tablePos, or 0 when it is absent. */
    private int field(int tablePos, int index) {
        int vtable = tablePos - bb.getInt(tablePos);
        int vlen = Short.toUnsignedInt(bb.getShort(vtable));
        int slot = 4 + 2 * index;
        if (slot >= vlen) return 0;
        int off = Short.toUnsignedInt(bb.getShort(vtable + slot));
        return off == 0 ? 0 : tablePos + off;
    }
}
