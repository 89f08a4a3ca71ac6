package dev.onnxport.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.Charset;

/** The {@code onnxport} command: {@code convert}, {@code inspect}, {@code check}, {@code make}, {@code merge} and {@code passes}. */
@Command(name = "onnxport", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Converts ONNX models to TFLite (or writes them back as cleaned-up ONNX, checked against a target profile), "
                + "inspects .onnx and .tflite files, checks a converted model layer by layer against its ONNX source, "
                + "generates ONNX parts (NMS, median, ...) and merges models.",
        subcommands = {ConvertCommand.class, InspectCommand.class, CheckCommand.class, MakeCommand.class, MergeCommand.class,
                PassesCommand.class, CommandLine.HelpCommand.class},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  success",
                "  1  conversion failed: unsupported ops (all listed), a pass or backend",
                "     failed, or the output could not be written; nothing is written",
                "  2  bad usage or unreadable input: missing, corrupt or truncated file,",
                "     external data missing or outside the model's folder, unknown",
                "     --input-shape name",
                "",
                "Examples:",
                "  onnxport convert examples/tiny_cnn.onnx --to tflite --fp16 -o out",
                "  onnxport inspect out/tiny_cnn_float32.tflite",
                "  onnxport check examples/tiny_cnn.onnx out/tiny_cnn_float32.tflite",
                "  onnxport make nms --classes 80 --boxes 1000 --max-output 100 -o nms.onnx",
                "  onnxport merge detector.onnx nms.onnx --connect boxes:boxes,scores:scores -o detector_nms.onnx"})
public final class Main implements Runnable {
    @Spec CommandSpec spec;

    @Override public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: use 'convert', 'inspect', 'check', 'make', 'merge' or 'passes' (see --help)");
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, Charset.defaultCharset());
        PrintWriter err = new PrintWriter(System.err, true, Charset.defaultCharset());
        int code;
        try {
            code = execute(out, err, args);
        } catch (OutOfMemoryError e) {
            err.println("onnxport: error: out of memory; give Java more heap (e.g. JAVA_OPTS=-Xmx8g bin/onnxport ...)");
            code = ExitCodes.FAILED;
        } catch (Error e) {
            // picocli hands only Exceptions to the handler; an Error (e.g. a failed static initializer) ends up here
            err.println("onnxport: error: internal error: " + e);
            if (java.util.Arrays.asList(args).contains("--verbose")) e.printStackTrace(err);
            else err.println("(run again with --verbose for the stack trace)");
            code = ExitCodes.FAILED;
        }
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs one command line in-process with the given writers and returns its exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        return commandLine(out, err).execute(args);
    }

    /** The configured command line (writers, case-insensitive enum values, error reporting and exit codes). */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            PrintWriter w = c.getErr();
            w.println("onnxport: error: " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, w);
            w.println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more information.");
            w.flush();
            return ExitCodes.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            boolean verbose = cmd.getCommand() instanceof BaseCommand b && b.verbose;
            PrintWriter w = cmd.getErr();
            int code;
            if (ex instanceof CliException c) {
                code = c.exitCode();
                w.println("onnxport: error: " + c.getMessage());
                if (verbose) (c.getCause() != null ? c.getCause() : c).printStackTrace(w);
            } else {
                code = ExitCodes.FAILED;
                w.println("onnxport: error: internal error: " + ex);
                if (verbose) ex.printStackTrace(w);
                else w.println("(run again with --verbose for the stack trace)");
            }
            w.flush();
            return code;
        });
        return cl;
    }
}
