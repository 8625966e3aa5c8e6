package io.pganalytics.schemas.registry;

/**
 * A schema registry answered with an error, or could not be reached; carries Confluent's error code.
 */
public final class SchemaRegistryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Confluent's code for "subject not found". */
    public static final int SUBJECT_NOT_FOUND = 40401;
    /** Confluent's code for "version not found". */
    public static final int VERSION_NOT_FOUND = 40402;
    /** Confluent's code for "schema not found". */
    public static final int SCHEMA_NOT_FOUND = 40403;
    /** Confluent's code for "incompatible schema" (older servers answer a bare 409). */
    public static final int INCOMPATIBLE_SCHEMA = 409;

    private final int httpStatus;
    private final int errorCode;

    public SchemaRegistryException(int httpStatus, int errorCode, String message) {
        super(message);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    public SchemaRegistryException(String message, Throwable cause) {
        super(message, cause);
        this.httpStatus = -1;
        this.errorCode = -1;
    }

    /** The HTTP status, or -1 when the registry could not be reached. */
    public int httpStatus() {
        return httpStatus;
    }

    /** Confluent's error code from the body, e.g. 40403; the HTTP status when the body had none. */
    public int errorCode() {
        return errorCode;
    }

    /** True for both of Confluent's ways of saying a schema is incompatible (409 and 40901). */
    public boolean isIncompatible() {
        return httpStatus == 409 || errorCode == INCOMPATIBLE_SCHEMA || errorCode == 40901;
    }

    /** True when the subject, version or schema asked for does not exist. */
    public boolean isNotFound() {
        return httpStatus == 404;
    }
}
