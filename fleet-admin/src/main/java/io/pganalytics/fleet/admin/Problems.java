package io.pganalytics.fleet.admin;

import io.pganalytics.config.InvalidValue;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** The problems of one request, gathered so that a user fixes them all in one go. */
final class Problems {

    private final List<InvalidValue.Problem> found = new ArrayList<>();

    /** The value {@code parse} returns, or {@code fallback} after noting why it failed. */
    <T> T check(Supplier<T> parse, T fallback) {
        try {
            return parse.get();
        } catch (InvalidValue e) {
            found.addAll(e.problems());
            return fallback;
        }
    }

    void check(Runnable check) {
        try {
            check.run();
        } catch (InvalidValue e) {
            found.addAll(e.problems());
        }
    }

    void add(String path, String reason) {
        found.add(new InvalidValue.Problem(path, reason));
    }

    /** @throws InvalidValue with every problem noted, if any */
    void throwIfAny() {
        if (!found.isEmpty()) {
            throw new InvalidValue(found);
        }
    }
}
