package dev.onnxport.cli;

/** The process exit codes of every onnxport command. */
public final class ExitCodes {
    private ExitCodes() {}

    /** Success. */
    public static final int OK = 0;
    /** The model was read but could not be converted (unsupported ops, a pass or backend failed, writing failed). */
    public static final int FAILED = 1;
    /** Bad usage or unreadable input (missing/corrupt/truncated file, external data problems, unknown input name). */
    public static final int USAGE = 2;
}
