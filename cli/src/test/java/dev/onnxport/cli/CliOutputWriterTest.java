package dev.onnxport.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.onnxport.cli.CliRun.list;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CliOutputWriterTest {
    @Test
    void commitsAllFiles(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("a/b");
        List<Path> w = OutputWriter.commit(out, List.of(OutputWriter.bytes("one.bin", new byte[] {1}), OutputWriter.bytes("two.bin", new byte[] {2, 2})));
        assertEquals(List.of(out.resolve("one.bin").toAbsolutePath(), out.resolve("two.bin").toAbsolutePath()), w);
        assertEquals(List.of("one.bin", "two.bin"), list(out));
        assertEquals(2, Files.size(out.resolve("two.bin")));
    }

    @Test
    void failureWhileMovingRestoresTheFolder(@TempDir Path dir) throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.writeString(out.resolve("one.bin"), "old one");
        Files.writeString(out.resolve("other.txt"), "unrelated");
        List<OutputWriter.Output> outs = List.of(OutputWriter.bytes("one.bin", new byte[] {1}), OutputWriter.bytes("two.bin", new byte[] {2}));
        // the first file is already in place when the second move fails
        assertThrows(UncheckedIOException.class, () -> OutputWriter.commit(out, outs, i -> {
            if (i == 1) throw new UncheckedIOException(new IOException("disk full (injected)"));
        }));
        assertEquals(List.of("one.bin", "other.txt"), list(out), "no new file and no staging folder is left");
        assertEquals("old one", Files.readString(out.resolve("one.bin")), "the replaced file is restored");
    }

    @Test
    void failureWhileWritingLeavesNoFolderBehind(@TempDir Path dir) {
        Path out = dir.resolve("new/out");
        OutputWriter.Output bad = d -> { throw new IOException("cannot write (injected)"); };
        assertThrows(IOException.class, () -> OutputWriter.commit(out, List.of(OutputWriter.bytes("a.bin", new byte[] {1}), bad)));
        assertEquals(false, Files.exists(dir.resolve("new")), "folders this call created are removed again");
    }

    @Test
    void duplicateNamesAreRejected(@TempDir Path dir) throws Exception {
        assertThrows(IOException.class, () -> OutputWriter.commit(dir, List.of(OutputWriter.bytes("a", new byte[0]), OutputWriter.bytes("a", new byte[0]))));
        assertEquals(List.of(), list(dir));
    }
}
