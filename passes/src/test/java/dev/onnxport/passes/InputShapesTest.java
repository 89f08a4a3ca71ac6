package dev.onnxport.passes;

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
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InputShapesTest {
    static ValueType f32(Dim... dims) { return new ValueType(DType.FLOAT32, Shape.of(List.of(dims))); }

    /** image[N,3,H,W], mask[N,1], fixed[2,5] (static batch), w (initializer); y = Relu(image) with declared [N,3,H,W]. */
    static Graph graph() {
        Graph g = new Graph("g");
        g.opsets().put("", 17);
        Value image = g.addInput("image", f32(Dim.sym("N"), Dim.of(3), Dim.sym("H"), Dim.sym("W")));
        g.addInput("mask", f32(Dim.sym("N"), Dim.of(1)));
        g.addInput("fixed", f32(Dim.of(2), Dim.of(5)));
        g.addInput("anon", f32(Dim.sym(""), Dim.of(4)));
        g.addConstant("w", Tensor.ofFloats(new long[] {1}, 1f));
        Node relu = g.addNodeExact("", "Relu", "relu", List.of(image), Attrs.EMPTY, 17, List.of("y"));
        relu.output().setType(f32(Dim.sym("N"), Dim.of(3), Dim.sym("H"), Dim.sym("W")));
        g.addOutput(relu.output());
        return g;
    }

    static Shape shape(Graph g, String input) {
        return g.inputs().stream().filter(v -> v.name().equals(input)).findFirst().orElseThrow().shape();
    }

    @Test
    void explicitShapeBindsSymbolsEverywhere() {
        Graph g = graph();
        List<String> changed = InputShapes.apply(g, Map.of("image", new long[] {2, 3, 32, 48}), null);
        assertEquals(List.of("image", "mask"), changed);
        assertEquals(Shape.of(2, 3, 32, 48), shape(g, "image"));
        // 'N' was bound to 2 by image: mask shares it
        assertEquals(Shape.of(2, 1), shape(g, "mask"));
        assertEquals(Shape.of(2, 5), shape(g, "fixed"));
        // declared node output types follow the bound symbols
        assertEquals(Shape.of(2, 3, 32, 48), g.outputs().get(0).shape());
        // an anonymous dim is never bound
        assertTrue(!shape(g, "anon").dim(0).isKnown());
    }

    @Test
    void batchSetsOnlySymbolicLeadingDims() {
        Graph g = graph();
        List<String> changed = InputShapes.apply(g, Map.of(), 4);
        assertEquals(List.of("image", "mask", "anon"), changed);
        Shape img = shape(g, "image");
        assertEquals(Dim.of(4), img.dim(0));
        assertEquals(Dim.sym("H"), img.dim(2));
        assertEquals(Shape.of(4, 1), shape(g, "mask"));
        assertEquals(Shape.of(2, 5), shape(g, "fixed"), "a static batch dim is kept");
        assertEquals(Shape.of(4, 4), shape(g, "anon"));
        assertEquals(Dim.of(4), g.outputs().get(0).shape().dim(0));
    }

    @Test
    void explicitShapeWinsOverBatch() {
        Graph g = graph();
        InputShapes.apply(g, Map.of("mask", new long[] {1, 1}), 1);
        assertEquals(Shape.of(1, 1), shape(g, "mask"));
        assertEquals(Dim.of(1), shape(g, "image").dim(0));
        // an explicit shape may change a dim the model fixed
        InputShapes.apply(g, Map.of("fixed", new long[] {3, 5}), null);
        assertEquals(Shape.of(3, 5), shape(g, "fixed"));
    }

    @Test
    void unknownNameListsTheInputs() {
        Graph g = graph();
        ConversionException e = assertThrows(ConversionException.class, () -> InputShapes.apply(g, Map.of("imgae", new long[] {1, 3, 8, 8}), null));
        assertTrue(e.getMessage().contains("'imgae'"), e.getMessage());
        assertTrue(e.getMessage().contains("'image', 'mask', 'fixed', 'anon'"), e.getMessage());
        ConversionException c = assertThrows(ConversionException.class, () -> InputShapes.apply(g, Map.of("w", new long[] {1}), null));
        assertTrue(c.getMessage().contains("initializer"), c.getMessage());
    }

    @Test
    void rankMismatchAndConflictsChangeNothing() {
        Graph g = graph();
        ConversionException e = assertThrows(ConversionException.class, () -> InputShapes.apply(g, Map.of("image", new long[] {1, 3, 8}), null));
        assertTrue(e.getMessage().contains("rank 3") && e.getMessage().contains("rank 4"), e.getMessage());
        ConversionException c = assertThrows(ConversionException.class,
                () -> InputShapes.apply(g, new java.util.LinkedHashMap<>(Map.of("image", new long[] {1, 3, 8, 8}, "mask", new long[] {2, 1})), null));
        assertTrue(c.getMessage().contains("'N'"), c.getMessage());
        assertThrows(ConversionException.class, () -> InputShapes.apply(g, Map.of("image", new long[] {0, 3, 8, 8}), null));
        assertThrows(ConversionException.class, () -> InputShapes.apply(g, Map.of(), 0));
        // the failed calls left every input as it was
        assertEquals(Dim.sym("N"), shape(g, "image").dim(0));
        assertEquals(Dim.sym("N"), shape(g, "mask").dim(0));
    }

    @Test
    void unknownRankTakesAnyRank() {
        Graph g = new Graph("u");
        g.addInput("x", new ValueType(DType.FLOAT32, null));
        InputShapes.apply(g, Map.of("x", new long[] {1, 2, 3}), 7);
        assertEquals(Shape.of(1, 2, 3), shape(g, "x"));
    }

    @Test
    void parseDims() {
        assertArrayEquals(new long[] {1, 3, 224, 224}, InputShapes.parseDims("1,3,224,224"));
        assertArrayEquals(new long[] {1, 3, 8, 8}, InputShapes.parseDims("1, 3,8 ,8"));
        assertThrows(IllegalArgumentException.class, () -> InputShapes.parseDims("1x3x8x8"));
        assertArrayEquals(new long[] {5}, InputShapes.parseDims(" 5 "));
        assertThrows(IllegalArgumentException.class, () -> InputShapes.parseDims("1,a"));
        assertThrows(IllegalArgumentException.class, () -> InputShapes.parseDims("1,,2"));
        assertThrows(IllegalArgumentException.class, () -> InputShapes.parseDims("1,-1"));
        assertThrows(IllegalArgumentException.class, () -> InputShapes.parseDims(""));
    }
}
