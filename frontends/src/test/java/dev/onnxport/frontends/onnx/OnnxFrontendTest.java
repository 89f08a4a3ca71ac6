package dev.onnxport.frontends.onnx;

import com.google.protobuf.ByteString;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Dim;
import dev.onnxport.schemas.onnx.OnnxProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnnxFrontendTest {
    @TempDir Path dir;

    static OnnxProto.ValueInfoProto vi(String name, int elem, Object... dims) {
        OnnxProto.TensorShapeProto.Builder s = OnnxProto.TensorShapeProto.newBuilder();
        for (Object d : dims) {
            if (d instanceof String p) s.addDim(OnnxProto.TensorShapeProto.Dimension.newBuilder().setDimParam(p));
            else s.addDim(OnnxProto.TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) d).longValue()));
        }
        return OnnxProto.ValueInfoProto.newBuilder().setName(name).setType(OnnxProto.TypeProto.newBuilder()
                .setTensorType(OnnxProto.TypeProto.Tensor.newBuilder().setElemType(elem).setShape(s))).build();
    }

    /** x[N,4] + w[4] -> y, w given by the caller's initializer. */
    static OnnxProto.ModelProto model(OnnxProto.TensorProto w, OnnxProto.NodeProto... extra) {
        OnnxProto.GraphProto.Builder g = OnnxProto.GraphProto.newBuilder().setName("g")
                .addInput(vi("x", 1, "N", 4)).addOutput(vi("y", 1, "N", 4)).addInitializer(w)
                .addNode(OnnxProto.NodeProto.newBuilder().setOpType("Add").setName("add").addInput("x").addInput("w").addOutput("y"));
        for (OnnxProto.NodeProto n : extra) g.addNode(n);
        return OnnxProto.ModelProto.newBuilder().setIrVersion(8).setGraph(g)
                .addOpsetImport(OnnxProto.OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).build();
    }

    /** A float tensor [4] named name, data to be set by the caller. */
    static OnnxProto.TensorProto.Builder floats(String name) {
        return OnnxProto.TensorProto.newBuilder().setName(name).setDataType(1).addDims(4);
    }

    Path write(OnnxProto.ModelProto m) throws Exception {
        Path p = dir.resolve("m.onnx");
        Files.write(p, m.toByteArray());
        return p;
    }

    @Test
    void readsTypedFieldsRawDataAndSymbolicDims() throws Exception {
        OnnxProto.TensorProto w = floats("w").addFloatData(1).addFloatData(2).addFloatData(3).addFloatData(4).build();
        Graph g = OnnxFrontend.load(write(model(w))).graph();
        assertEquals("x", g.inputs().get(0).name());
        assertEquals(Shape.of(java.util.List.of(Dim.sym("N"), Dim.of(4))), g.inputs().get(0).shape());
        Node add = g.nodes().get(0);
        assertEquals("Add", add.opType());
        assertArrayEquals(new float[] {1, 2, 3, 4}, add.input(1).constant().toFloats());
        assertEquals(17, add.opset());

        ByteBuffer raw = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : new float[] {5, 6, 7, 8}) raw.putFloat(f);
        OnnxProto.TensorProto w2 = floats("w").setRawData(ByteString.copyFrom(raw.array())).build();
        Graph g2 = OnnxFrontend.load(write(model(w2))).graph();
        assertArrayEquals(new float[] {5, 6, 7, 8}, g2.nodes().get(0).input(1).constant().toFloats());
    }

    @Test
    void readsExternalDataInsideTheModelFolder() throws Exception {
        ByteBuffer raw = ByteBuffer.allocate(64 + 16).order(ByteOrder.LITTLE_ENDIAN);
        raw.position(64);
        for (float f : new float[] {1.5f, -2, 3, 4}) raw.putFloat(f);
        Files.write(dir.resolve("weights.bin"), raw.array());
        OnnxProto.TensorProto w = floats("w").setDataLocation(OnnxProto.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(OnnxProto.StringStringEntryProto.newBuilder().setKey("location").setValue("weights.bin"))
                .addExternalData(OnnxProto.StringStringEntryProto.newBuilder().setKey("offset").setValue("64"))
                .addExternalData(OnnxProto.StringStringEntryProto.newBuilder().setKey("length").setValue("16")).build();
        Graph g = OnnxFrontend.load(write(model(w))).graph();
        assertArrayEquals(new float[] {1.5f, -2, 3, 4}, g.nodes().get(0).input(1).constant().toFloats());
    }

    static OnnxProto.TensorProto external(String location) {
        return floats("w").setDataLocation(OnnxProto.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(OnnxProto.StringStringEntryProto.newBuilder().setKey("location").setValue(location)).build();
    }

    @Test
    void refusesExternalDataOutsideTheFolder() throws Exception {
        Files.write(dir.getParent().resolve("secret.bin"), new byte[16]);
        ConversionException e = assertThrows(ConversionException.class, () -> OnnxFrontend.load(write(model(external("../secret.bin")))));
        assertTrue(e.getMessage().contains("leaves the model's folder"), e.getMessage());
        assertTrue(e.getMessage().contains("m.onnx"), e.getMessage());
        e = assertThrows(ConversionException.class, () -> OnnxFrontend.load(write(model(external("/etc/passwd")))));
        assertTrue(e.getMessage().contains("absolute"), e.getMessage());
    }

    @Test
    void refusesSymlinkEscapes() throws Exception {
        Path outside = Files.createTempFile("onnxport-outside", ".bin");
        Files.write(outside, new byte[16]);
        Files.createSymbolicLink(dir.resolve("link.bin"), outside);
        ConversionException e = assertThrows(ConversionException.class, () -> OnnxFrontend.load(write(model(external("link.bin")))));
        assertTrue(e.getMessage().contains("leaves the model's folder"), e.getMessage());
    }

    @Test
    void missingExternalDataIsNamed() throws Exception {
        ConversionException e = assertThrows(ConversionException.class, () -> OnnxFrontend.load(write(model(external("nothere.bin")))));
        assertTrue(e.getMessage().contains("nothere.bin") && e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void corruptAndTruncatedFilesAreRejected() throws Exception {
        OnnxProto.TensorProto w = floats("w").addFloatData(1).addFloatData(2).addFloatData(3).addFloatData(4).build();
        byte[] good = model(w).toByteArray();
        Path t = dir.resolve("t.onnx");
        Files.write(t, Arrays.copyOf(good, good.length / 2));
        ConversionException e = assertThrows(ConversionException.class, () -> OnnxFrontend.load(t));
        assertTrue(e.getMessage().contains("t.onnx"), e.getMessage());
        Path c = dir.resolve("c.onnx");
        byte[] junk = new byte[300];
        new java.util.Random(1).nextBytes(junk);
        Files.write(c, junk);
        e = assertThrows(ConversionException.class, () -> OnnxFrontend.load(c));
        assertTrue(e.getMessage().contains("c.onnx"), e.getMessage());
        Path empty = dir.resolve("e.onnx");
        Files.write(empty, new byte[0]);
        assertThrows(ConversionException.class, () -> OnnxFrontend.load(empty));
    }

    @Test
    void constantNodesBecomeConstantsAndUnknownOpsAreKept() throws Exception {
        OnnxProto.TensorProto w = floats("w").addFloatData(1).addFloatData(2).addFloatData(3).addFloatData(4).build();
        OnnxProto.NodeProto k = OnnxProto.NodeProto.newBuilder().setOpType("Constant").addOutput("k")
                .addAttribute(OnnxProto.AttributeProto.newBuilder().setName("value_ints").setType(OnnxProto.AttributeProto.AttributeType.INTS)
                        .addInts(3).addInts(4)).build();
        OnnxProto.NodeProto foo = OnnxProto.NodeProto.newBuilder().setOpType("FooBar").setDomain("my.domain").setName("foo")
                .addInput("y").addInput("k").addOutput("z").build();
        Graph g = OnnxFrontend.load(write(model(w, k, foo))).graph();
        Node f = g.nodes().get(1);
        assertEquals("my.domain.FooBar", f.qualifiedOp());
        assertEquals(DType.INT64, f.input(1).dtype());
        assertArrayEquals(new long[] {3, 4}, f.input(1).constant().toLongs());
    }

    @Test
    void undefinedInputIsReportedWithItsNode() throws Exception {
        OnnxProto.TensorProto w = floats("w").addFloatData(1).addFloatData(2).addFloatData(3).addFloatData(4).build();
        OnnxProto.NodeProto bad = OnnxProto.NodeProto.newBuilder().setOpType("Relu").setName("r1").addInput("ghost").addOutput("q").build();
        ConversionException e = assertThrows(ConversionException.class, () -> OnnxFrontend.load(write(model(w, bad))));
        assertTrue(e.getMessage().contains("'r1' (Relu") && e.getMessage().contains("ghost"), e.getMessage());
    }
}
