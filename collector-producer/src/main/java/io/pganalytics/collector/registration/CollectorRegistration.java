package io.pganalytics.collector.registration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pganalytics.collector.config.ApiRegistration;
import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.config.InvalidValue;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A collector's identity with the control plane: read from {@code collector.api.identity.file} when a previous
 * start registered, else obtained by {@code POST <collector.api.url>/api/v1/collectors/register} with the
 * registration secret and kept in that file (written atomically, mode 0600), so that every later start is the
 * same collector. The API answers {@code 201 {"collector": {"id", ...}, "token": "pga_c_..."}}; the secret and
 * the token are never logged.
 */
public final class CollectorRegistration {

    private static final Logger LOG = LoggerFactory.getLogger(CollectorRegistration.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long a start keeps trying to reach the API before it gives up. */
    public static final Duration DEFAULT_RETRY_FOR = Duration.ofMinutes(5);
    static final String PATH = "/api/v1/collectors/register";
    static final String REFUSED = "registration refused: the secret is unknown, expired, used up or revoked";
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private CollectorRegistration() {
    }

    /**
     * Who this collector is to the control plane.
     *
     * @param collectorId the id the API gave; every record key and the collector's consumer groups use it
     * @param token       the collector's token ({@code pga_c_...}) for the API; never logged
     */
    public record Identity(String collectorId, String token) {

        @Override
        public String toString() {
            return "Identity[collectorId=" + collectorId + ", token=***]";
        }
    }

    /**
     * {@code config} as the collector runs it: unchanged without {@code collector.api.url}, else under the id the
     * identity file holds or the API gives now (registering with the name, host name, {@code version} and
     * {@code collector.fleet.group}).
     *
     * @throws InvalidValue registration refused (401: one message for an unknown, expired, used-up or revoked
     *         secret; other refusals with the API's message), the API unreachable for {@code retryFor}, or an
     *         identity file that cannot be read or written
     */
    public static CollectorConfig identify(CollectorConfig config, String version, Duration retryFor) {
        ApiRegistration api = config.operations().api();
        if (api == null) {
            return config;
        }
        Identity identity = identity(api, config.operations().fleetGroup(), version, retryFor);
        return config.withCollectorId(identity.collectorId());
    }

    /**
     * The identity in {@code api.identityFile()} when it exists, else a new one from the API, written there.
     *
     * @throws InvalidValue as {@link #identify}
     */
    public static Identity identity(ApiRegistration api, String group, String version, Duration retryFor) {
        if (Files.exists(api.identityFile())) {
            Identity identity = read(api.identityFile());
            LOG.info("collector {}: identity from {}", identity.collectorId(), api.identityFile());
            return identity;
        }
        if (api.secret() == null || api.secret().isBlank()) {
            throw new InvalidValue(CollectorConfig.API_REGISTRATION_SECRET,
                    "required to register: there is no identity file at " + api.identityFile() + " yet");
        }
        Identity identity = register(api, group, version, retryFor);
        write(api.identityFile(), identity, api.url());
        LOG.info("collector {}: registered with {} as '{}'; identity kept in {}", identity.collectorId(), api.url(),
                api.name(), api.identityFile());
        return identity;
    }

    /**
     * Registers once with the API (retrying network errors and 5xx answers with back-off for {@code retryFor}, one
     * log line per attempt) and answers the identity it gave; writes no file.
     *
     * @throws InvalidValue as {@link #identify}
     */
    public static Identity register(ApiRegistration api, String group, String version, Duration retryFor) {
        URI uri = URI.create(api.url() + PATH);
        ObjectNode body = JSON.createObjectNode();
        body.put("secret", api.secret());
        body.put("name", api.name());
        body.put("hostname", ApiRegistration.hostname());
        body.put("version", version);
        if (group != null) {
            body.put("group", group);
        }
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8))
                .build();
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        Instant giveUpAt = Instant.now().plus(retryFor);
        Duration backoff = FIRST_BACKOFF;
        for (int attempt = 1; ; attempt++) {
            String failure;
            try {
                HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                int status = response.statusCode();
                if (status == 201 || status == 200) {
                    return identityOf(response.body(), uri);
                }
                if (status == 401) {
                    throw new InvalidValue(CollectorConfig.API_REGISTRATION_SECRET, REFUSED);
                }
                if (status < 500 && status != 429) {
                    throw new InvalidValue(CollectorConfig.API_URL, "registration refused by " + uri + " (" + status + "): "
                            + messageOf(response.body()));
                }
                failure = "answered " + status + ": " + messageOf(response.body());
            } catch (IOException e) {
                failure = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InvalidValue(CollectorConfig.API_URL, "registration interrupted");
            }
            Instant next = Instant.now().plus(backoff);
            if (next.isAfter(giveUpAt)) {
                throw new InvalidValue(CollectorConfig.API_URL, "cannot register with " + uri + " after " + attempt
                        + " attempts in " + retryFor.toSeconds() + " s: " + failure);
            }
            LOG.warn("registration attempt {} with {} failed: {}; trying again in {} ms", attempt, uri, failure, backoff.toMillis());
            try {
                Thread.sleep(backoff.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InvalidValue(CollectorConfig.API_URL, "registration interrupted");
            }
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }

    private static Identity identityOf(String body, URI uri) {
        try {
            JsonNode json = JSON.readTree(body);
            String id = json.path("collector").path("id").asText(null);
            String token = json.path("token").asText(null);
            if (id == null || id.isBlank() || token == null || token.isBlank()) {
                throw new IOException("no collector.id or token");
            }
            return new Identity(id, token);
        } catch (IOException e) {
            throw new InvalidValue(CollectorConfig.API_URL, uri + " answered a registration this collector cannot read: " + e.getMessage());
        }
    }

    /** The API's {@code message} (its error shape), else the start of the body. */
    private static String messageOf(String body) {
        try {
            JsonNode json = JSON.readTree(body);
            if (json != null && json.hasNonNull("message")) {
                return json.get("message").asText();
            }
        } catch (IOException e) {
            // not JSON: the body as it is
        }
        String text = body == null ? "" : body.strip();
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }

    private static Identity read(Path file) {
        try {
            JsonNode json = JSON.readTree(file.toFile());
            String id = json.path("collectorId").asText(null);
            String token = json.path("token").asText(null);
            if (id == null || id.isBlank() || token == null || token.isBlank()) {
                throw new IOException("no collectorId or token");
            }
            return new Identity(id, token);
        } catch (IOException e) {
            throw new InvalidValue(CollectorConfig.API_IDENTITY_FILE, "cannot read " + file + ": " + e.getMessage()
                    + "; delete it to register again");
        }
    }

    /** Written to a temporary file created with mode 0600, then renamed: a crash never leaves half an identity. */
    private static void write(Path file, Identity identity, String apiUrl) {
        ObjectNode json = JSON.createObjectNode();
        json.put("collectorId", identity.collectorId());
        json.put("token", identity.token());
        json.put("apiUrl", apiUrl);
        json.put("registeredAt", Instant.now().toString());
        Path absolute = file.toAbsolutePath();
        Path temporary = absolute.resolveSibling(absolute.getFileName() + ".tmp");
        try {
            Files.createDirectories(absolute.getParent());
            Files.deleteIfExists(temporary);
            try {
                Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(temporary); // not a POSIX file system: its own access rules apply
            }
            Files.writeString(temporary, json.toPrettyString() + "\n", StandardCharsets.UTF_8);
            try {
                Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (FileAlreadyExistsException e) {
            throw new InvalidValue(CollectorConfig.API_IDENTITY_FILE, "cannot write " + file + ": " + e.getMessage() + " exists");
        } catch (IOException e) {
            throw new InvalidValue(CollectorConfig.API_IDENTITY_FILE, "cannot write " + file + " (collector " + identity.collectorId()
                    + " is registered; keep its id): " + e.getMessage());
        }
    }
}
