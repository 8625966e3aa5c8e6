package io.pganalytics.platform.role;

import io.pganalytics.config.InvalidValue;
import io.pganalytics.fleet.admin.Actor;
import io.pganalytics.fleet.admin.CommandRequest;
import io.pganalytics.fleet.admin.CommandResult;
import io.pganalytics.fleet.admin.DesiredStateSpec;
import io.pganalytics.fleet.admin.FleetAdmin;
import io.pganalytics.fleet.admin.ListedTarget;
import io.pganalytics.fleet.admin.TargetSpec;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.FleetConfig;
import io.pganalytics.schemas.fleet.FleetTarget;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import io.pganalytics.schemas.secret.SecretBox;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pganalytics fleet}: manages a fleet through its topics: the targets collectors share
 * ({@code pga.fleet.targets}), each collector's desired state ({@code pga.fleet.config}) and commands
 * ({@code pga.fleet.control}, acknowledged on {@code pga.fleet.events}).
 *
 * <p>A face of {@link FleetAdmin}, the one write path the API uses too: each subcommand parses its options,
 * names the {@link Actor} (the operating-system user on this host), calls the service and prints the outcome.
 * The service's {@link InvalidValue}s come back as one line naming the options, with exit code 2.
 */
@Command(name = "fleet",
        mixinStandardHelpOptions = true,
        description = {
            "Manages the fleet through Kafka: the targets the collectors of a fleet share, each collector's",
            "desired state, and commands to collectors. See docs/fleet.md.",
            "",
            "Connection: --config FILE (kafka.bootstrap.servers, schema.registry.url, fleet.secret.keys),",
            "PGA_<KEY> variables (e.g. PGA_FLEET_SECRET_KEYS), or --bootstrap-servers/--schema-registry-url."},
        footer = {"",
            "Examples:",
            "  pganalytics fleet keygen --key-id k1",
            "  pganalytics fleet targets put -c fleet.properties --id db1 \\",
            "      --url jdbc:postgresql://db1:5432/postgres --user monitor --password-env DB1_PASSWORD",
            "  pganalytics fleet targets list -c fleet.properties",
            "  pganalytics fleet config set -c fleet.properties --collector c1 --state stopped",
            "  pganalytics fleet command -c fleet.properties --collector c1 collect-now",
            "  pganalytics fleet status -c fleet.properties --targets"},
        subcommands = {FleetCommand.Targets.class, FleetCommand.ConfigCommand.class, FleetCommand.Control.class,
            FleetCommand.Keygen.class, FleetStatusCommand.class})
public final class FleetCommand extends CommandGroup {

    /** The service's fields as the options that set them. */
    private static final Map<String, String> OPTIONS = Map.ofEntries(
            Map.entry("targetId", "--id"), Map.entry("url", "--url"), Map.entry("user", "--user"),
            Map.entry("password", "--password-file or --password-env"), Map.entry("preset", "--preset"),
            Map.entry("databases", "--databases"), Map.entry("collectorId", "--collector"), Map.entry("state", "--state"),
            Map.entry("logLevel", "--log-level"), Map.entry("command", "COMMAND"), Map.entry("timeout", "--wait"),
            Map.entry("sinceMinutes", "--since"));
    private static final String FAMILY_PATH = "familyIntervalMillis.";

    /** An {@link InvalidValue} of the service as the options to fix: {@code --family tables: must be ...}. */
    static InvalidValue invalid(InvalidValue e) {
        return new InvalidValue(e.problems().stream()
                .map(problem -> new InvalidValue.Problem(option(problem.path()), problem.reason())).toList());
    }

    private static String option(String path) {
        if (path.startsWith(FAMILY_PATH)) {
            return "--family " + path.substring(FAMILY_PATH.length());
        }
        return OPTIONS.getOrDefault(path, path);
    }

