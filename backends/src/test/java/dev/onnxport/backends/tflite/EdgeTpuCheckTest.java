package dev.onnxport.backends.tflite;

import org.junit.jupiter.api.Test;
import tflite.ActivationFunctionType;
import tflite.BuiltinOperator;
import tflite.BuiltinOptions;
import tflite.ConcatenationOptions;
import tflite.Conv2DOptions;
import tflite.FullyConnectedOptions;
import tflite.PackOptions;
import tflite.Padding;
import tflite.Pool2DOptions;
import tflite.ReducerOptions;
import tflite.SoftmaxOptions;
import tflite.SqueezeOptions;
import tflite.StridedSliceOptions;
import tflite.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rules of {@link EdgeTpuCheck} on small hand-built int8 models: each model's ops before the one under test are on
 * Coral's list and within its limits, so the prediction must stop exactly at that op and name the limitation (or map
 * everything for the variant that respects it). The expected reasons are the rows of Coral's table quoted in
 * EdgeTpuCheck's sources; the Edge TPU compiler itself is not available here.
 */
class EdgeTpuCheckTest {

    /** A small int8 model: tensors get scale 0.05 / zero point 0 unless given. */
    static final class M {
        final TfliteModelBuilder b = new TfliteModelBuilder();
        final List<Integer> inputs = new ArrayList<>();
        int last;

        M(int... shape) { last = act("x", shape); inputs.add(last); }

        int act(String name, int... shape) {
            return b.addTensor(name, TensorType.INT8, shape, null, null, new TfliteModelBuilder.Quant(new float[] {0.05f}, new long[] {0}, 0));
        }

        int int8Const(String name, int[] shape, int fill) {
            int n = 1;
            for (int d : shape) n *= d;
            ByteBuffer d = ByteBuffer.allocate(n);
            for (int i = 0; i < n; i++) d.put((byte) fill);
            d.flip();
            return b.addTensor(name, TensorType.INT8, shape, null, d, new TfliteModelBuilder.Quant(new float[] {0.05f}, new long[] {0}, 0));
        }

        int i32(String name, int... v) {
            ByteBuffer d = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            for (int x : v) d.putInt(x);
            d.flip();
            return b.addTensor(name, TensorType.INT32, new int[] {v.length}, null, d, null);
        }

        /** An op reading ins, writing a new int8 tensor of outShape, which becomes {@link #last}. */
        M op(int builtin, int[] ins, int[] outShape, byte optType, TfliteModelBuilder.OptionsWriter w) {
            int y = act("t" + b.tensorCount(), outShape);
            b.addOp(builtin, 1, ins, new int[] {y}, optType, w);
            last = y;
            return this;
        }

        M op(int builtin, int[] outShape) { return op(builtin, new int[] {last}, outShape, BuiltinOptions.NONE, null); }

        /** 3x3 conv, stride 1, SAME, dilation dh x dw, with constant weights and int32 bias. */
        M conv(int cin, int cout, int[] outShape, int dh, int dw) {
            int w = int8Const("w" + b.tensorCount(), new int[] {cout, 3, 3, cin}, 1);
            ByteBuffer bias = ByteBuffer.allocate(4 * cout).order(ByteOrder.LITTLE_ENDIAN);
            int bt = b.addTensor("b" + b.tensorCount(), TensorType.INT32, new int[] {cout}, null, bias, null);
            return op(BuiltinOperator.CONV_2D, new int[] {last, w, bt}, outShape, BuiltinOptions.Conv2DOptions, fb -> {
                Conv2DOptions.startConv2DOptions(fb);
                Conv2DOptions.addPadding(fb, Padding.SAME);
                Conv2DOptions.addStrideW(fb, 1);
                Conv2DOptions.addStrideH(fb, 1);
                Conv2DOptions.addDilationHFactor(fb, dh);
                Conv2DOptions.addDilationWFactor(fb, dw);
                return Conv2DOptions.endConv2DOptions(fb);
            });
        }

        EdgeTpuCheck.Report check() {
            return EdgeTpuCheck.check(b.finish(new int[] {inputs.get(0)}, new int[] {last}, "test", Map.of()));
        }
    }

    static TfliteModelBuilder.OptionsWriter reducer(boolean keep) {
        return fb -> { ReducerOptions.startReducerOptions(fb); ReducerOptions.addKeepDims(fb, keep); return ReducerOptions.endReducerOptions(fb); };
    }

