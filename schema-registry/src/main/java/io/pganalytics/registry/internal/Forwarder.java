package io.pganalytics.registry.internal;

import io.javalin.http.Context;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import javax.net.ssl.SSLContext;

/** Sends a write this instance received on to the leader over HTTP and brings its answer back, as Confluent does. */
public final class Forwarder {

    private static final Duration TIMEOUT = Duration.ofSeconds(35);

    private final HttpClient http;

    /** @param sslContext how to trust the leader's certificate when it serves HTTPS; null for the JDK default */
    public Forwarder(SSLContext sslContext) {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (sslContext != null) {
            builder.sslContext(sslContext);
        }
        this.http = builder.build();
    }

    /** The leader's answer; {@code offset} is the topic offset its write reached, -1 when it did not say. */
    public record Answer(int status, String contentType, byte[] body, long offset) {
    }

    public Answer forward(String leaderUrl, Context ctx) {
        String query = ctx.queryString();
        URI uri = URI.create(leaderUrl + ctx.path() + (query == null || query.isEmpty() ? "" : "?" + query));
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(TIMEOUT)
                .method(ctx.method().name(), HttpRequest.BodyPublishers.ofByteArray(ctx.bodyAsBytes()))
                .header(RestApi.FORWARDED_HEADER, "true");
        copy(ctx, request, "Content-Type");
        copy(ctx, request, "Accept");
        copy(ctx, request, "Authorization");
        try {
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            long offset = response.headers().firstValue(RestApi.OFFSET_HEADER).map(Long::parseLong).orElse(-1L);
            return new Answer(response.statusCode(), response.headers().firstValue("Content-Type").orElse(null),
                    response.body(), offset);
        } catch (IOException e) {
            throw new RegistryException(500, RegistryException.REQUEST_FORWARDING_FAILED,
                    "Error while forwarding the request to the leader " + leaderUrl + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(500, RegistryException.REQUEST_FORWARDING_FAILED,
                    "Interrupted while forwarding the request to the leader " + leaderUrl, e);
        }
    }

    private static void copy(Context ctx, HttpRequest.Builder request, String header) {
        String value = ctx.header(header);
        if (value != null) {
            request.header(header, value);
        }
    }
}
