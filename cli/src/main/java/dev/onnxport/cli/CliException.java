package dev.onnxport.cli;

/**
 * A failure the CLI reports as one message on stderr with a given exit code (no stack trace unless --verbose).
 */
public class CliException extends RuntimeException {
    private final int exitCode;

    public CliException(int exitCode, String message) { this(exitCode, message, null); }

    public CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() { return exitCode; }

    /** Bad usage or an input that cannot be read (exit 2). */
    public static CliException usage(String message) { return new CliException(ExitCodes.USAGE, message); }

    public static CliException usage(String message, Throwable cause) { return new CliException(ExitCodes.USAGE, message, cause); }

    /** The model was read but could not be converted (exit 1). */
    public static CliException failed(String message, Throwable cause) { return new CliException(ExitCodes.FAILED, message, cause); }
}
