package io.pganalytics.streams.validation;

/**
 * Why a record was rejected: a stable check code for counting and alerting, and a reason for people.
 */
public record CheckFailure(String check, String reason) {

    public static CheckFailure undecodable(String reason) {
        return new CheckFailure("undecodable", reason);
    }
}