    /** Who changes the fleet from this command line: the operating-system user, on this host. */
    static Actor actor() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown-host";
        }
        return Actor.cli(System.getProperty("user.name", "unknown"), host);
    }

    /** {@code fleet targets}: the targets of {@code pga.fleet.targets}. */
    @Command(name = "targets", mixinStandardHelpOptions = true,
            description = "Adds, changes, removes and lists the targets collectors share (pga.fleet.targets).",
            subcommands = {Put.class, Remove.class, ListTargets.class})
    static final class Targets extends CommandGroup {
    }

    /** {@code fleet targets put}: adds or replaces one target. */
    @Command(name = "put", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Adds a target, or replaces the target of the same id (every field: say them all).",
                "The password is encrypted with the first key of fleet.secret.keys before it leaves this program."})
    static final class Put implements Callable<Integer> {
        @Option(names = "--id", required = true, paramLabel = "ID", description = "The target's stable name; no '/'.")
        String id;

        @Option(names = "--url", required = true, paramLabel = "JDBC_URL", description = "jdbc:postgresql://host:port/database")
        String url;

        @Option(names = "--user", paramLabel = "ROLE", description = "Role to connect as (pg_monitor is enough).")
        String user;

        @ArgGroup(exclusive = true)
        Password password;

        static final class Password {
            @Option(names = "--password-file", paramLabel = "FILE", description = "Read the password from this file (one line).")
            Path file;

            @Option(names = "--password-env", paramLabel = "VAR", description = "Read the password from this environment variable.")
            String env;
        }

        @Option(names = "--preset", paramLabel = "PRESET", description = "minimal, standard or exhaustive (default: the collector's).")
        String preset;

        @Option(names = "--family", paramLabel = "FAMILY=MS",
                description = "Read FAMILY every MS milliseconds on this target (0: off); repeatable.")
        Map<String, Long> families = new LinkedHashMap<>();

        @Option(names = "--databases", split = ",", paramLabel = "DB", description = "Databases for tables and indexes, comma-separated.")
        List<String> databases = new ArrayList<>();

        @Option(names = "--disabled", description = "Declare the target but do not monitor it.")
        boolean disabled;

        @Mixin
        FleetConnection connection;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            FleetTarget written;
            try {
                String secret = readPassword();
                TargetSpec target = new TargetSpec(id, url, user, secret, preset, families, databases, !disabled);
                FleetConnection.Settings settings = connection.settings();
                SecretBox secrets = secret == null ? null : settings.secrets("--password-file or --password-env");
                try (FleetAdmin admin = settings.open(secrets)) {
                    written = admin.putTarget(actor(), target);
                }
            } catch (InvalidValue e) {
                throw invalid(e);
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println("target " + id + " written to " + Topics.FLEET_TARGETS + (disabled ? " (disabled)" : "")
                    + (written.getEncryptedPassword() == null ? ""
                            : ", password encrypted with key " + SecretBox.keyIdOf(written.getEncryptedPassword())));
            out.flush();
            return 0;
        }

        private String readPassword() {
            if (password == null) {
                return null;
            }
            if (password.file != null) {
                try {
                    String text = Files.readString(password.file).strip();
                    if (text.isEmpty()) {
                        throw new InvalidValue("--password-file", password.file + " is empty");
                    }
                    return text;
                } catch (IOException e) {
                    throw new InvalidValue("--password-file", "cannot read " + password.file + " (" + e.getClass().getSimpleName() + ")", e);
                }
            }
            String value = System.getenv(password.env);
            if (value == null || value.isEmpty()) {
                throw new InvalidValue("--password-env", "variable " + password.env + " is not set");
            }
            return value;
        }
    }

    /** {@code fleet targets remove}: deletes one target. */
    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Removes a target: its collector stops monitoring it (a tombstone on pga.fleet.targets).")
    static final class Remove implements Callable<Integer> {
        @Option(names = "--id", required = true, paramLabel = "ID", description = "The target to remove.")
        String id;

        @Mixin
        FleetConnection connection;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            try (FleetAdmin admin = connection.settings().open(null)) {
                admin.removeTarget(actor(), id);
            } catch (InvalidValue e) {
                throw invalid(e);
            }
            spec.commandLine().getOut().println("target " + id + " removed from " + Topics.FLEET_TARGETS);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    /** {@code fleet targets list}: prints the fleet's targets, never their passwords. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"Lists the targets of pga.fleet.targets: id, url, user, preset, enabled, and the id of the key",
                "its password is encrypted with (never the password)."})
    static final class ListTargets implements Callable<Integer> {
        @Mixin
        FleetConnection connection;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            List<ListedTarget> targets;
            try (FleetAdmin admin = connection.settings().open(null)) {
                targets = admin.listTargets();
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"ID", "URL", "USER", "PRESET", "ENABLED", "PASSWORD KEY"});
            for (ListedTarget listed : targets) {
                if (listed instanceof ListedTarget.Target target) {
                    FleetTarget t = target.record();
                    rows.add(new String[] {listed.targetId(), t.getUrl(), orDash(t.getUser()), orDash(t.getPreset()),
                        Boolean.toString(t.getEnabled()),
                        t.getEncryptedPassword() == null ? "-" : orDash(SecretBox.keyIdOf(t.getEncryptedPassword()))});
                } else if (listed instanceof ListedTarget.Unreadable unreadable) {
                    rows.add(new String[] {listed.targetId(), "(unreadable: " + unreadable.reason() + ")", "", "", "", ""});
                }
            }
            PrintWriter out = spec.commandLine().getOut();
            FleetStatusCommand.table(out, rows);
            out.println(targets.size() + " targets");
            out.flush();
            return 0;
        }

        private static String orDash(String value) {
            return value == null ? "-" : value;
        }
    }

    /** {@code fleet config}: desired state per collector. */
    @Command(name = "config", mixinStandardHelpOptions = true,
            description = "Sets a collector's desired state (pga.fleet.config), applied when it starts and whenever it changes.",
            subcommands = {ConfigSet.class})
    static final class ConfigCommand extends CommandGroup {
    }

    /** {@code fleet config set}: writes one collector's desired state. */
    @Command(name = "set", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Writes a collector's whole desired state: what is not given returns to the collector's own",
                "configuration. The collector acknowledges it on pga.fleet.events (kind 'config')."})
    static final class ConfigSet implements Callable<Integer> {
        @Option(names = "--collector", required = true, paramLabel = "ID", description = "The collector's collector.id.")
        String collector;

        @Option(names = "--state", paramLabel = "STATE", defaultValue = FleetVocabulary.STATE_RUNNING,
                description = "running or stopped (connected and reporting, sampling nothing); default: ${DEFAULT-VALUE}.")
        String state;

        @Option(names = "--log-level", paramLabel = "LEVEL", description = "TRACE, DEBUG, INFO, WARN or ERROR (default: as started).")
        String logLevel;

        @Option(names = "--family", paramLabel = "FAMILY=MS",
                description = "Read FAMILY every MS milliseconds on every target of the collector (0: off); repeatable.")
        Map<String, Long> families = new LinkedHashMap<>();

        @Mixin
        FleetConnection connection;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            FleetConfig written;
            try {
                DesiredStateSpec desired = DesiredStateSpec.of(collector, state, logLevel, families);
                try (FleetAdmin admin = connection.settings().open(null)) {
                    written = admin.setDesiredState(actor(), desired);
                }
            } catch (InvalidValue e) {
                throw invalid(e);
            }
            String level = written.getLogLevel();
            spec.commandLine().getOut().println("desired state of collector " + collector + " written: "
                    + FleetVocabulary.stateName(written.getState()) + ", log level " + (level == null ? "as started" : level)
                    + ", " + (families.isEmpty() ? "family intervals as configured" : "family intervals " + families));
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    /** {@code fleet command}: sends one command and waits for its acknowledgement. */
    @Command(name = "command", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Sends a command to one collector (pga.fleet.control) and prints its acknowledgement",
                "(pga.fleet.events): done, failed or rejected, with the reason. A collector that is down executes it",
                "when it comes back.",
                "  stop         sample nothing (stay connected, keep sending heartbeats)",
                "  resume       sample again",
                "  restart      reconnect every target and start the schedule over",
                "  reconfigure  apply the log level and family intervals of pga.fleet.config again",
                "  collect-now  read every target's families now",
                "Exit code: 0 done, 1 failed or rejected, 3 no acknowledgement within --wait."})
    static final class Control implements Callable<Integer> {
        @Option(names = "--collector", required = true, paramLabel = "ID", description = "The collector's collector.id.")
        String collector;

        @Parameters(paramLabel = "COMMAND", description = "stop, resume, restart, reconfigure or collect-now")
        String command;

        @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "30",
                description = "How long to wait for the acknowledgement; 0: send and do not wait. Default: ${DEFAULT-VALUE}.")
        int waitSeconds;

        @Mixin
        FleetConnection connection;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            CommandResult result;
            try {
                CommandRequest request = CommandRequest.of(collector, command, Duration.ofSeconds(waitSeconds));
                try (FleetAdmin admin = connection.settings().open(null)) {
                    result = admin.sendCommand(actor(), request);
                }
            } catch (InvalidValue e) {
                throw invalid(e);
            }
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            String name = result.request().commandName();
            if (result instanceof CommandResult.Sent) {
                out.println("command " + result.commandId() + " " + name + " sent to collector " + collector);
                out.flush();
                return 0;
            }
            if (result instanceof CommandResult.Acknowledged ack) {
                String line = "command " + ack.commandId() + " " + name + " on collector " + collector
                        + ": " + ack.outcome() + " (" + ack.reason() + ")";
                if (ack.done()) {
                    out.println(line);
                    out.flush();
                    return 0;
                }
                err.println("pganalytics fleet command: " + line);
                err.flush();
                return 1;
            }
            err.println("pganalytics fleet command: command " + result.commandId() + " sent, but collector " + collector
                    + " did not acknowledge it within " + waitSeconds + " s (down? it executes it when it comes back)");
            err.flush();
            return 3;
        }
    }

    /** {@code fleet keygen}: a new key for {@code fleet.secret.keys}. */
    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = {"Prints a new random AES-256 key as fleet.secret.keys expects it: keyId:base64Key.",
                "Give the same keys to the collectors and to whoever writes targets; see docs/fleet.md for rotation."})
    static final class Keygen implements Callable<Integer> {
        @Option(names = "--key-id", required = true, paramLabel = "ID", description = "The key's id, written into every ciphertext.")
        String keyId;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            String key;
            try {
                key = SecretBox.generateKey(keyId);
            } catch (IllegalArgumentException e) {
                throw new InvalidValue("--key-id", e.getMessage(), e);
            }
            spec.commandLine().getOut().println(key);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
