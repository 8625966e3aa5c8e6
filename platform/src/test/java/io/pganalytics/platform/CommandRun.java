package io.pganalytics.platform;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One in-process run of the {@code pganalytics} command line, with what it printed. */
public record CommandRun(int exitCode, String out, String err) {

    /** Runs {@code pganalytics <args>} with pgAnalytics' error handling and captures both streams. */
    public static CommandRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = Main.commandLine();
        commandLine.setOut(new PrintWriter(out));
        commandLine.setErr(new PrintWriter(err));
        int code = commandLine.execute(args);
        return new CommandRun(code, out.toString().strip(), err.toString().strip());
    }
}
