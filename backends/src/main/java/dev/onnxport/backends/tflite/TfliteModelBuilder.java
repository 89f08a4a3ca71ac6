package dev.onnxport.backends.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.onnxport.backends.check.ProvenanceMetadata;
import dev.onnxport.ir.ConversionException;
import tflite.Buffer;
import tflite.Metadata;
import tflite.Model;
import tflite.Operator;
import tflite.OperatorCode;
import tflite.QuantizationParameters;
import tflite.SignatureDef;
import tflite.SubGraph;
import tflite.TensorMap;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A TFLite model under construction: tensors, buffers and operators as plain records, turned into a flatbuffer
 * by {@link #finish}. The output is deterministic: the same calls give the same bytes. Buffer 0 is the empty
 * buffer; constant data is aligned to 16 bytes.
 */
public final class TfliteModelBuilder {
    /** Per-tensor affine quantization (scales and zero points per channel along quantizedDimension). */
    public record Quant(float[] scale, long[] zeroPoint, int quantizedDimension) {}

    public record TensorDef(String name, byte type, int[] shape, int[] shapeSignature, int buffer, Quant quant) {}

    /** Writes an options table into the builder and returns its offset. */
    @FunctionalInterface
    public interface OptionsWriter {
        int write(FlatBufferBuilder b);
    }

    public record OpDef(int opcodeIndex, int[] inputs, int[] outputs, byte optionsType, OptionsWriter options) {}

    private record OpCodeKey(int builtin, int version) {}

    private final List<TensorDef> tensors = new ArrayList<>();
    private final List<ByteBuffer> buffers = new ArrayList<>();
    private final List<OpDef> ops = new ArrayList<>();
    private final Map<OpCodeKey, Integer> opcodes = new LinkedHashMap<>();
    private final Map<String, Integer> tensorNames = new LinkedHashMap<>();
    /** Which ONNX tensor each tensor carries, and which IR node each operator came from (for onnxport check). */
    private final ProvenanceMetadata provenance = new ProvenanceMetadata();
    private final java.util.Set<String> recorded = new java.util.HashSet<>();
    private int currentNode = -1;

    public TfliteModelBuilder() { buffers.add(null); } // buffers[0]: the empty sentinel

    /** Records that tensor carries ONNX tensor onnxName, tensor axis i being ONNX axis perm[i] (null: same layout). */
    public void recordProvenance(int tensor, String onnxName, int[] perm) {
        if (onnxName == null) return;
        if (!recorded.add(tensor + "\u0000" + onnxName)) return;
        provenance.entries.add(new ProvenanceMetadata.Entry(tensor, null, onnxName, perm == null ? null : perm.clone()));
    }

    /** Operators added from now on were lowered from this IR node (until {@link #endNode}). */
    public void beginNode(String name, String opType) {
        provenance.nodes.add(new ProvenanceMetadata.NodeRef(name, opType));
        currentNode = provenance.nodes.size() - 1;
    }

    public void endNode() { currentNode = -1; }

    /** The provenance recorded so far (written as the onnxport_provenance metadata entry). */
    public ProvenanceMetadata provenance() { return provenance; }

    /** Adds a tensor; the name is made unique. Data, when given, becomes its constant buffer. */
    public int addTensor(String name, byte type, int[] shape, int[] shapeSignature, ByteBuffer data, Quant quant) {
        String n = name;
        int k = 1;
        while (tensorNames.containsKey(n)) n = name + "_" + k++;
        int buf = 0;
        if (data != null) {
            buffers.add(data.duplicate());
            buf = buffers.size() - 1;
        }
        tensors.add(new TensorDef(n, type, shape.clone(), shapeSignature == null ? null : shapeSignature.clone(), buf, quant));
        tensorNames.put(n, tensors.size() - 1);
        return tensors.size() - 1;
    }

    public TensorDef tensor(int i) { return tensors.get(i); }

    /** The data of buffer i (read-only, positioned at 0), or null for the empty buffer 0. */
    public ByteBuffer bufferData(int i) {
        ByteBuffer b = buffers.get(i);
        return b == null ? null : b.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    public int tensorCount() { return tensors.size(); }

    public int operatorCount() { return ops.size(); }

    public List<OpDef> operators() { return List.copyOf(ops); }

    /** The (builtin code, version) of every operator code in order. */
    public List<int[]> opcodes() {
        List<int[]> r = new ArrayList<>();
        for (OpCodeKey k : opcodes.keySet()) r.add(new int[] {k.builtin, k.version});
        return r;
    }

    public void addOp(int builtinCode, int version, int[] inputs, int[] outputs, byte optionsType, OptionsWriter options) {
        if (version < 1) throw new ConversionException("op version must be >= 1");
        int idx = opcodes.computeIfAbsent(new OpCodeKey(builtinCode, version), x -> opcodes.size());
        ops.add(new OpDef(idx, inputs.clone(), outputs.clone(), optionsType, options));
        provenance.ops.add(currentNode);
    }

    /**
     * Serialises the model with one subgraph, the given inputs and outputs (tensor indices, also listed in a
     * serving_default signature under their tensor names), and metadata entries.
     */
    public byte[] finish(int[] inputs, int[] outputs, String description, Map<String, byte[]> metadata) {
        long estimate = 1024;
        for (ByteBuffer b : buffers) if (b != null) estimate += b.remaining() + 32;
        estimate += tensors.size() * 128L + ops.size() * 96L;
        if (estimate > Integer.MAX_VALUE - 1024)
            throw new ConversionException("model is larger than the 2 GB a TFLite flatbuffer can hold");
        FlatBufferBuilder b = new FlatBufferBuilder((int) Math.min(Integer.MAX_VALUE - 8, estimate));
        b.forceDefaults(false);

        // metadata buffers are appended after the tensor buffers
        List<ByteBuffer> allBuffers = new ArrayList<>(buffers);
        List<int[]> metaRefs = new ArrayList<>();
        List<String> metaNames = new ArrayList<>(metadata.keySet());
        for (String k : metaNames) {
            allBuffers.add(ByteBuffer.wrap(metadata.get(k)));
            metaRefs.add(new int[] {allBuffers.size() - 1});
        }

        // buffers, each data vector aligned to 16 bytes
        int[] bufOffsets = new int[allBuffers.size()];
        for (int i = allBuffers.size() - 1; i >= 0; i--) {
            ByteBuffer data = allBuffers.get(i);
            int dataOff = 0;
            if (data != null && data.remaining() > 0) {
                ByteBuffer dst = b.createUnintializedVector(1, data.remaining(), 16);
                dst.put(data.duplicate());
                dataOff = b.endVector();
            }
            Buffer.startBuffer(b);
            if (dataOff != 0) Buffer.addData(b, dataOff);
            bufOffsets[i] = Buffer.endBuffer(b);
        }
        int buffersVec = Model.createBuffersVector(b, bufOffsets);

        // tensors
        int[] tOffsets = new int[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            TensorDef t = tensors.get(i);
            int nameOff = b.createString(t.name());
            int shapeOff = tflite.Tensor.createShapeVector(b, t.shape());
            int sigOff = t.shapeSignature() == null ? 0 : tflite.Tensor.createShapeSignatureVector(b, t.shapeSignature());
            int qOff = 0;
            if (t.quant() != null) {
                int sc = QuantizationParameters.createScaleVector(b, t.quant().scale());
                int zp = QuantizationParameters.createZeroPointVector(b, t.quant().zeroPoint());
                QuantizationParameters.startQuantizationParameters(b);
                QuantizationParameters.addScale(b, sc);
                QuantizationParameters.addZeroPoint(b, zp);
                QuantizationParameters.addQuantizedDimension(b, t.quant().quantizedDimension());
                qOff = QuantizationParameters.endQuantizationParameters(b);
            }
            tflite.Tensor.startTensor(b);
            tflite.Tensor.addShape(b, shapeOff);
            tflite.Tensor.addType(b, t.type());
            tflite.Tensor.addBuffer(b, t.buffer());
            tflite.Tensor.addName(b, nameOff);
            if (qOff != 0) tflite.Tensor.addQuantization(b, qOff);
            if (sigOff != 0) tflite.Tensor.addShapeSignature(b, sigOff);
            tOffsets[i] = tflite.Tensor.endTensor(b);
        }
        int tensorsVec = SubGraph.createTensorsVector(b, tOffsets);

        // operators
        int[] oOffsets = new int[ops.size()];
        for (int i = 0; i < ops.size(); i++) {
            OpDef o = ops.get(i);
            int optOff = o.options() == null ? 0 : o.options().write(b);
            int in = Operator.createInputsVector(b, o.inputs());
            int out = Operator.createOutputsVector(b, o.outputs());
            Operator.startOperator(b);
            Operator.addOpcodeIndex(b, o.opcodeIndex());
            Operator.addInputs(b, in);
            Operator.addOutputs(b, out);
            if (optOff != 0) {
                Operator.addBuiltinOptionsType(b, o.optionsType());
                Operator.addBuiltinOptions(b, optOff);
            }
            oOffsets[i] = Operator.endOperator(b);
        }
        int opsVec = SubGraph.createOperatorsVector(b, oOffsets);
        int sgIn = SubGraph.createInputsVector(b, inputs);
        int sgOut = SubGraph.createOutputsVector(b, outputs);
        int sgName = b.createString("main");
        SubGraph.startSubGraph(b);
        SubGraph.addTensors(b, tensorsVec);
        SubGraph.addInputs(b, sgIn);
        SubGraph.addOutputs(b, sgOut);
        SubGraph.addOperators(b, opsVec);
        SubGraph.addName(b, sgName);
        int sg = SubGraph.endSubGraph(b);
        int subgraphs = Model.createSubgraphsVector(b, new int[] {sg});

        // operator codes
        int[] cOffsets = new int[opcodes.size()];
        int ci = 0;
        for (OpCodeKey k : opcodes.keySet()) {
            OperatorCode.startOperatorCode(b);
            OperatorCode.addDeprecatedBuiltinCode(b, (byte) Math.min(k.builtin, 127));
            OperatorCode.addVersion(b, k.version);
            OperatorCode.addBuiltinCode(b, k.builtin);
            cOffsets[ci++] = OperatorCode.endOperatorCode(b);
        }
        int codesVec = Model.createOperatorCodesVector(b, cOffsets);

        // signature
        int sigInputs = SignatureDef.createInputsVector(b, tensorMaps(b, inputs));
        int sigOutputs = SignatureDef.createOutputsVector(b, tensorMaps(b, outputs));
        int sigKey = b.createString("serving_default");
        SignatureDef.startSignatureDef(b);
        SignatureDef.addInputs(b, sigInputs);
        SignatureDef.addOutputs(b, sigOutputs);
        SignatureDef.addSignatureKey(b, sigKey);
        SignatureDef.addSubgraphIndex(b, 0);
        int sigDef = SignatureDef.endSignatureDef(b);
        int sigVec = Model.createSignatureDefsVector(b, new int[] {sigDef});

        int[] mOffsets = new int[metaNames.size()];
        for (int i = 0; i < metaNames.size(); i++) {
            int nm = b.createString(metaNames.get(i));
            Metadata.startMetadata(b);
            Metadata.addName(b, nm);
            Metadata.addBuffer(b, metaRefs.get(i)[0]);
            mOffsets[i] = Metadata.endMetadata(b);
        }
        int metaVec = Model.createMetadataVector(b, mOffsets);
        int desc = b.createString(description);

        Model.startModel(b);
        Model.addVersion(b, 3);
        Model.addOperatorCodes(b, codesVec);
        Model.addSubgraphs(b, subgraphs);
        Model.addDescription(b, desc);
        Model.addBuffers(b, buffersVec);
        Model.addMetadata(b, metaVec);
        Model.addSignatureDefs(b, sigVec);
        int model = Model.endModel(b);
        Model.finishModelBuffer(b, model);
        return b.sizedByteArray();
    }

    private int[] tensorMaps(FlatBufferBuilder b, int[] idx) {
        int[] r = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            int nm = b.createString(tensors.get(idx[i]).name());
            TensorMap.startTensorMap(b);
            TensorMap.addName(b, nm);
            TensorMap.addTensorIndex(b, idx[i]);
            r[i] = TensorMap.endTensorMap(b);
        }
        return r;
    }

    /** A string metadata value as TFLite stores min_runtime_version: the bytes, zero-padded to 16. */
    public static byte[] paddedString(String s) {
        byte[] raw = s.getBytes(StandardCharsets.UTF_8);
        byte[] r = new byte[Math.max(16, raw.length)];
        System.arraycopy(raw, 0, r, 0, raw.length);
        return r;
    }

    static ByteBuffer le(int bytes) { return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN); }
}
