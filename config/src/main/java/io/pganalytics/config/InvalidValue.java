package io.pganalytics.config;

import java.util.List;

/**
 * A value a user gave that cannot be used: where it is ({@code path}: a configuration key such as
 * {@code collector.targets[2].url}, a command-line option such as {@code --log-level}, a JSON path such as
 * {@code targets[0].port}) and why, in words the user can act on. Every surface renders it its own way without
 * rewriting the message: the command line prints {@link #getMessage()} and exits with code 2, the API answers 400
 * with the error shape and the field errors, a role logs one line and stops.
 */
public class InvalidValue extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** One bad value: where, and why. */
    public record Problem(String path, String reason) {
        @Override
        public String toString() {
            return path + ": " + reason;
        }
    }

    private final List<Problem> problems;

    /** One bad value. */
    public InvalidValue(String path, String reason) {
        this(List.of(new Problem(path, reason)), null);
    }

    /** One bad value, found through another failure (kept as the cause, never shown in its place). */
    public InvalidValue(String path, String reason, Throwable cause) {
        this(List.of(new Problem(path, reason)), cause);
    }

    /** Several bad values found at once, so that a user fixes them all in one go. */
    public InvalidValue(List<Problem> problems) {
        this(problems, null);
    }

    /** Throws one {@link InvalidValue} with {@code problems}, if there are any: the end of checking several values. */
    public static void throwIfAny(List<Problem> problems) {
        if (!problems.isEmpty()) {
            throw new InvalidValue(problems);
        }
    }

    private InvalidValue(List<Problem> problems, Throwable cause) {
        super(message(problems), cause);
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("an InvalidValue needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    private static String message(List<Problem> problems) {
        return problems.isEmpty() ? "" : String.join("; ", problems.stream().map(Problem::toString).toList());
    }

    /** The path of the first bad value. */
    public String path() {
        return problems.get(0).path();
    }

    /** Why the first bad value cannot be used. */
    public String reason() {
        return problems.get(0).reason();
    }

    /** Every bad value, in the order found. */
    public List<Problem> problems() {
        return problems;
    }

    /** The same problems, each path under {@code prefix} (e.g. {@code targets[3]} + {@code .port}). */
    public InvalidValue under(String prefix) {
        return new InvalidValue(problems.stream()
                .map(problem -> new Problem(prefix + (problem.path().startsWith("[") ? "" : ".") + problem.path(),
                        problem.reason()))
                .toList(), getCause());
    }
}
