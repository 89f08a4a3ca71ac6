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
        if (!expected.equals(new TreeMap<>(p.ops()))) {
            StringBuilder sb = new StringBuilder();
            for (Map.Entry<String, Integer> e : expected.entrySet()) sb.append("op ").append(e.getKey()).append(' ').append(e.getValue()).append('\n');
            assertEquals(expected, new TreeMap<>(p.ops()), "cli/src/main/resources/profiles/tflite.txt is out of date; its op lines should be:\n" + sb);
        }
        assertEquals("tflite", p.target());
    }
}