    static TfliteModelBuilder.OptionsWriter softmax() {
        return fb -> { SoftmaxOptions.startSoftmaxOptions(fb); SoftmaxOptions.addBeta(fb, 1f); return SoftmaxOptions.endSoftmaxOptions(fb); };
    }

    /** The prediction stops at op k of type op, with a reason containing reason. */
    static void stopsAt(EdgeTpuCheck.Report r, int k, String op, String reason) {
        assertEquals(k, r.mapped(), r.summary());
        assertTrue(r.firstStop().startsWith("op " + k + " " + op + " "), r.firstStop());
        assertTrue(r.firstStop().contains(reason), r.firstStop());
        assertTrue(r.summary().contains(k + " of " + r.ops() + " ops would map"), r.summary());
    }

    static void allMap(EdgeTpuCheck.Report r) {
        assertEquals(r.ops(), r.mapped(), r.summary());
        assertNull(r.firstStop());
        assertTrue(r.summary().startsWith("edgetpu: all " + r.ops() + " ops would map"), r.summary());
    }

    @Test
    void classifierMapsCompletely() {
        M m = new M(1, 8, 8, 3).conv(3, 8, new int[] {1, 8, 8, 8}, 1, 1);
        m.op(BuiltinOperator.MAX_POOL_2D, new int[] {m.last}, new int[] {1, 4, 4, 8}, BuiltinOptions.Pool2DOptions, fb -> {
            Pool2DOptions.startPool2DOptions(fb);
            Pool2DOptions.addPadding(fb, Padding.VALID);
            Pool2DOptions.addStrideW(fb, 2); Pool2DOptions.addStrideH(fb, 2);
            Pool2DOptions.addFilterWidth(fb, 2); Pool2DOptions.addFilterHeight(fb, 2);
            return Pool2DOptions.endPool2DOptions(fb);
        });
        m.op(BuiltinOperator.MEAN, new int[] {m.last, m.i32("axes", 1, 2)}, new int[] {1, 8}, BuiltinOptions.ReducerOptions, reducer(false));
        m.op(BuiltinOperator.SOFTMAX, new int[] {m.last}, new int[] {1, 8}, BuiltinOptions.SoftmaxOptions, softmax());
        allMap(m.check());
    }

    @Test
    void opNotOnTheList() {
        M m = new M(1, 8, 8, 3).conv(3, 8, new int[] {1, 8, 8, 8}, 1, 1).op(BuiltinOperator.HARD_SWISH, new int[] {1, 8, 8, 8});
        m.op(BuiltinOperator.RELU, new int[] {1, 8, 8, 8});
        EdgeTpuCheck.Report r = m.check();
        stopsAt(r, 1, "HARD_SWISH", "not on Coral's supported-operations list");
        assertEquals(1, r.problems().size(), r.problems().toString()); // the RELU after it is fine in itself
    }

    @Test
    void softmaxOnlyOneDimensionalUpTo16000() {
        // yolov8's DFL softmax: [1,4,2100,16] has three dimensions above 1
        M m = new M(1, 4, 16, 8).conv(8, 16, new int[] {1, 4, 16, 16}, 1, 1);
        m.op(BuiltinOperator.SOFTMAX, new int[] {m.last}, new int[] {1, 4, 16, 16}, BuiltinOptions.SoftmaxOptions, softmax());
        stopsAt(m.check(), 1, "SOFTMAX", "is not 1-D (Softmax: \"Supports only 1-D input tensor with a max of 16,000 elements.\")");

        M big = new M(1, 16001);
        big.op(BuiltinOperator.SOFTMAX, new int[] {big.last}, new int[] {1, 16001}, BuiltinOptions.SoftmaxOptions, softmax());
        stopsAt(big.check(), 0, "SOFTMAX", "more than 16,000 elements");

        M ok = new M(1, 16000);
        ok.op(BuiltinOperator.SOFTMAX, new int[] {ok.last}, new int[] {1, 16000}, BuiltinOptions.SoftmaxOptions, softmax());
        allMap(ok.check());
    }

    @Test
    void convNeedsEqualDilation() {
        stopsAt(new M(1, 16, 16, 3).conv(3, 4, new int[] {1, 16, 16, 4}, 1, 1).conv(4, 4, new int[] {1, 16, 16, 4}, 2, 1).check(),
                1, "CONV_2D", "dilation 2x1 (Conv2d: \"Must use the same dilation in x and y dimensions.\")");
        allMap(new M(1, 16, 16, 3).conv(3, 4, new int[] {1, 16, 16, 4}, 2, 2).check());
    }

