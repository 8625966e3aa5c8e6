package io.pganalytics.api.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * What Jetty itself answers for a request that never reaches the router (a malformed or ambiguous URI, a header too
 * large): the API's error shape instead of Jetty's HTML page, with the same security headers.
 */
public final class JsonErrorHandler extends ErrorHandler {

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        String error = code == 413 ? "payload_too_large" : code == 431 ? "headers_too_large"
                : code >= 500 ? "internal_error" : code == 404 ? "not_found" : "bad_request";
        String text = code >= 500 ? "the server could not answer; see its log"
                : message == null || message.isBlank() ? "the request cannot be read" : message;
        String body = StrictJson.MAPPER.valueToTree(Map.of("error", error, "message", text)).toString();
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        // Jetty ends the connection after such an error: say so, so that the client does not reuse it
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        response.getHeaders().put("X-Content-Type-Options", "nosniff");
        response.getHeaders().put("X-Frame-Options", "DENY");
        response.getHeaders().put("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
        response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
    }
}
