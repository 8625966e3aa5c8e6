package io.pganalytics.fleet.admin;

import io.pganalytics.schemas.audit.AuditChain;
import io.pganalytics.schemas.audit.AuditEntry;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * The audit trail as the control-plane database keeps it: the hash chain ({@code audit_log}, append-only) and its
 * signed checkpoints. The audit role appends what the chain's single writer put on {@code pga.audit.log}; the API and
 * {@code pganalytics audit verify} read it.
 */
public interface AuditTrail extends AutoCloseable {

    /** The most entries one page holds. */
    int MAX_PAGE = 500;

    /** Entries matching every filter given (null for none), newest first, {@code limit} of them before seq {@code before}. */
    Page entries(Query query);

    /** Every entry matching {@code query}'s filters (its cursor and limit aside), oldest first, read in batches: an export. */
    void forEach(Query query, java.util.function.Consumer<Entry> each);

    /**
     * Records an event that changes no row (an export of the trail, say) in the outbox, in-band: it reaches the chain
     * as every change does.
     *
     * @param details JSON object of what the event concerned, or null
     */
    void record(Actor actor, String action, String resourceType, String resourceId, String details);

    /** Every entry from seq 1 on, in order, read in batches as the iterator moves: what {@link AuditChain#verify} walks. */
    Iterator<AuditChain.StoredEntry> chain();

    /** Every checkpoint stored in the database, by size. */
    List<AuditChain.SignedCheckpoint> checkpoints();

    /** The last entry's seq and hash; empty before the first. */
    Optional<Head> head();

    /**
     * Stores entries of the chain. An entry already stored (a redelivery of pga.audit.log) is left as it is: the
     * store is idempotent by seq, and a stored entry that differs is what {@code verify} reports.
     *
     * @return how many were new
     */
    int append(List<AuditEntry> entries);

    /** Stores a signed checkpoint (idempotent by size). */
    void storeCheckpoint(AuditChain.SignedCheckpoint checkpoint);

    @Override
    default void close() {
    }

    /**
     * A filter of {@link #entries}; null fields do not filter.
     *
     * @param subject a user name: every entry about them (they acted, or the row changed is theirs), as a data-subject
     *                access request (GDPR Art. 15) asks
     * @param report  one of {@link Report}'s names, or null
     */
    record Query(String actor, String action, String resourceType, String resourceId, String subject, Report report,
                 Instant from, Instant to, Long before, int limit) {
        public Query {
            if (limit < 1 || limit > MAX_PAGE) {
                throw new io.pganalytics.config.InvalidValue("limit", "expected 1 to " + MAX_PAGE + ", got " + limit);
            }
        }

        /** Every entry, newest first. */
        public static Query all(int limit) {
            return new Query(null, null, null, null, null, null, null, null, null, limit);
        }
    }

    /**
     * The questions auditors ask, as filters: SOX's privileged changes, PCI DSS 10.2's access to credentials and failed
     * logins, HIPAA §164.312(b)'s record of activity on the audit controls themselves (docs/audit.md).
     */
    enum Report {
        /** Changes of users, roles, keys and secrets, and everything done by direct SQL. */
        PRIVILEGED_ACTIONS("privileged-actions"),
        /** Registration secrets, collector tokens, targets' passwords, signing keys and resealing. */
        CREDENTIAL_ACCESS("credential-access"),
        /** Logins refused, and second factors that failed. */
        FAILED_LOGINS("failed-logins"),
        /** Exports and verifications of the trail, and any change touching its tables. */
        AUDIT_CONFIGURATION("audit-configuration");

        private final String id;

        Report(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        /** The report called {@code id}; an {@link io.pganalytics.config.InvalidValue} naming them all otherwise. */
        public static Report of(String id) {
            for (Report report : values()) {
                if (report.id.equals(id)) {
                    return report;
                }
            }
            throw new io.pganalytics.config.InvalidValue("report", "expected one of privileged-actions, credential-access,"
                    + " failed-logins, audit-configuration; got '" + id + "'");
        }
    }

    /** One page, and the cursor of the next ({@code before}), null on the last. */
    record Page(List<Entry> items, Long next) {
    }

    /** An entry with the columns it is filtered by; {@code event} is its canonical JSON, the bytes hashed. */
    record Entry(long seq, String prevHash, String hash, String event, Instant occurredAt, String actor, String action,
                 String resourceType, String resourceId, boolean outOfBand) {
    }

    /** The end of the chain. */
    record Head(long size, String hash) {
    }
}
