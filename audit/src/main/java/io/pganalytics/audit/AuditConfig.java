package io.pganalytics.audit;

import io.pganalytics.config.Check;
import io.pganalytics.config.Field;
import io.pganalytics.config.Fields;
import io.pganalytics.config.Values;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.sink.s3.S3Connection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The audit role's configuration, {@code pganalytics audit-capture}: the control-plane database and Kafka (the
 * control plane's own keys), where Debezium keeps its position, and how the chain is checkpointed.
 *
 * @param control            the control plane's database and Kafka ({@code control.*}, {@code kafka.*}, ...)
 * @param offsetsFile        {@code audit.capture.offsets.file}: Debezium's position in the write-ahead log
 * @param slotName           {@code audit.capture.slot.name}: the replication slot
 * @param publicationName    {@code audit.capture.publication.name}: the publication of the audited tables
 * @param privateKey         {@code audit.checkpoint.private.key}: the Ed25519 key that signs checkpoints (PKCS#8 PEM);
 *                           null signs none
 * @param checkpointEntries  {@code audit.checkpoint.every.entries}
 * @param checkpointInterval {@code audit.checkpoint.every.seconds}
 * @param bucket             {@code audit.checkpoint.bucket}: where checkpoints are written besides the database; null for
 *                           the database only
 * @param s3                 how to reach that bucket
 */
public record AuditConfig(ControlPlaneConfig control, Path offsetsFile, String slotName, String publicationName,
                          Path privateKey, int checkpointEntries, Duration checkpointInterval, String bucket, S3Connection s3) {

    /** The audit role's own keys, each declared once. */
    public static final class Keys {
        private Keys() {
        }

        public static final Field<Path> OFFSETS_FILE = Field.path("audit.capture.offsets.file")
                .withDefault(Path.of(System.getProperty("java.io.tmpdir"), "pganalytics-audit", "offsets.dat"))
                .withDefaultDescribed("`<tmp>/pganalytics-audit/offsets.dat`")
                .withDoc("where Debezium keeps its position in the write-ahead log; keep it across restarts (lost, the"
                        + " capture starts over with a snapshot, and the chain drops what it has seen)");
        public static final Field<String> SLOT_NAME = Field.string("audit.capture.slot.name").withDefault("pga_audit")
                .withCheck(Check.matching("[a-z0-9_]{1,63}", "lower-case letters, digits and _"))
                .withDoc("the logical replication slot of the capture");
        public static final Field<String> PUBLICATION_NAME = Field.string("audit.capture.publication.name").withDefault("pga_audit")
                .withCheck(Check.matching("[a-z0-9_]{1,63}", "lower-case letters, digits and _"))
                .withDoc("the publication of the audited tables (created, filtered to them, when missing)");
        public static final Field<Path> PRIVATE_KEY = Field.path("audit.checkpoint.private.key").optional()
                .withDoc("the Ed25519 private key (PKCS#8 PEM, `pganalytics audit keygen`) that signs checkpoints; keep it"
                        + " outside the database; unset, no checkpoint is signed");
        public static final Field<Integer> CHECKPOINT_ENTRIES = Field.integer("audit.checkpoint.every.entries").withDefault(1000)
                .withCheck(Check.atLeast(1))
                .withDoc("a checkpoint after this many new entries");
        public static final Field<Integer> CHECKPOINT_SECONDS = Field.integer("audit.checkpoint.every.seconds").withDefault(300)
                .withCheck(Check.atLeast(1))
                .withDoc("a checkpoint of any new entries after this long");
        public static final Field<String> BUCKET = Field.string("audit.checkpoint.bucket").optional()
                .withDoc("the S3 bucket checkpoints are written to (under `audit/checkpoints/`), next to the backups; unset,"
                        + " the database only (which a superuser could rewrite)");
    }

    /** The role's own keys and the S3 connection's, as docs/configuration.md lists them. */
    public static final Fields OWN_FIELDS = Fields.of("PGA_", Keys.OFFSETS_FILE, Keys.SLOT_NAME, Keys.PUBLICATION_NAME,
            Keys.PRIVATE_KEY, Keys.CHECKPOINT_ENTRIES, Keys.CHECKPOINT_SECONDS, Keys.BUCKET).and(S3Connection.FIELDS);

    /** Every key of the role: the control plane's and {@link #OWN_FIELDS}; each overridden by {@code PGA_<KEY>}. */
    public static final Fields FIELDS = ControlPlaneConfig.FIELDS.and(OWN_FIELDS);

    /** Reads the configuration from properties, each key overridden by its variable in {@code environment}. */
    public static AuditConfig from(Map<String, String> properties, Map<String, String> environment) {
        return from(FIELDS.read(properties, environment));
    }

    /** The configuration {@code values} describe; every bad value in one {@link io.pganalytics.config.InvalidValue}. */
    public static AuditConfig from(Values values) {
        ControlPlaneConfig control = ControlPlaneConfig.from(values);
        return new AuditConfig(control, values.get(Keys.OFFSETS_FILE), values.get(Keys.SLOT_NAME), values.get(Keys.PUBLICATION_NAME),
                values.get(Keys.PRIVATE_KEY), values.get(Keys.CHECKPOINT_ENTRIES), Duration.ofSeconds(values.get(Keys.CHECKPOINT_SECONDS)),
                values.get(Keys.BUCKET), S3Connection.from(values));
    }
}
