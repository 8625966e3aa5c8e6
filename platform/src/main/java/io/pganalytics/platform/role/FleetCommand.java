package io.pganalytics.platform.role;

import io.pganalytics.collector.status.LogLevels;
import io.pganalytics.collector.fleet.ControlChannel;
import io.pganalytics.collector.fleet.FleetTargets;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.CommandType;
import io.pganalytics.schemas.fleet.DesiredState;
import io.pganalytics.schemas.fleet.FleetConfig;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.FleetTarget;
import io.pganalytics.schemas.secret.SecretBox;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
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
public final class FleetCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static InvalidConfiguration invalid(String message) {
        return new InvalidConfiguration(message, null);
    }

    /** {@code fleet targets}: the targets of {@code pga.fleet.targets}. */
    @Command(name = "targets", mixinStandardHelpOptions = true,
            description = "Adds, changes, removes and lists the targets collectors share (pga.fleet.targets).",
            subcommands = {Put.class, Remove.class, ListTargets.class})
    static final class Targets implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
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
            String secret = readPassword();
            FleetTarget.Builder builder = FleetTarget.newBuilder().setTargetId(id).setUrl(url).setUser(user)
                    .setPreset(preset == null ? null : preset.toLowerCase(Locale.ROOT))
                    .setFamilyIntervalMillis(families).setDatabases(databases).setEnabled(!disabled)
                    .setUpdatedAt(Instant.now()).setEncryptedPassword(null);
            try {
                FleetTargets.check(builder.build());
            } catch (IllegalArgumentException e) {
                throw invalid("--" + e.getMessage());
            }
            FleetConnection.Settings settings = connection.settings();
            if (secret != null) {
                builder.setEncryptedPassword(settings.secrets("--password-file or --password-env").encrypt(secret));
            }
            try (FleetClient client = new FleetClient(settings)) {
                client.write(Topics.FLEET_TARGETS, id, builder.build());
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println("target " + id + " written to " + Topics.FLEET_TARGETS + (disabled ? " (disabled)" : "")
                    + (secret == null ? "" : ", password encrypted with key " + settings.secrets("--password-file or --password-env").encryptingKeyId()));
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
                        throw invalid("--password-file: " + password.file + " is empty");
                    }
                    return text;
                } catch (IOException e) {
                    throw invalid("--password-file: cannot read " + password.file + " (" + e.getClass().getSimpleName() + ")");
                }
            }
            String value = System.getenv(password.env);
            if (value == null || value.isEmpty()) {
                throw invalid("--password-env: variable " + password.env + " is not set");
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
            try (FleetClient client = new FleetClient(connection.settings())) {
                client.write(Topics.FLEET_TARGETS, id, null);
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
            Map<String, Object> targets;
            try (FleetClient client = new FleetClient(connection.settings())) {
                targets = client.readLatest(Topics.FLEET_TARGETS);
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"ID", "URL", "USER", "PRESET", "ENABLED", "PASSWORD KEY"});
            targets.forEach((id, value) -> {
                if (value instanceof FleetTarget t) {
                    rows.add(new String[] {id, t.getUrl(), orDash(t.getUser()), orDash(t.getPreset()), Boolean.toString(t.getEnabled()),
                        t.getEncryptedPassword() == null ? "-" : orDash(SecretBox.keyIdOf(t.getEncryptedPassword()))});
                } else {
                    rows.add(new String[] {id, "(unreadable: " + value + ")", "", "", "", ""});
                }
            });
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
    static final class ConfigCommand implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
    }

    /** {@code fleet config set}: writes one collector's desired state. */
    @Command(name = "set", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Writes a collector's whole desired state: what is not given returns to the collector's own",
                "configuration. The collector acknowledges it on pga.fleet.events (kind 'config')."})
    static final class ConfigSet implements Callable<Integer> {
        @Option(names = "--collector", required = true, paramLabel = "ID", description = "The collector's collector.id.")
        String collector;

        @Option(names = "--state", paramLabel = "STATE", defaultValue = "running",
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
            DesiredState desired = switch (state.strip().toLowerCase(Locale.ROOT)) {
                case "running" -> DesiredState.RUNNING;
                case "stopped" -> DesiredState.STOPPED;
                default -> throw invalid("--state: expected running or stopped, got '" + state + "'");
            };
            String level;
            try {
                level = logLevel == null ? null : LogLevels.parse(logLevel);
                FleetTargets.checkFamilyIntervals(families);
            } catch (IllegalArgumentException e) {
                throw invalid("--" + e.getMessage().replace("log level", "log-level"));
            }
            FleetConfig config = FleetConfig.newBuilder().setCollectorId(collector).setState(desired).setLogLevel(level)
                    .setFamilyIntervalMillis(families).setUpdatedAt(Instant.now()).build();
            try (FleetClient client = new FleetClient(connection.settings())) {
                client.write(Topics.FLEET_CONFIG, collector, config);
            }
            spec.commandLine().getOut().println("desired state of collector " + collector + " written: "
                    + desired.name().toLowerCase(Locale.ROOT) + ", log level " + (level == null ? "as started" : level)
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
            CommandType type = switch (command.strip().toLowerCase(Locale.ROOT)) {
                case "stop" -> CommandType.STOP;
                case "resume" -> CommandType.RESUME;
                case "restart" -> CommandType.RESTART;
                case "reconfigure" -> CommandType.RECONFIGURE;
                case "collect-now" -> CommandType.COLLECT_NOW;
                default -> throw invalid("COMMAND: expected stop, resume, restart, reconfigure or collect-now, got '" + command + "'");
            };
            if (waitSeconds < 0) {
                throw invalid("--wait: expected 0 or more seconds, got " + waitSeconds);
            }
            String commandId = UUID.randomUUID().toString();
            io.pganalytics.schemas.fleet.FleetCommand record = io.pganalytics.schemas.fleet.FleetCommand.newBuilder().setCommandId(commandId).setCollectorId(collector)
                    .setCommand(type).setIssuedAt(Instant.now()).setIssuedBy(issuer()).build();
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try (FleetClient client = new FleetClient(connection.settings())) {
                if (waitSeconds == 0) {
                    client.write(Topics.FLEET_CONTROL, collector, record);
                    out.println("command " + commandId + " " + ControlChannel.commandName(type) + " sent to collector " + collector);
                    out.flush();
                    return 0;
                }
                try (FleetClient.Tail acks = client.tail(Topics.FLEET_EVENTS)) {
                    client.write(Topics.FLEET_CONTROL, collector, record);
                    Object ack = acks.await(v -> v instanceof FleetEvent e && commandId.equals(e.getCommandId()),
                            Duration.ofSeconds(waitSeconds));
                    if (ack == null) {
                        err.println("pganalytics fleet command: command " + commandId + " sent, but collector " + collector
                                + " did not acknowledge it within " + waitSeconds + " s (down? it executes it when it comes back)");
                        err.flush();
                        return 3;
                    }
                    FleetEvent event = (FleetEvent) ack;
                    String line = "command " + commandId + " " + ControlChannel.commandName(type) + " on collector " + collector
                            + ": " + event.getTo() + " (" + event.getReason() + ")";
                    if (ControlChannel.DONE.equals(event.getTo())) {
                        out.println(line);
                        out.flush();
                        return 0;
                    }
                    err.println("pganalytics fleet command: " + line);
                    err.flush();
                    return 1;
                }
            }
        }

        private static String issuer() {
            String user = System.getProperty("user.name", "unknown");
            try {
                return user + "@" + InetAddress.getLocalHost().getHostName() + " (cli)";
            } catch (IOException e) {
                return user + " (cli)";
            }
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
                throw invalid("--key-id: " + e.getMessage());
            }
            spec.commandLine().getOut().println(key);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
