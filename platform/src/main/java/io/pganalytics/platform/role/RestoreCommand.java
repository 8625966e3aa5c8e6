package io.pganalytics.platform.role;

import io.pganalytics.config.InvalidValue;
import io.pganalytics.sink.s3.restore.Restore;
import io.pganalytics.sink.s3.restore.RestoreConfig;
import io.pganalytics.sink.s3.restore.RestoreException;
import io.pganalytics.sink.s3.restore.RestoreReport;
import io.pganalytics.sink.s3.restore.RestoreRequest;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pganalytics restore}: replays a time range of an S3 backup (written by the S3 backup sink) into Kafka or into
 * the metrics store, checking every object against what the backup says it holds.
 */
@Command(name = "restore",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpWidth = 100,
        description = {
            "Replays records from an S3 backup written by the S3 backup sink into their Kafka topics "
                + "(--to-kafka), or into the metrics store through the metrics-store sink (--to-db; rows already "
                + "there are left alone). Records are selected by their Kafka timestamp.",
            "",
            "Before anything is written, every object is read and checked against its metadata (SHA-256, record "
                + "count, offsets), and a gap in a partition's objects names the missing object: any problem fails "
                + "the run (exit 1) with nothing restored. Progress goes to standard error.",
            "",
            "Connection settings: a properties file (--config); each key can be set or overridden by PGA_<KEY>,",
            "e.g. PGA_AWS_SECRET_ACCESS_KEY (see docs/backup-restore.md):",
            "  s3.endpoint, s3.region, s3.path.style.access.enabled",
            "  aws.access.key.id, aws.secret.access.key   (unset: the AWS default credentials chain)",
            "  schema.registry.url",
            "  kafka.bootstrap.servers                    (--to-kafka)",
            "  connection.url, connection.user, connection.password   (--to-db; --control-plane: the empty database)",
            "  s3.encryption.keys                         (the ring that opens encrypted objects)",
            "",
            "--control-plane --at TIME recovers the control plane as it was at TIME from the backed-up "
                + "pga.control.cdc.* and pga.audit.log topics into the empty, migrated database of connection.url, "
                + "and verifies the audit trail up to then (docs/audit.md).",
            ""},
        footer = {"",
            "Examples:",
            "  pganalytics restore --from s3://pganalytics-backup -c restore.properties \\",
            "      --from-time 2026-11-20T00:00:00Z --to-time 2026-11-21 --to-db",
            "  pganalytics restore --from s3://pganalytics-backup/prod -c restore.properties \\",
            "      --topics pga.metrics.database --to-kafka --topic-prefix restored.",
            "  pganalytics restore --from s3://pganalytics-backup -c restore.properties \\",
            "      --control-plane --at 2026-11-20T10:15:00Z --public-key audit-checkpoint.pub"})
public final class RestoreCommand implements Callable<Integer> {

    @Option(names = "--from", required = true, paramLabel = "s3://BUCKET[/PREFIX]",
            description = "The backup: the sink's s3.bucket.name and s3.prefix.")
    String from;

    @Option(names = "--topics", split = ",", paramLabel = "TOPIC",
            description = "Topics to restore, comma-separated (default: every topic in the backup; with --to-db, "
                    + "every pga.metrics.* topic in it).")
    List<String> topics = List.of();

    @Option(names = "--from-time", paramLabel = "TIME", converter = TimeConverter.class,
            description = "First record time restored (inclusive): 2026-11-20T10:00:00Z, 2026-11-20T10:00 (UTC) or "
                    + "2026-11-20 (midnight UTC). Default: the beginning.")
    Instant fromTime;

