package io.pganalytics.api.accounts;

import io.pganalytics.api.ApiConfig;
import io.pganalytics.api.ApiServer;
import io.pganalytics.api.auth.RateLimitSettings;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.schemas.secret.SecretBox;
import io.pganalytics.testkit.TestStack;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** What the sign-in ITs share: a migrated control-plane database of their own, the API's configuration on it, HTTP calls. */
final class ApiCalls {

    static final HttpClient HTTP = HttpClient.newHttpClient();

    private ApiCalls() {
    }

    /** A control-plane database {@code database} on the stack's PostgreSQL, migrated, with a fresh secret key. */
    static ControlPlaneConfig controlPlane(TestStack stack, String database, int poolSize) {
        EmbeddedPostgres postgres = stack.postgres();
        postgres.createDatabaseIfMissing(database);
        ControlPlaneConfig control = new ControlPlaneConfig(postgres.jdbcUrl(database), postgres.user(), null, poolSize,
                stack.kafka().bootstrapServers(), stack.registry().url(), SecretBox.generateKey("it"), true);
        ControlPlanes.migrate(control);
        return control;
    }

    /** The API on {@code control} at {@code port} (0: any), without rate limits unless a test sets them. */
    static ApiConfig api(ControlPlaneConfig control, int port) {
        return new ApiConfig("127.0.0.1", port, control.databaseUrl(), control.databaseUser(), null, control.bootstrapServers())
                .withSchemaRegistry(control.schemaRegistryUrl()).withRateLimits(new RateLimitSettings(0, 0, 0, List.of()));
    }

    /** A request with an optional bearer token and JSON body, and extra headers. */
    static HttpResponse<String> call(ApiServer api, String method, String path, String token, String body,
                                     Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.url() + path)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        headers.forEach(request::header);
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> call(ApiServer api, String method, String path, String token, String body) throws Exception {
        return call(api, method, path, token, body, Map.of());
    }

    /** Closes each, the rest even when one fails. */
    static void closeAll(AutoCloseable... resources) {
        for (AutoCloseable c : resources) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // closing the rest matters more
            }
        }
    }
}
