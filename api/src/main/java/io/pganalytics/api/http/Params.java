package io.pganalytics.api.http;

import io.javalin.http.Context;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/** Path and query parameters, checked: a bad one is a 400 naming it. */
public final class Params {

    /** What every id in a path looks like. */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    private Params() {
    }

    /** The path parameter {@code name}, an id. */
    public static String id(Context ctx, String name) {
        String value = ctx.pathParam(name);
        if (!ID.matcher(value).matches()) {
            throw ApiException.badRequest("invalid_value", name + ": expected 1-128 of A-Z a-z 0-9 . _ -");
        }
        return value;
    }

    /** An optional text query parameter of at most {@code maxLength} characters, without control characters. */
    public static String text(Context ctx, String name, int maxLength) {
        String value = ctx.queryParam(name);
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (value.length() > maxLength) {
            throw ApiException.badRequest("invalid_value", name + ": at most " + maxLength + " characters");
        }
        if (value.chars().anyMatch(c -> c < 0x20 || Character.isSurrogate((char) c) && !validSurrogates(value))) {
            throw ApiException.badRequest("invalid_value", name + ": control characters and lone surrogates are refused");
        }
        return value;
    }

    /** An optional integer query parameter within {@code min..max}, {@code fallback} when absent. */
    public static int integer(Context ctx, String name, int min, int max, int fallback) {
        String value = ctx.queryParam(name);
        if (value == null || value.isEmpty()) {
            return fallback;
        }
        try {
            int parsed = Integer.parseInt(value);
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badRequest("invalid_value", name + ": expected an integer " + min + "-" + max);
    }

    /** An optional ISO-8601 instant query parameter. */
    public static Instant instant(Context ctx, String name) {
        String value = ctx.queryParam(name);
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest("invalid_value", name + ": expected an ISO-8601 instant, e.g. 2026-01-31T12:00:00Z");
        }
    }

    /** An optional boolean query parameter. */
    public static boolean bool(Context ctx, String name, boolean fallback) {
        String value = ctx.queryParam(name);
        if (value == null || value.isEmpty()) {
            return fallback;
        }
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw ApiException.badRequest("invalid_value", name + ": expected true or false");
        };
    }

    private static boolean validSurrogates(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= value.length() || !Character.isLowSurrogate(value.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }
}
