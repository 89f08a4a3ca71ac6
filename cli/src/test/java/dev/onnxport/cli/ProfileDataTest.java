package dev.onnxport.cli;

import dev.onnxport.backends.tflite.TfliteOps;
import dev.onnxport.cli.profiles.OpVersions;
import dev.onnxport.cli.profiles.Profile;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The built-in profiles are consistent with the op-version table, the pass catalog and the TFLite backend. */
class ProfileDataTest {
    /** The newest version of each op the TFLite backend lowers: its version at opset 22 (the node suites' newest). */
    static Map<String, Integer> tfliteOps() {
        OpVersions v = OpVersions.standard();
        Map<String, Integer> r = new TreeMap<>();
        for (String op : TfliteOps.standard().all().keySet()) {
            int at = v.knows(op) ? v.versionAt(op, 22) : 1;
            if (at == 0) at = v.versions(op).get(0);
            r.put(op, at);
        }
        return r;
    }

    @Test
    void tfliteProfileListsWhatTheBackendLowers() {
        Profile p = Profile.load("tflite");
        Map<String, Integer> expected = tfliteOps();
        Map<String, Integer> actual = new TreeMap<>(p.ops());
        if (!expected.equals(actual)) {
            StringBuilder sb = new StringBuilder("cli/src/main/resources/profiles/tflite.txt is out of date (the TFLite backend's ops changed)");
            for (Map.Entry<String, Integer> e : expected.entrySet())
                if (!e.getValue().equals(actual.get(e.getKey()))) sb.append("\n  add:    op ").append(e.getKey()).append(' ').append(e.getValue());
            for (Map.Entry<String, Integer> e : actual.entrySet())
                if (!e.getValue().equals(expected.get(e.getKey()))) sb.append("\n  remove: op ").append(e.getKey()).append(' ').append(e.getValue());
            sb.append("\nall op lines:\n");
            for (Map.Entry<String, Integer> e : expected.entrySet()) sb.append("op ").append(e.getKey()).append(' ').append(e.getValue()).append('\n');
            throw new AssertionError(sb.toString());
        }
        assertEquals("tflite", p.target());
    }

    @Test
    void everyBuiltInProfileLoadsAndNamesKnownPassesAndOps() {
        OpVersions v = OpVersions.standard();
        assertTrue(Profile.builtinNames().containsAll(List.of("portable-opset11", "barracuda", "tflite")));
        for (String name : Profile.builtinNames()) {
            Profile p = Profile.load(name);
            assertEquals(name, p.name());
            assertFalse(p.description().isEmpty(), name);
            assertFalse(p.ops().isEmpty(), name);
            for (String pass : p.passes()) assertNotNull(PassCatalog.byName(pass), name + ": pass " + pass);
            for (Map.Entry<String, Integer> e : p.ops().entrySet()) {
                String op = e.getKey();
                if (op.contains(".")) continue; // another domain: its own versions
                assertTrue(v.knows(op), name + ": " + op);
                assertTrue(v.versions(op).contains(e.getValue()), name + ": " + op + " has no version " + e.getValue());
                // an ONNX profile that writes an opset lists each op at that opset's version
                if (p.opset() != null) assertEquals(v.versionAt(op, p.opset()), e.getValue(), name + ": " + op);
            }
        }
        assertEquals(11, Profile.load("portable-opset11").opset());
        assertEquals(11, Profile.load("barracuda").opset());
        assertEquals(null, Profile.load("tflite").opset(), "tflite keeps the model's opset");
    }

    @Test
    void opVersionsKnowWhichStepsANodeSurvives() {
        OpVersions v = OpVersions.standard();
        assertEquals(List.of(1, 11, 13, 21, 23, 24, 25), v.versions("Squeeze"));
        assertEquals(11, v.versionAt("Squeeze", 12));
        assertEquals(13, v.versionAt("Squeeze", 17));
        assertEquals(0, v.versionAt("GridSample", 15));
        assertEquals(16, v.versionAt("GridSample", 16));
        // Relu 6 -> 13 (+bfloat16) -> 14 (+int8..int64): float Relu-14 reads as Relu-6, int32 does not
        dev.onnxport.ir.Graph g = new dev.onnxport.ir.Graph("g");
        g.opsets().put("", 14);
        dev.onnxport.ir.Value f = g.addInput("f", dev.onnxport.ir.ValueType.of(dev.onnxport.ir.DType.FLOAT32, 2));
        dev.onnxport.ir.Value i = g.addInput("i", dev.onnxport.ir.ValueType.of(dev.onnxport.ir.DType.INT32, 2));
        dev.onnxport.ir.Node rf = g.add("Relu", f), ri = g.add("Relu", i);
        rf.output().setType(f.type());
        ri.output().setType(i.type());
        assertEquals(null, v.whyNot(rf, 14, 6));
        assertEquals("element type int32 needs Relu-14", v.whyNot(ri, 14, 6));
        assertEquals(null, v.whyNot(ri, 6, 14), "going up only needs compatible steps");
        // Squeeze 11 -> 13 moved axes to an input: neither way
        dev.onnxport.ir.Node sq = g.add("Squeeze", f);
        assertEquals("Squeeze-13 changed the op's meaning or signature", v.whyNot(sq, 11, 13));
        assertEquals("Squeeze-13 changed the op's meaning or signature", v.whyNot(sq, 13, 11));
        // Softmax-13 kept its attributes but changed what axis means
        assertEquals("Softmax-13 changed the op's meaning or signature", v.whyNot(g.add("Softmax", f), 13, 11));
    }
}
