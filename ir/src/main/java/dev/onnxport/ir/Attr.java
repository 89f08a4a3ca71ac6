package dev.onnxport.ir;

import java.util.Arrays;
import java.util.List;

/** A typed node attribute, as read from the source model. */
public sealed interface Attr {
    record Int(long value) implements Attr {}

    record Float(float value) implements Attr {}

    record Str(String value) implements Attr {}

    record TensorAttr(Tensor value) implements Attr {}

    record GraphAttr(Graph value) implements Attr {}

    record Ints(long[] value) implements Attr {
        @Override public boolean equals(Object o) { return o instanceof Ints i && Arrays.equals(i.value, value); }
        @Override public int hashCode() { return Arrays.hashCode(value); }
        @Override public String toString() { return Arrays.toString(value); }
    }

    record Floats(float[] value) implements Attr {
        @Override public boolean equals(Object o) { return o instanceof Floats i && Arrays.equals(i.value, value); }
        @Override public int hashCode() { return Arrays.hashCode(value); }
        @Override public String toString() { return Arrays.toString(value); }
    }

    record Strs(List<String> value) implements Attr {}

    record Tensors(List<Tensor> value) implements Attr {}

    record Graphs(List<Graph> value) implements Attr {}
}
