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

    /** A filter of {@link #entries}; null fields do not filter. */
    record Query(String actor, String action, String resourceType, String resourceId, Instant from, Instant to,
                 Long before, int limit) {
        public Query {
            if (limit < 1 || limit > MAX_PAGE) {
                throw new io.pganalytics.config.InvalidValue("limit", "expected 1 to " + MAX_PAGE + ", got " + limit);
            }
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
