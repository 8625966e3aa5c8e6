package io.pganalytics.embedded.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import javax.net.ssl.SSLContext;

/** Speaks raw HTTP to a registry, as any Confluent client would: the conformance ITs' only way in. */
record RegistryHttp(String url, HttpClient http, String authorization) {

    static final String V1 = "application/vnd.schemaregistry.v1+json";
    static final ObjectMapper JSON = new ObjectMapper();

    static RegistryHttp to(String url) {
        return new RegistryHttp(url, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(), null);
    }

    static RegistryHttp to(String url, SSLContext trust) {
        return new RegistryHttp(url, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .sslContext(trust).build(), null);
    }

    RegistryHttp as(String user, String password) {
        return new RegistryHttp(url, http, "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }

    /** An HTTP answer. */
    record Answer(int status, String contentType, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        int errorCode() {
            return json().path("error_code").asInt();
        }

        Answer ok() {
            assertThat(status).as(body).isEqualTo(200);
            return this;
        }
    }

    Answer get(String path) {
        return send("GET", path, null, V1, null);
    }

    Answer post(String path, String body) {
        return send("POST", path, body, V1, null);
    }

    Answer put(String path, String body) {
        return send("PUT", path, body, V1, null);
    }

    Answer delete(String path) {
        return send("DELETE", path, null, V1, null);
    }

    Answer send(String method, String path, String body, String contentType, String accept) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + path))
                .timeout(Duration.ofSeconds(40))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null && contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (accept != null) {
            request.header("Accept", accept);
        }
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), response.headers().firstValue("Content-Type").orElse(null),
                    response.body());
        } catch (IOException e) {
            throw new AssertionError(method + " " + url + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Registers and answers the id, failing the test on anything but 200. */
    int register(String subject, String schema) {
        return post("/subjects/" + subject + "/versions", body(schema)).ok().json().path("id").asInt();
    }

    static String body(String schema) {
        return JSON.createObjectNode().put("schema", schema).toString();
    }

    static String bodyWithReference(String schema, String name, String subject, int version) {
        ObjectNode node = JSON.createObjectNode().put("schema", schema);
        ArrayNode references = node.putArray("references");
        references.addObject().put("name", name).put("subject", subject).put("version", version);
        return node.toString();
    }

    static String level(String level) {
        return "{\"compatibility\": \"" + level + "\"}";
    }

    /** A record schema {@code name} with the given fields JSON. */
    static String record(String name, String fieldsJson) {
        return "{\"type\": \"record\", \"name\": \"" + name + "\", \"namespace\": \"io.pganalytics.it\", \"fields\": ["
                + fieldsJson + "]}";
    }
}
