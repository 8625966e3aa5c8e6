package io.pganalytics.api.routes;

import io.javalin.http.Handler;
import io.pganalytics.api.auth.Access;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One registered route: what the router serves, the rule that guards it and what the OpenAPI document says of it.
 *
 * @param method  HTTP method, upper case
 * @param path    Javalin path with {@code {param}} segments, e.g. {@code /api/v1/collectors/{id}}
 * @param access  who may call it
 * @param summary one sentence for the OpenAPI document
 * @param success the status of a successful answer (200, 201, 202, 204)
 * @param handler what answers (for a WebSocket: what checks the upgrade request)
 * @param websocket the WebSocket handlers, or null for a plain HTTP route
 */
public record ApiRoute(String method, String path, Access access, String summary, int success, Handler handler,
                       java.util.function.Consumer<io.javalin.websocket.WsConfig> websocket) {

    /** A plain HTTP route. */
    public ApiRoute(String method, String path, Access access, String summary, int success, Handler handler) {
        this(method, path, access, summary, success, handler, null);
    }

    private static final Pattern PARAM = Pattern.compile("\\{([A-Za-z0-9_]+)}");

    public ApiRoute {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(access, path + ": every route needs an access rule");
        Objects.requireNonNull(summary, "summary");
        Objects.requireNonNull(handler, "handler");
    }

    /** The names of the path's parameters, in order. */
    public List<String> pathParameters() {
        Matcher matcher = PARAM.matcher(path);
        List<String> names = new java.util.ArrayList<>();
        while (matcher.find()) {
            names.add(matcher.group(1));
        }
        return names;
    }

    /** Whether the method carries a request body. */
    public boolean takesBody() {
        return method.equals("POST") || method.equals("PUT") || method.equals("PATCH");
    }
}
