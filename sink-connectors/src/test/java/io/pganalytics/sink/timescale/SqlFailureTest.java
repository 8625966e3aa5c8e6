package io.pganalytics.sink.timescale;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;

class SqlFailureTest {

    @Test
    void lostConnectionsShutdownsAndFullDisksAreRetried() {
        assertThat(SqlFailure.ofState("08006")).isEqualTo(SqlFailure.TRANSIENT);
        assertThat(SqlFailure.ofState("08001")).isEqualTo(SqlFailure.TRANSIENT);
        assertThat(SqlFailure.ofState("57P01")).isEqualTo(SqlFailure.TRANSIENT);
        assertThat(SqlFailure.ofState("53100")).isEqualTo(SqlFailure.TRANSIENT);
        assertThat(SqlFailure.ofState("40P01")).isEqualTo(SqlFailure.TRANSIENT);
    }

    @Test
    void refusedValuesAreBadData() {
        assertThat(SqlFailure.ofState("22003")).isEqualTo(SqlFailure.BAD_DATA); // numeric value out of range
        assertThat(SqlFailure.ofState("22008")).isEqualTo(SqlFailure.BAD_DATA); // datetime field overflow
        assertThat(SqlFailure.ofState("23502")).isEqualTo(SqlFailure.BAD_DATA); // not null violation
    }

    @Test
    void missingTablesPermissionsAndWrongCredentialsStopTheTask() {
        assertThat(SqlFailure.ofState("42P01")).isEqualTo(SqlFailure.FATAL);
        assertThat(SqlFailure.ofState("42501")).isEqualTo(SqlFailure.FATAL);
        assertThat(SqlFailure.ofState("28P01")).isEqualTo(SqlFailure.FATAL);
        assertThat(SqlFailure.ofState("42P10")).isEqualTo(SqlFailure.FATAL); // ON CONFLICT without a matching key
    }

    @Test
    void theStateIsFoundAlongABatchFailuresChain() {
        BatchUpdateException batch = new BatchUpdateException("Batch entry 0 was aborted", (String) null, new int[0]);
        batch.setNextException(new SQLException("An I/O error occurred", "08006"));

        assertThat(SqlFailure.of(batch)).isEqualTo(SqlFailure.TRANSIENT);
    }

    @Test
    void driverExceptionsWithoutAStateAreClassifiedByType() {
        assertThat(SqlFailure.of(new SQLTransientConnectionException("timeout"))).isEqualTo(SqlFailure.TRANSIENT);
        assertThat(SqlFailure.of(new SQLException("no state"))).isEqualTo(SqlFailure.FATAL);
    }
}
