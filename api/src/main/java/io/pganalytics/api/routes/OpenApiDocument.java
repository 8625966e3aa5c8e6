package io.pganalytics.api.routes;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The OpenAPI 3.1 document of the API, built from the {@link RouteTable}'s registrations so that it lists exactly
 * the routes the router serves, with their path parameters, security and answers.
 */
public final class OpenApiDocument {

    private OpenApiDocument() {
    }

    /** The document as a JSON-ready tree. */
    public static Map<String, Object> of(List<ApiRoute> routes, String version) {
        Map<String, Object> paths = new LinkedHashMap<>();
        for (ApiRoute route : routes) {
            @SuppressWarnings("unchecked")
            Map<String, Object> operations = (Map<String, Object>) paths.computeIfAbsent(route.path(),
                    path -> new LinkedHashMap<String, Object>());
            operations.put(route.method().toLowerCase(), operation(route));
        }
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("openapi", "3.1.0");
        document.put("info", Map.of("title", "pgAnalytics fleet-management API", "version", version));
        document.put("paths", paths);
        document.put("components", Map.of(
                "securitySchemes", Map.of("bearer", Map.of("type", "http", "scheme", "bearer")),
                "schemas", Map.of("Error", Map.of(
                        "type", "object",
                        "required", List.of("error", "message"),
                        "properties", Map.of(
                                "error", Map.of("type", "string"),
                                "message", Map.of("type", "string"),
                                "fields", Map.of("type", "array", "items", Map.of("type", "object",
                                        "properties", Map.of("path", Map.of("type", "string"),
                                                "reason", Map.of("type", "string")))))))));
        return document;
    }

    private static Map<String, Object> operation(ApiRoute route) {
        Map<String, Object> operation = new LinkedHashMap<>();
        operation.put("operationId", route.method().toLowerCase() + route.path().replaceAll("[^A-Za-z0-9]+", "_"));
        operation.put("summary", route.summary());
        operation.put("x-pga-access", route.access().toString());
        operation.put("security", route.access().isOpen() ? List.of() : List.of(Map.of("bearer", List.of())));
        List<Map<String, Object>> parameters = new java.util.ArrayList<>();
        for (String name : route.pathParameters()) {
            parameters.add(Map.of("name", name, "in", "path", "required", true,
                    "schema", Map.of("type", "string", "pattern", "^[A-Za-z0-9._-]{1,128}$")));
        }
        if (route.takesBody() && !route.access().isOpen() || route.method().equals("DELETE")) {
            parameters.add(Map.of("name", "Idempotency-Key", "in", "header", "required", false,
                    "schema", Map.of("type", "string", "maxLength", 200)));
        }
        operation.put("parameters", parameters);
        if (route.takesBody()) {
            operation.put("requestBody", Map.of("required", false, "content",
                    Map.of("application/json", Map.of("schema", Map.of("type", "object")))));
        }
        Map<String, Object> error = Map.of("description", "error", "content",
                Map.of("application/json", Map.of("schema", Map.of("$ref", "#/components/schemas/Error"))));
        Map<String, Object> responses = new LinkedHashMap<>();
        responses.put(Integer.toString(route.success()), Map.of("description", "success"));
        responses.put("400", error);
        if (!route.access().isOpen()) {
            responses.put("401", error);
            responses.put("403", error);
        }
        responses.put("default", error);
        operation.put("responses", responses);
        return operation;
    }
}
