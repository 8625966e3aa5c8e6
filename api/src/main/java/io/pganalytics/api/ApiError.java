package io.pganalytics.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.pganalytics.config.InvalidValue;
import java.util.List;

/**
 * The one error shape of the API: a stable code to branch on, a message for people, and for a refused value the
 * fields to fix ({@code fields} is left out of the JSON otherwise).
 *
 * @param fields each bad value's path in the request (e.g. {@code targets[0].port}) and why; null when not about values
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiError(String error, String message, List<FieldError> fields) {

    /** The code of a request whose values cannot be used (answered 400). */
    public static final String INVALID_VALUE = "invalid_value";

    /** One refused value: where in the request, and why. */
    public record FieldError(String path, String reason) {
    }

    /** An error that is not about a request's values. */
    public ApiError(String error, String message) {
        this(error, message, null);
    }

    /** How the API answers an {@link InvalidValue}: its message as it is, and each problem as a field error. */
    public static ApiError of(InvalidValue invalid) {
        return new ApiError(INVALID_VALUE, invalid.getMessage(), invalid.problems().stream()
                .map(problem -> new FieldError(problem.path(), problem.reason())).toList());
    }
}
