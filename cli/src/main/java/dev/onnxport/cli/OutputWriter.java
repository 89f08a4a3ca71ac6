package dev.onnxport.cli;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Puts a set of output files into a folder all-or-nothing. Each file is first written into a staging folder inside
 * the output folder (same file system), then moved into place with an atomic rename; a file it replaces is kept
 * aside until every move succeeded. On any failure the output folder is left as it was: new files are removed,
 * replaced files are restored, the staging folder and any folders this call created are deleted.
 */
final class OutputWriter {
    private OutputWriter() {}

    /** Writes one output's file(s) into a folder; returns the names of the files it wrote there. */
    @FunctionalInterface
    interface Output {
        List<String> writeInto(Path dir) throws IOException;
    }

    /** An output already computed in memory. */
    static Output bytes(String name, byte[] data) {
        return dir -> {
            Files.write(dir.resolve(name), data);
            return List.of(name);
        };
    }

    static List<Path> commit(Path outDir, List<Output> outputs) throws IOException {
        return commit(outDir, outputs, i -> { });
    }

    /** As {@link #commit(Path, List)}; {@code beforeMove} runs before the i-th file is moved into place (tests inject faults). */
    static List<Path> commit(Path outDir, List<Output> outputs, IntConsumer beforeMove) throws IOException {
        Path dir = outDir.toAbsolutePath().normalize();
        List<Path> createdDirs = createDirectories(dir);
        Path staging = null;
        Path backups = null;
        List<String> names = new ArrayList<>();
        List<Path> moved = new ArrayList<>();
        List<String> backedUp = new ArrayList<>();
        Thread cleanup = null;
        boolean ok = false;
        try {
            staging = Files.createTempDirectory(dir, ".onnxport-tmp-");
            Path st = staging;
            cleanup = new Thread(() -> deleteQuietly(st), "onnxport-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            Set<String> seen = new LinkedHashSet<>();
            for (Output o : outputs) {
                for (String n : o.writeInto(staging)) {
                    if (!seen.add(n)) throw new IOException("two outputs are both named '" + n + "'");
                    names.add(n);
                }
            }
            backups = Files.createDirectory(staging.resolve(".replaced"));
            for (String n : names) {
                Path target = dir.resolve(n);
                if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) throw new IOException("'" + target + "' is a folder; cannot write a file there");
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    Files.move(target, backups.resolve(n), StandardCopyOption.ATOMIC_MOVE);
                    backedUp.add(n);
                }
            }
            for (int i = 0; i < names.size(); i++) {
                beforeMove.accept(i);
                Path target = dir.resolve(names.get(i));
                Files.move(staging.resolve(names.get(i)), target, StandardCopyOption.ATOMIC_MOVE);
                moved.add(target);
            }
            ok = true;
            List<Path> r = new ArrayList<>();
            for (String n : names) r.add(dir.resolve(n));
            return r;
        } finally {
            if (!ok) {
                for (Path p : moved) deleteQuietly(p);
                for (String n : backedUp) {
                    try {
                        Files.move(backups.resolve(n), dir.resolve(n), StandardCopyOption.ATOMIC_MOVE);
                    } catch (IOException e) {
                        // keep going: restore as much as possible
                    }
                }
            }
            if (staging != null) deleteQuietly(staging);
            if (cleanup != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException e) {
                    // the JVM is shutting down: the hook runs anyway
                }
            }
            if (!ok) {
                Collections.reverse(createdDirs);
                for (Path d : createdDirs) {
                    try {
                        Files.deleteIfExists(d);
                    } catch (DirectoryNotEmptyException e) {
                        break;
                    } catch (IOException e) {
                        break;
                    }
                }
            }
        }
    }

    /** Creates dir and its missing parents; returns the folders it created, outermost first. */
    private static List<Path> createDirectories(Path dir) throws IOException {
        List<Path> missing = new ArrayList<>();
        for (Path p = dir; p != null && !Files.exists(p); p = p.getParent()) missing.add(0, p);
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new IOException("'" + dir + "' exists and is not a folder");
        Files.createDirectories(dir);
        return missing;
    }

    static void deleteQuietly(Path p) {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        try {
            Files.walkFileTree(p, new SimpleFileVisitor<>() {
                @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                    Files.deleteIfExists(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
