package io.pganalytics.platform.role;

import picocli.CommandLine;

/** A command that only groups sub-commands ({@code fleet}, {@code fleet targets}): run alone, it shows its usage. */
abstract class CommandGroup implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