    @Test
    void concatenationConstantMustBeZeroPaddingOfTwoInputs() {
        for (int fill : new int[] {0, 3}) {
            M m = new M(1, 4, 4, 8).conv(8, 8, new int[] {1, 4, 4, 8}, 1, 1);
            int k = m.int8Const("pad", new int[] {1, 4, 4, 8}, fill);
            m.op(BuiltinOperator.CONCATENATION, new int[] {m.last, k}, new int[] {1, 4, 4, 16}, BuiltinOptions.ConcatenationOptions, fb -> {
                ConcatenationOptions.startConcatenationOptions(fb);
                ConcatenationOptions.addAxis(fb, 3);
                return ConcatenationOptions.endConcatenationOptions(fb);
            });
            if (fill == 0) allMap(m.check());
            else stopsAt(m.check(), 1, "CONCATENATION", "constant input 'pad' is not all zeroes");
        }
        M m = new M(1, 4, 4, 8);
        int k = m.int8Const("zeros", new int[] {1, 4, 4, 8}, 0);
        m.op(BuiltinOperator.CONCATENATION, new int[] {m.last, k, m.last}, new int[] {1, 4, 4, 24}, BuiltinOptions.ConcatenationOptions, fb -> {
            ConcatenationOptions.startConcatenationOptions(fb);
            ConcatenationOptions.addAxis(fb, 3);
            ConcatenationOptions.addFusedActivationFunction(fb, ActivationFunctionType.NONE);
            return ConcatenationOptions.endConcatenationOptions(fb);
        });
        stopsAt(m.check(), 0, "CONCATENATION", "constant input 'zeros' among 3 inputs");
    }

    @Test
    void poolingWithFusedActivation() {
        M m = new M(1, 4, 4, 8);
        m.op(BuiltinOperator.AVERAGE_POOL_2D, new int[] {m.last}, new int[] {1, 2, 2, 8}, BuiltinOptions.Pool2DOptions, fb -> {
            Pool2DOptions.startPool2DOptions(fb);
            Pool2DOptions.addStrideW(fb, 2); Pool2DOptions.addStrideH(fb, 2);
            Pool2DOptions.addFilterWidth(fb, 2); Pool2DOptions.addFilterHeight(fb, 2);
            Pool2DOptions.addFusedActivationFunction(fb, ActivationFunctionType.RELU);
            return Pool2DOptions.endPool2DOptions(fb);
        });
        stopsAt(m.check(), 0, "AVERAGE_POOL_2D", "fused activation (AveragePool2d: \"No fused activation function.\")");
    }

    @Test
    void meanNotOverBatchAndZReductionMultipleOf4() {
        M batch = new M(1, 4, 4, 8);
        batch.op(BuiltinOperator.MEAN, new int[] {batch.last, batch.i32("axes", -4)}, new int[] {4, 4, 8}, BuiltinOptions.ReducerOptions, reducer(false));
        stopsAt(batch.check(), 0, "MEAN", "reduces over the batch dimension of [1,4,4,8]");

        M z6 = new M(1, 4, 4, 6);
        z6.op(BuiltinOperator.MEAN, new int[] {z6.last, z6.i32("axes", 3)}, new int[] {1, 4, 4, 1}, BuiltinOptions.ReducerOptions, reducer(true));
        stopsAt(z6.check(), 0, "MEAN", "z-reduction over 6 channels (not a multiple of 4)");

        M z8 = new M(1, 4, 4, 8);
        z8.op(BuiltinOperator.MEAN, new int[] {z8.last, z8.i32("axes", -1)}, new int[] {1, 4, 4, 1}, BuiltinOptions.ReducerOptions, reducer(true));
        allMap(z8.check());

        M max = new M(1, 4, 4, 6);
        max.op(BuiltinOperator.REDUCE_MAX, new int[] {max.last, max.i32("axes", 0, 3)}, new int[] {4, 4}, BuiltinOptions.ReducerOptions, reducer(false));
        stopsAt(max.check(), 0, "REDUCE_MAX", "Cannot operate on the batch dimension.");
    }

