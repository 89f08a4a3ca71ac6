package dev.onnxport.backends.tflite;

import dev.onnxport.backends.check.ProvenanceMetadata;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.ConversionFailures;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Value;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a legalised IR graph (after the TFLite pipeline's passes) as a TFLite flatbuffer. Every node is tried;
 * all failures are collected and thrown together, so nothing is written for a graph that cannot be converted.
 */
public final class TfliteBackend {
    private final TfliteOps ops;

    public TfliteBackend() { this(TfliteOps.standard()); }

    public TfliteBackend(TfliteOps ops) { this.ops = ops; }

    /** Names of the nodes that have no TFLite lowering, each with a reason; empty when all are claimed. */
    public List<ConversionException> unsupported(Graph g) {
        List<ConversionException> r = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (ops.get(n.qualifiedOp()) == null)
                r.add(new ConversionException("op " + n.qualifiedOp() + " has no TFLite conversion").addContext(n));
        }
        return r;
    }

    /** A RESHAPE to the same shape: the cheapest op that gives an output tensor of its own. */
    private static int copy(LowerContext ctx, Value v) {
        long[] shape = ctx.shape(v);
        int src = v.isConstant() ? ctx.constant(v.constant(), v.name() + "_value") : ctx.tensor(v);
        int out = ctx.model().addTensor(v.name(), LowerContext.tfliteType(v.dtype()), LowerContext.toInt(shape), null, null, null);
        Emit.reshapeInto(ctx, src, out, shape);
        ctx.record(v, out);
        return out;
    }

    /**
     * An emitted model before serialisation: the builder, its subgraph inputs and outputs, and the tensor that carries
     * each IR value (for passes over the TFLite model, such as int8 quantization, that need to know where a value went).
     */
    public record Emitted(TfliteModelBuilder model, int[] inputs, int[] outputs, Map<Value, Integer> valueTensors) {
        public byte[] finish() { return TfliteBackend.finish(model, inputs, outputs); }
    }

    public byte[] emit(Graph g, TfliteOptions options) { return emitModel(g, options).finish(); }

    /** Serialises a model with the onnxport description and its min_runtime_version metadata. */
    public static byte[] finish(TfliteModelBuilder mb, int[] inputs, int[] outputs) {
        Map<String, byte[]> meta = new LinkedHashMap<>();
        meta.put("min_runtime_version", TfliteModelBuilder.paddedString(RuntimeVersions.minRuntime(mb.opcodes())));
        // which ONNX tensor each tensor carries (JSON, see ProvenanceMetadata): lets `onnxport check` compare per layer
        meta.put(ProvenanceMetadata.NAME, mb.provenance().toBytes());
        return mb.finish(inputs, outputs, "onnxport", meta);
    }

    public Emitted emitModel(Graph g, TfliteOptions options) {
        TfliteModelBuilder mb = new TfliteModelBuilder();
        LowerContext ctx = new LowerContext(mb, options);
        List<ConversionException> failures = new ArrayList<>();
        int[] inputs = new int[g.inputs().size()];
        for (int i = 0; i < inputs.length; i++) {
            try {
                inputs[i] = ctx.tensor(g.inputs().get(i));
            } catch (ConversionException e) {
                failures.add(e.addContext("input '" + g.inputs().get(i).name() + "'"));
            }
        }
        for (Node n : g.nodes()) {
            TfliteLowering l = ops.get(n.qualifiedOp());
            if (l == null) {
                failures.add(new ConversionException("op " + n.qualifiedOp() + " has no TFLite conversion").addContext(n));
                continue;
            }
            ctx.setCurrent(n);
            mb.beginNode(n.name(), n.opType());
            try {
                l.lower(n, ctx);
                for (Value o : n.outputs()) {
                    if (!o.uses().isEmpty() || g.outputs().contains(o)) {
                        if (!ctx.hasTensor(o)) throw new ConversionException("lowering produced no tensor for output '" + o.name() + "'");
                    }
                }
            } catch (ConversionException e) {
                failures.add(e.addContext(n));
            } catch (RuntimeException e) {
                failures.add(ConversionException.wrap(e, n));
            }
            mb.endNode();
        }
        int[] outputs = new int[g.outputs().size()];
        for (int i = 0; i < outputs.length; i++) {
            Value v = g.outputs().get(i);
            if (v.producer() == null) {
                // a constant or a graph input returned as an output: TFLite needs an operator to produce it
                try {
                    outputs[i] = copy(ctx, v);
                } catch (ConversionException e) {
                    failures.add(e.addContext("output '" + v.name() + "'"));
                }
                continue;
            }
            if (ctx.hasTensor(v)) outputs[i] = ctx.tensor(v);
        }
        if (!failures.isEmpty()) throw new ConversionFailures("TFLite conversion of graph '" + g.name() + "' failed", failures);
        return new Emitted(mb, inputs, outputs, ctx.valueTensors());
    }
}
