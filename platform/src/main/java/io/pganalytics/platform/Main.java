package io.pganalytics.platform;

import io.pganalytics.config.InvalidValue;
import io.pganalytics.platform.quickstart.QuickstartCommand;
import io.pganalytics.platform.role.ApiCommand;
import io.pganalytics.platform.role.AuditCaptureCommand;
import io.pganalytics.platform.role.AuditCommand;
import io.pganalytics.platform.role.BackupCommand;
import io.pganalytics.platform.role.CollectorCommand;
import io.pganalytics.platform.role.FleetCommand;
import io.pganalytics.platform.role.MigrateCommand;
import io.pganalytics.platform.role.RegistryCommand;
import io.pganalytics.platform.role.RestoreCommand;
import io.pganalytics.platform.role.StreamsCommand;
import io.pganalytics.platform.role.UsersCommand;
import io.pganalytics.platform.role.KeysCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code pganalytics} command: one program, one subcommand per role (ARCHITECTURE.md §6).
 */
@Command(name = "pganalytics",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "PostgreSQL fleet monitoring on Apache Kafka.",
        subcommands = {QuickstartCommand.class, CollectorCommand.class, StreamsCommand.class, RegistryCommand.class,
            RestoreCommand.class, FleetCommand.class, MigrateCommand.class, ApiCommand.class, UsersCommand.class, KeysCommand.class, AuditCaptureCommand.class, AuditCommand.class, BackupCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The command line with pgAnalytics' error handling: a user's mistake (an {@link InvalidValue}, whose message
     * names the key or option) is one line and exit code 2; anything else one line and exit code 1; no stack traces.
     */
    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new Main());
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof InvalidValue) {
                cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
                return 2;
            }
            cmd.getErr().println("pganalytics: " + e.getMessage());
            return 1;
        });
        return commandLine;
    }
}