    @Test
    void padAndPackNotInBatch() {
        M pad = new M(1, 4, 4, 8);
        pad.op(BuiltinOperator.PAD, new int[] {pad.last, pad.i32("pads", 1, 0, 0, 0, 0, 0, 0, 0)}, new int[] {2, 4, 4, 8}, BuiltinOptions.NONE, null);
        stopsAt(pad.check(), 0, "PAD", "pads the batch dimension of [1,4,4,8] (Pad: \"No padding in batch dimension.\")");
        M pad2 = new M(1, 4, 4, 8);
        pad2.op(BuiltinOperator.PAD, new int[] {pad2.last, pad2.i32("pads", 0, 0, 1, 1, 1, 1, 0, 0)}, new int[] {1, 6, 6, 8}, BuiltinOptions.NONE, null);
        allMap(pad2.check());

        M pack = new M(4, 4, 8);
        pack.op(BuiltinOperator.PACK, new int[] {pack.last, pack.last}, new int[] {2, 4, 4, 8}, BuiltinOptions.PackOptions, fb -> {
            PackOptions.startPackOptions(fb); PackOptions.addValuesCount(fb, 2); PackOptions.addAxis(fb, 0); return PackOptions.endPackOptions(fb);
        });
        stopsAt(pack.check(), 0, "PACK", "packs along the batch dimension of [2,4,4,8]");
        M pack2 = new M(4, 8);
        pack2.op(BuiltinOperator.PACK, new int[] {pack2.last, pack2.last}, new int[] {2, 4, 8}, BuiltinOptions.PackOptions, fb -> {
            PackOptions.startPackOptions(fb); PackOptions.addValuesCount(fb, 2); PackOptions.addAxis(fb, 0); return PackOptions.endPackOptions(fb);
        });
        allMap(pack2.check()); // rank-3 output [y][x][z]: axis 0 is y, not a batch
    }

    @Test
    void stridedSliceOnlyUnitStrides() {
        M m = new M(1, 8, 8, 4);
        m.op(BuiltinOperator.STRIDED_SLICE, new int[] {m.last, m.i32("b", 0, 0, 0, 0), m.i32("e", 1, 8, 8, 4), m.i32("s", 1, 2, 2, 1)},
                new int[] {1, 4, 4, 4}, BuiltinOptions.StridedSliceOptions, fb -> {
                    StridedSliceOptions.startStridedSliceOptions(fb); return StridedSliceOptions.endStridedSliceOptions(fb);
                });
        stopsAt(m.check(), 0, "STRIDED_SLICE", "stride 2 (StridedSlice: \"Supported only when all strides are equal to 1");
        M ok = new M(1, 8, 8, 4);
        ok.op(BuiltinOperator.STRIDED_SLICE, new int[] {ok.last, ok.i32("b", 0, 2, 0, 0), ok.i32("e", 1, 6, 8, 4), ok.i32("s", 1, 1, 1, 1)},
                new int[] {1, 4, 8, 4}, BuiltinOptions.StridedSliceOptions, fb -> {
                    StridedSliceOptions.startStridedSliceOptions(fb); return StridedSliceOptions.endStridedSliceOptions(fb);
                });
        allMap(ok.check());
    }

    @Test
    void squeezeOnlyLeadingOnes() {
        M bad = new M(5, 1, 10);
        bad.op(BuiltinOperator.SQUEEZE, new int[] {bad.last}, new int[] {5, 10}, BuiltinOptions.SqueezeOptions, fb -> {
            int v = SqueezeOptions.createSqueezeDimsVector(fb, new int[] {1});
            return SqueezeOptions.createSqueezeOptions(fb, v);
        });
        stopsAt(bad.check(), 0, "SQUEEZE", "squeezes dimension 1 of [5,1,10]");
        M ok = new M(1, 5, 10);
        ok.op(BuiltinOperator.SQUEEZE, new int[] {ok.last}, new int[] {5, 10}, BuiltinOptions.SqueezeOptions, fb -> {
            int v = SqueezeOptions.createSqueezeDimsVector(fb, new int[] {0});
            return SqueezeOptions.createSqueezeOptions(fb, v);
        });
        allMap(ok.check());
    }

    @Test
    void fullyConnectedOutputOneDimensional() {
        M m = new M(2, 16);
        int w = m.int8Const("w", new int[] {10, 16}, 1);
        m.op(BuiltinOperator.FULLY_CONNECTED, new int[] {m.last, w, -1}, new int[] {2, 10}, BuiltinOptions.FullyConnectedOptions, fb -> {
            FullyConnectedOptions.startFullyConnectedOptions(fb); return FullyConnectedOptions.endFullyConnectedOptions(fb);
        });
        stopsAt(m.check(), 0, "FULLY_CONNECTED", "output [2,10] is not one-dimensional");
        M one = new M(1, 16);
        int w1 = one.int8Const("w", new int[] {10, 16}, 1);
        one.op(BuiltinOperator.FULLY_CONNECTED, new int[] {one.last, w1, -1}, new int[] {1, 10}, BuiltinOptions.FullyConnectedOptions, fb -> {
            FullyConnectedOptions.startFullyConnectedOptions(fb); return FullyConnectedOptions.endFullyConnectedOptions(fb);
        });
        allMap(one.check());
    }

