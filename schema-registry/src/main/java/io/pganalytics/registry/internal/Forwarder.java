package io.pganalytics.registry.internal;

import io.javalin.http.Context;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import javax.net.ssl.SSLContext;

/**
 * Sends a write this instance received on to the leader over HTTP and brings its answer back, as Confluent does,
 * and says when a failed attempt may be made again (see {@link Outcome}).
 */
public final class Forwarder {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final HttpClient http;

    /** @param sslContext how to trust the leader's certificate when it serves HTTPS; null for the JDK default */
    public Forwarder(SSLContext sslContext) {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
                // The registry speaks HTTP/1.1 only: asking for an h2c upgrade on every new connection buys nothing.
                .version(HttpClient.Version.HTTP_1_1);
        if (sslContext != null) {
            builder.sslContext(sslContext);
        }
        this.http = builder.build();
    }

    /** What one attempt to forward came to. */
    public sealed interface Outcome {
    }

    /**
     * The leader's answer, to relay as is; {@code offset} is the topic offset its write reached, -1 when it did not
     * say.
     */
    public record Answer(int status, String contentType, byte[] body, long offset) implements Outcome {
    }

    /**
     * No answer to relay, and the write may be sent again (to whichever instance leads by then): either it certainly
     * did not happen (the connection was refused, or the instance answered that it does not lead), or the request is
     * one whose repetition changes nothing (a registration answers the same id, a level or mode is set to the same
     * value).
     */
    public record Retry(String reason) implements Outcome {
    }

    /**
     * Forwards the request once.
     *
     * @param repeatable whether sending the request twice has the effect of sending it once
     * @throws RegistryException 50003 when the leader did not answer and the request may have been applied, so it
     *                           must not be sent again (a delete)
     */
    public Outcome forward(String leaderUrl, Context ctx, boolean repeatable, Duration timeout) {
        String query = ctx.queryString();
        URI uri = URI.create(leaderUrl + ctx.path() + (query == null || query.isEmpty() ? "" : "?" + query));
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout)
                .method(ctx.method().name(), HttpRequest.BodyPublishers.ofByteArray(ctx.bodyAsBytes()))
                .header(RestApi.FORWARDED_HEADER, "true");
        copy(ctx, request, "Content-Type");
        copy(ctx, request, "Accept");
        copy(ctx, request, "Authorization");
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            // Never reached the leader: it stopped, or moved, since this instance last heard of it.
            return new Retry("cannot connect to " + leaderUrl + ": " + e);
        } catch (IOException e) {
            // The request may have reached it, e.g. a kept-alive connection the leader closed as the request was
            // sent, or a leader that crashed while writing.
            if (repeatable) {
                return new Retry("no answer from " + leaderUrl + ": " + e);
            }
            // The message says what failed; without a cause, the error is logged as one line, no stack trace.
            throw new RegistryException(500, RegistryException.REQUEST_FORWARDING_FAILED,
                    "Error while forwarding the request to the leader " + leaderUrl + ": no answer (" + e.getMessage()
                            + "); the request may or may not have been applied");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(500, RegistryException.REQUEST_FORWARDING_FAILED,
                    "Interrupted while forwarding the request to the leader " + leaderUrl, e);
        }
        if (response.headers().firstValue(RestApi.RETRY_HEADER).isPresent()) {
            return new Retry(leaderUrl + " did not write it: " + new String(response.body(),
                    java.nio.charset.StandardCharsets.UTF_8));
        }
        long offset = response.headers().firstValue(RestApi.OFFSET_HEADER).map(Long::parseLong).orElse(-1L);
        return new Answer(response.statusCode(), response.headers().firstValue("Content-Type").orElse(null),
                response.body(), offset);
    }

    private static void copy(Context ctx, HttpRequest.Builder request, String header) {
        String value = ctx.header(header);
        if (value != null) {
            request.header(header, value);
        }
    }
}
