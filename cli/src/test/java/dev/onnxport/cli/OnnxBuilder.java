package dev.onnxport.cli;

import com.google.protobuf.ByteString;
import dev.onnxport.schemas.onnx.OnnxProto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** Writes small ONNX models for tests straight as protobuf (inputs with shapes, outputs typed only). */
final class OnnxBuilder {
    static final int FLOAT = 1, UINT8 = 2, INT32 = 6, INT64 = 7;

    private final OnnxProto.GraphProto.Builder g = OnnxProto.GraphProto.newBuilder().setName("test");
    private final int opset;
    private int nodes;
    private final SplittableRandom rnd = new SplittableRandom(7);

    OnnxBuilder(int opset) { this.opset = opset; }

    OnnxBuilder input(String name, int elemType, long... dims) {
        OnnxProto.TensorShapeProto.Builder s = OnnxProto.TensorShapeProto.newBuilder();
        for (long d : dims) s.addDim(d < 0 ? OnnxProto.TensorShapeProto.Dimension.newBuilder().setDimParam("N")
                : OnnxProto.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        g.addInput(OnnxProto.ValueInfoProto.newBuilder().setName(name).setType(OnnxProto.TypeProto.newBuilder()
                .setTensorType(OnnxProto.TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(s))));
        return this;
    }

    OnnxBuilder output(String name) {
        g.addOutput(OnnxProto.ValueInfoProto.newBuilder().setName(name).setType(OnnxProto.TypeProto.newBuilder()
                .setTensorType(OnnxProto.TypeProto.Tensor.newBuilder().setElemType(FLOAT))));
        return this;
    }

    OnnxBuilder init(String name, float[] v, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        g.addInitializer(OnnxProto.TensorProto.newBuilder().setName(name).setDataType(FLOAT).addAllDims(box(dims))
                .setRawData(ByteString.copyFrom(b.array())));
        return this;
    }

    OnnxBuilder initLong(String name, long[] v, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long f : v) b.putLong(f);
        g.addInitializer(OnnxProto.TensorProto.newBuilder().setName(name).setDataType(INT64).addAllDims(box(dims))
                .setRawData(ByteString.copyFrom(b.array())));
        return this;
    }

    /** A constant with seeded normal values times scale. */
    OnnxBuilder random(String name, double scale, long... dims) {
        int n = 1;
        for (long d : dims) n *= (int) d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (gauss() * scale);
        return init(name, v, dims);
    }

    private double gauss() {
        double u = rnd.nextDouble(1e-12, 1), w = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
    }

    /** A node; attrs are name/value pairs (Long/Integer, Float/Double, long[], float[], String). */
    OnnxBuilder node(String op, String[] ins, String[] outs, Object... attrs) {
        OnnxProto.NodeProto.Builder n = OnnxProto.NodeProto.newBuilder().setOpType(op).setName(op + "_" + nodes++);
        for (String i : ins) n.addInput(i);
        for (String o : outs) n.addOutput(o);
        for (int i = 0; i < attrs.length; i += 2) {
            OnnxProto.AttributeProto.Builder a = OnnxProto.AttributeProto.newBuilder().setName((String) attrs[i]);
            Object v = attrs[i + 1];
            if (v instanceof Integer || v instanceof Long) a.setType(OnnxProto.AttributeProto.AttributeType.INT).setI(((Number) v).longValue());
            else if (v instanceof Float || v instanceof Double) a.setType(OnnxProto.AttributeProto.AttributeType.FLOAT).setF(((Number) v).floatValue());
            else if (v instanceof long[] l) { a.setType(OnnxProto.AttributeProto.AttributeType.INTS); for (long x : l) a.addInts(x); }
            else if (v instanceof float[] f) { a.setType(OnnxProto.AttributeProto.AttributeType.FLOATS); for (float x : f) a.addFloats(x); }
            else if (v instanceof String s) a.setType(OnnxProto.AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(s));
            else throw new IllegalArgumentException("attribute " + attrs[i] + ": " + v);
            n.addAttribute(a);
        }
        g.addNode(n);
        return this;
    }

    OnnxBuilder node(String op, String in, String out, Object... attrs) { return node(op, new String[] {in}, new String[] {out}, attrs); }

    byte[] bytes() {
        return OnnxProto.ModelProto.newBuilder().setIrVersion(8).setProducerName("onnxport-test").setGraph(g)
                .addOpsetImport(OnnxProto.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).build().toByteArray();
    }

    Path save(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, bytes());
        return file;
    }

    private static Iterable<Long> box(long[] d) {
        java.util.List<Long> r = new java.util.ArrayList<>();
        for (long x : d) r.add(x);
        return r;
    }
}
