package io.pganalytics.collector.family;

import io.pganalytics.collector.catalog.ServerInfo;
import io.pganalytics.collector.config.CollectorConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/** What a {@link FamilyReader} may use of its target: connections, the server's versions, settings. */
public interface ReadContext {

    String collectorId();

    String targetId();

    CollectorConfig config();

    /** The server behind {@link #connection()}, as of this read. */
    ServerInfo server();

    /** The open connection to the target's configured database. */
    Connection connection();

    /** The databases the per-database families read, largest first, capped by configuration. */
    List<String> databases() throws SQLException;

    /** A new connection to another database of the target; the caller closes it. */
    Connection connect(String database) throws SQLException;

    /**
     * Runs a catalog SELECT under the collector's deadline, wrapped so that every row carries the
     * same {@code sampled_at}, and maps its rows to records of {@code schema}.
     */
    List<GenericRecord> query(Connection connection, String sql, Schema schema) throws SQLException;
}
