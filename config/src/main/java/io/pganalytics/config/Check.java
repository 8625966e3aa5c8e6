package io.pganalytics.config;

import java.util.regex.Pattern;

/**
 * A rule a parsed value must follow, e.g. {@code Check.atLeast(1000)}: it answers why a value is refused, in words
 * a user can act on, or {@code null} when the value is fine.
 */
@FunctionalInterface
public interface Check<T> {

    /** Why {@code value} is refused, or {@code null} when it is fine. */
    String problem(T value);

    /** This rule and then {@code next}. */
    default Check<T> and(Check<? super T> next) {
        return value -> {
            String problem = problem(value);
            return problem != null ? problem : next.problem(value);
        };
    }

    /** A number no smaller than {@code min}. */
    static <N extends Number> Check<N> atLeast(long min) {
        return value -> value.longValue() >= min ? null : "must be at least " + min + ", got " + value;
    }

    /** A number from {@code min} to {@code max}, both included. */
    static <N extends Number> Check<N> between(long min, long max) {
        return value -> value.longValue() >= min && value.longValue() <= max ? null
                : "must be " + min + " to " + max + ", got " + value;
    }

    /** A text matching {@code regex} entirely; {@code expected} says what that means, e.g. "letters and digits". */
    static Check<String> matching(String regex, String expected) {
        Pattern pattern = Pattern.compile(regex);
        return value -> pattern.matcher(value).matches() ? null : "expected " + expected + ", got '" + value + "'";
    }

    /** A text that does not contain {@code forbidden}; {@code why} tells the user what it would break. */
    static Check<String> without(String forbidden, String why) {
        return value -> value.contains(forbidden) ? "must not contain '" + forbidden + "', " + why : null;
    }
}
