package io.pganalytics.sink.timescale;

import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.Set;

/** What a failed write means for the batch: retry it, set its bad rows aside, or stop the task. */
enum SqlFailure {

    /** The database or the path to it failed, not the rows: the same batch will succeed later. */
    TRANSIENT,
    /** PostgreSQL refused a value (out of range, invalid text): retrying the same rows cannot succeed. */
    BAD_DATA,
    /** The sink is misconfigured or the table is not what we expect: an operator must act. */
    FATAL;

    /**
     * SQLSTATEs worth retrying, by class or by code (PostgreSQL manual, appendix A): 08 connection exception,
     * 53 insufficient resources (disk full, too many connections), 58 system error (I/O), 40001/40P01
     * serialization failure and deadlock, 55P03 lock not available, 57014 statement timeout, 57P01-57P03
     * shutdown, crash and "starting up", which a failover or restart of the store produces.
     */
    private static final Set<String> TRANSIENT_CLASSES = Set.of("08", "53", "58");
    private static final Set<String> TRANSIENT_CODES = Set.of("40001", "40P01", "55P03", "57014", "57P01", "57P02", "57P03");
    /** 22 data exception, 23 integrity constraint violation: a property of the rows. */
    private static final Set<String> BAD_DATA_CLASSES = Set.of("22", "23");

    /** Classifies by the first SQLSTATE found along the exception's chain (pgjdbc nests batch failures). */
    static SqlFailure of(SQLException failure) {
        for (SQLException e = failure; e != null; e = next(e)) {
            String state = e.getSQLState();
            if (state != null && state.length() == 5) {
                return ofState(state);
            }
            if (e instanceof SQLTransientException || e instanceof SQLRecoverableException) {
                return TRANSIENT;
            }
        }
        return FATAL;
    }

    static SqlFailure ofState(String state) {
        String stateClass = state.substring(0, 2);
        if (TRANSIENT_CLASSES.contains(stateClass) || TRANSIENT_CODES.contains(state)) {
            return TRANSIENT;
        }
        if (BAD_DATA_CLASSES.contains(stateClass)) {
            return BAD_DATA;
        }
        return FATAL;
    }

    private static SQLException next(SQLException e) {
        if (e.getNextException() != null) {
            return e.getNextException();
        }
        return e.getCause() instanceof SQLException cause ? cause : null;
    }
}
