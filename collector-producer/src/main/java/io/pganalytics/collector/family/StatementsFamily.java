package io.pganalytics.collector.family;

import io.pganalytics.collector.catalog.MetricDefinition;
import io.pganalytics.collector.catalog.ServerInfo;
import io.pganalytics.collector.config.QueryTextMode;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.metrics.QueryText;
import java.sql.Array;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.generic.GenericRecord;

/**
 * pg_stat_statements, read with {@code pg_stat_statements(false)} so that the server does not read
 * its query-text file every cycle, and sent sparingly:
 * <ul>
 *   <li>an entry is sent only when its {@code calls} differ from the previous cycle's (every entry on
 *       the first cycle): on a server with thousands of statements, most are idle in any interval;</li>
 *   <li>a queryid's normalized text is fetched and sent once, when the queryid is first seen, to the
 *       compacted {@code pga.raw.query-texts}; a text whose send fails is sent again
 *       ({@link #forgetText}).</li>
 * </ul>
 * The catalog's SQL is chosen by the installed extension version, not the server's.
 */
public final class StatementsFamily extends CatalogFamily {

    private static final String EXTENSION = "pg_stat_statements";

    private Map<EntryKey, Long> previousCalls = Map.of();
    private boolean firstCycle = true;
    private final Set<Long> textsSent = ConcurrentHashMap.newKeySet();

    /** One pg_stat_statements entry. */
    private record EntryKey(Object dbid, Object userid, Object queryid, Object toplevel) {
    }

    public StatementsFamily(MetricDefinition definition, MetricFamily family) {
        super(definition, family);
    }

    @Override
    public Collected read(ReadContext context) throws SQLException {
        ServerInfo server = ServerInfo.read(context.connection());
        if (!server.statementsPreloaded()) {
            throw new FamilyUnavailable(EXTENSION + " is not in shared_preload_libraries (add it and restart the server)");
        }
        if (server.statementsExtension() == null) {
            throw new FamilyUnavailable(EXTENSION + " is not installed in database " + server.database()
                    + " (CREATE EXTENSION " + EXTENSION + ")");
        }
        List<GenericRecord> all = context.query(context.connection(), sql(context, server.statementsExtension()),
                metricFamily().rawSchema());
        Map<EntryKey, Long> calls = new HashMap<>(all.size() * 2);
        List<GenericRecord> changed = new ArrayList<>();
        Set<Long> newQueryIds = new LinkedHashSet<>();
        for (GenericRecord record : all) {
            EntryKey key = new EntryKey(record.get("dbid"), record.get("userid"), record.get("queryid"), record.get("toplevel"));
            long count = (Long) record.get("calls");
            calls.put(key, count);
            Long before = previousCalls.get(key);
            if (firstCycle || before == null || before != count) {
                changed.add(record);
            }
            Long queryId = (Long) record.get("queryid");
            if (!textsSent.contains(queryId)) {
                newQueryIds.add(queryId);
            }
        }
        List<QueryText> texts = context.config().queryTextMode() == QueryTextMode.NONE || newQueryIds.isEmpty()
                ? List.of() : texts(context, newQueryIds);
        // Only now, with everything read: a failure above leaves the baseline as it was, so the
        // next cycle sends what this one could not.
        previousCalls = calls;
        firstCycle = false;
        return new Collected(family(), changed, texts);
    }

    /** Makes a text whose send failed go out again with the next cycle. */
    public void forgetText(long queryId) {
        textsSent.remove(queryId);
    }

    /** Makes every text go out again: some were dropped from a full spool, which cannot say which. */
    public void forgetAllTexts() {
        textsSent.clear();
    }

    private List<QueryText> texts(ReadContext context, Set<Long> queryIds) throws SQLException {
        int max = context.config().queryTextMaxLength();
        List<QueryText> texts = new ArrayList<>();
        Instant now = Instant.now();
        // pg_stat_statements(true) reads the text file once for this statement; only new queryids pay it.
        try (PreparedStatement statement = context.connection().prepareStatement("""
                SELECT DISTINCT ON (queryid) queryid, dbid::bigint, left(query, ?) AS query, length(query) AS query_length
                  FROM pg_stat_statements(true)
                 WHERE queryid = ANY (?) AND query IS NOT NULL
                 ORDER BY queryid, calls DESC""")) {
            Array ids = context.connection().createArrayOf("bigint", queryIds.toArray());
            statement.setInt(1, max);
            statement.setArray(2, ids);
            statement.setQueryTimeout(context.config().clientDeadlineSeconds());
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    long queryId = rs.getLong(1);
                    int length = rs.getInt(4);
                    texts.add(QueryText.newBuilder()
                            .setCollectorId(context.collectorId())
                            .setTargetId(context.targetId())
                            .setQueryid(queryId)
                            .setDbid(rs.getLong(2))
                            .setQuery(rs.getString(3))
                            .setQueryLength(length)
                            .setTruncated(length > max)
                            .setFirstSeenAt(now)
                            .build());
                    textsSent.add(queryId);
                }
            }
        }
        return texts;
    }
}
