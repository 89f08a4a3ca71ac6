package dev.onnxport.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** What every subcommand shares: --verbose, and its stdout/stderr writers (set by {@link Main#commandLine}). */
abstract class BaseCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    PrintWriter out() { return spec.commandLine().getOut(); }

    PrintWriter err() { return spec.commandLine().getErr(); }
}
