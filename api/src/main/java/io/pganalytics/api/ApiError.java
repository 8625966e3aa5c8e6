package io.pganalytics.api;

/**
 * The one error shape of the API: a stable code to branch on and a message for people.
 */
public record ApiError(String error, String message) {
}
