package io.pganalytics.api.http;

/**
 * A request the API refuses, with its status and stable error code; answered in the one error shape
 * ({@code {"error", "message"}}) and never logged with a stack trace.
 */
public final class ApiException extends RuntimeException {

    private final int status;
    private final String code;

    public ApiException(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public static ApiException unauthorized() {
        return new ApiException(401, "unauthorized", "this route needs credentials: Authorization: Bearer <token>");
    }

    public static ApiException forbidden(String message) {
        return new ApiException(403, "forbidden", message);
    }

    public static ApiException notFound(String kind, String id) {
        return new ApiException(404, "not_found", "no " + kind + " " + id);
    }

    public static ApiException badRequest(String code, String message) {
        return new ApiException(400, code, message);
    }
}