    @Test
    void preluAlphaOneDimensional() {
        M m = new M(1, 4, 4, 8);
        int a = m.int8Const("alpha", new int[] {1, 4, 1, 8}, 1);
        m.op(BuiltinOperator.PRELU, new int[] {m.last, a}, new int[] {1, 4, 4, 8}, BuiltinOptions.NONE, null);
        stopsAt(m.check(), 0, "PRELU", "alpha [1,4,1,8] is not 1-dimensional");
        M ok = new M(1, 4, 4, 8);
        int a1 = ok.int8Const("alpha", new int[] {1, 1, 1, 8}, 1);
        ok.op(BuiltinOperator.PRELU, new int[] {ok.last, a1}, new int[] {1, 4, 4, 8}, BuiltinOptions.NONE, null);
        allMap(ok.check());
    }

    @Test
    void tensorRequirements() {
        // more than the 3 innermost dimensions above 1
        M rank = new M(2, 4, 4, 8);
        rank.op(BuiltinOperator.RELU, new int[] {2, 4, 4, 8});
        stopsAt(rank.check(), 0, "RELU", "input [2,4,4,8] has more than the 3 innermost dimensions above 1");
        // a float tensor (e.g. a DEQUANTIZE output) stops the mapping
        M fl = new M(1, 4, 4, 8).op(BuiltinOperator.RELU, new int[] {1, 4, 4, 8});
        int f = fl.b.addTensor("f", TensorType.FLOAT32, new int[] {1, 4, 4, 8}, null, null, null);
        fl.b.addOp(BuiltinOperator.DEQUANTIZE, 1, new int[] {fl.last}, new int[] {f}, BuiltinOptions.NONE, null);
        fl.last = f;
        stopsAt(fl.check(), 1, "DEQUANTIZE", "not on Coral's supported-operations list");
        M fl2 = new M(1, 4, 4, 8);
        int g = fl2.b.addTensor("g", TensorType.FLOAT32, new int[] {1, 4, 4, 8}, null, null, null);
        fl2.b.addOp(BuiltinOperator.RELU, 1, new int[] {fl2.last}, new int[] {g}, BuiltinOptions.NONE, null);
        fl2.last = g;
        stopsAt(fl2.check(), 0, "RELU", "float output 'g'");
        // a dynamic dimension
        M dyn = new M(1, 4, 4, 8);
        int d = dyn.b.addTensor("d", TensorType.INT8, new int[] {1, 4, 4, 8}, new int[] {-1, 4, 4, 8}, null,
                new TfliteModelBuilder.Quant(new float[] {0.05f}, new long[] {0}, 0));
        dyn.b.addOp(BuiltinOperator.RELU, 1, new int[] {dyn.last}, new int[] {d}, BuiltinOptions.NONE, null);
        dyn.last = d;
        stopsAt(dyn.check(), 0, "RELU", "output 'd' has a dynamic shape");
    }

    @Test
    void unconfirmedRowsAreNamed() {
        M m = new M(1, 4, 4, 8);
        m.op(BuiltinOperator.SUM, new int[] {m.last, m.i32("axes", 1, 2)}, new int[] {1, 8}, BuiltinOptions.ReducerOptions, reducer(false));
        EdgeTpuCheck.Report r = m.check();
        allMap(r);
        assertEquals(java.util.Set.of("SUM"), r.unconfirmed());
        assertTrue(r.summary().contains("SUM counted as mapped by a row not confirmed"), r.summary());
    }

    @Test
    void everyRowNamesItsSource() {
        for (var e : EdgeTpuCheck.TABLE.entrySet()) {
            assertTrue(!e.getValue().coralName().isEmpty() && !e.getValue().source().isEmpty(), BuiltinOperator.name(e.getKey()));
        }
        assertTrue(EdgeTpuCheck.SUPPORTED.contains(BuiltinOperator.TRANSPOSE));
        assertTrue(!EdgeTpuCheck.SUPPORTED.contains(BuiltinOperator.HARD_SWISH) && !EdgeTpuCheck.SUPPORTED.contains(BuiltinOperator.LEAKY_RELU)
                && !EdgeTpuCheck.SUPPORTED.contains(BuiltinOperator.SPLIT_V) && !EdgeTpuCheck.SUPPORTED.contains(BuiltinOperator.GATHER));
    }
}