    @Option(names = "--to-time", paramLabel = "TIME", converter = TimeConverter.class,
            description = "Records at or after this time are not restored (exclusive). Default: the end.")
    Instant toTime;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = "--to-kafka", required = true,
                description = "Produce to the original topics (or --topic-prefix + topic), keeping key and timestamp.")
        boolean kafka;

        @Option(names = "--to-db", required = true,
                description = "Write into the metrics store through the metrics-store sink (insert-ignore).")
        boolean database;

        @Option(names = "--control-plane", required = true,
                description = "Recover the control plane as it was --at an instant into the empty, migrated database of "
                        + "connection.url, from the pga.control.cdc.* and pga.audit.log backups; the audit chain is verified "
                        + "up to that instant (docs/audit.md).")
        boolean controlPlane;
    }

    @Option(names = "--at", paramLabel = "TIME", converter = TimeConverter.class,
            description = "With --control-plane: the instant to recover to (every change committed by then, none after).")
    Instant at;

    @Option(names = "--public-key", paramLabel = "FILE",
            description = "With --control-plane: the audit checkpoints' pinned public key; without it signatures are not checked.")
    Path publicKey;

    @Option(names = "--topic-prefix", paramLabel = "PREFIX", defaultValue = "",
            description = "With --to-kafka: produce to <PREFIX><topic> instead of the original topic.")
    String topicPrefix;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Properties file with the connection keys above. Optional when PGA_* variables say it all.")
    Path config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (target.controlPlane) {
            return recoverControlPlane();
        }
        if (at != null || publicKey != null) {
            throw new InvalidValue(at != null ? "--at" : "--public-key", "only with --control-plane");
        }
        RestoreRequest.Target where = target.kafka ? RestoreRequest.Target.KAFKA : RestoreRequest.Target.DATABASE;
        if (!topicPrefix.isEmpty() && where != RestoreRequest.Target.KAFKA) {
            throw new InvalidValue("--topic-prefix", "only with --to-kafka");
        }
        String[] location = RestoreRequest.parseLocation(from);
        RestoreRequest request = new RestoreRequest(location[0], location[1], topics, fromTime, toTime, where, topicPrefix);
        RestoreConfig restoreConfig = ConfigFile.load(config, RestoreConfig.FIELDS, values -> {
            RestoreConfig parsed = RestoreConfig.from(values);
            parsed.requireFor(where);
            return parsed;
        });
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        RestoreReport report;
        try {
            report = new Restore(restoreConfig).run(request, new ProgressBar(err, System.console() != null));
        } catch (RestoreException e) {
            err.println("pganalytics restore: " + e.getMessage());
            err.flush();
            return 1;
        }
        out.println("Restored " + report.recordsRestored() + " records (" + report.recordsRead() + " read, every "
                + "object matching its metadata) from " + report.objects() + " objects of " + request.location() + " to "
                + (where == RestoreRequest.Target.KAFKA ? "Kafka" : "the metrics store") + ".");
        report.restoredPerTopic().forEach((topic, count) -> out.println("  " + topic
                + (where == RestoreRequest.Target.KAFKA && !topicPrefix.isEmpty() ? " -> " + topicPrefix + topic : "")
                + ": " + count));
        out.flush();
        return 0;
    }

    /** Reads times as people write them, in UTC unless they say otherwise. */
    static final class TimeConverter implements CommandLine.ITypeConverter<Instant> {
        @Override
        public Instant convert(String value) {
            String text = value.trim();
            try {
                return Instant.parse(text);
            } catch (DateTimeParseException notAnInstant) {
                try {
                    return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
                } catch (DateTimeParseException notADateTime) {
                    try {
                        return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
                    } catch (DateTimeParseException notADate) {
                        throw new CommandLine.TypeConversionException("expected a time like 2026-11-20T10:00:00Z, "
                                + "2026-11-20T10:00 (UTC) or 2026-11-20, got '" + value + "'");
                    }
                }
            }
        }
    }

    private Integer recoverControlPlane() {
        if (at == null) {
            throw new InvalidValue("--at", "required with --control-plane: the instant to recover to, e.g. 2026-11-20T10:00:00Z");
        }
        if (!topics.isEmpty() || fromTime != null || toTime != null || !topicPrefix.isEmpty()) {
            throw new InvalidValue("--control-plane", "takes --at, not --topics, --from-time, --to-time or --topic-prefix");
        }
        java.security.PublicKey key;
        try {
            key = publicKey == null ? null : io.pganalytics.schemas.audit.CheckpointKeys.readPublic(publicKey);
        } catch (IllegalArgumentException e) {
            throw new InvalidValue("--public-key", e.getMessage());
        }
        String[] location = RestoreRequest.parseLocation(from);
        RestoreRequest request = new RestoreRequest(location[0], location[1], List.of(), null, at,
                RestoreRequest.Target.CONTROL_PLANE, "");
        RestoreConfig restoreConfig = ConfigFile.load(config, RestoreConfig.FIELDS, values -> {
            RestoreConfig parsed = RestoreConfig.from(values);
            parsed.requireFor(RestoreRequest.Target.CONTROL_PLANE);
            return parsed;
        });
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        io.pganalytics.sink.s3.restore.ControlPlaneRestoreTarget.Recovery recovery;
        try {
            recovery = new Restore(restoreConfig).recoverControlPlane(request, key, new ProgressBar(err, System.console() != null));
        } catch (RestoreException e) {
            err.println("pganalytics restore: " + e.getMessage());
            err.flush();
            return 1;
        }
        out.println("Recovered the control plane as of " + recovery.at() + ": " + recovery.changes() + " change(s) replayed, the last"
                + " committed at " + recovery.lastChangeAt() + " (" + recovery.later() + " later one(s) left out), in "
                + recovery.took().toMillis() + " ms.");
        recovery.rows().forEach((table, rows) -> out.println("  " + table + ": " + rows + " row(s)"));
        out.println("RPO at " + recovery.at() + ": " + (recovery.rpo().isZero() ? "0 s (the backup covers it: changes until "
                + recovery.coveredUntil() + ")" : recovery.rpo().toMillis() / 1000.0 + " s (the backup stops at " + recovery.coveredUntil() + ")"));
        var verification = recovery.verification();
        if (verification.intact()) {
            out.println("Audit trail: " + recovery.auditEntries() + " entries restored, intact against " + verification.checkpoints()
                    + " checkpoint(s)" + (verification.signaturesChecked() ? ", signatures verified." : " (signatures not checked: no --public-key)."));
            out.flush();
            return 0;
        }
        var problem = verification.problem().orElseThrow();
        out.flush();
        err.println("Audit trail NOT intact at seq " + problem.seq() + ": " + problem.reason());
        err.flush();
        return 1;
    }
}
