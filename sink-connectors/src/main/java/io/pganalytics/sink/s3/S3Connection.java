package io.pganalytics.sink.s3;

import java.net.URI;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * How to reach an S3-compatible store: the keys the backup sink and restore share, and the client they build.
 *
 * @param endpoint        {@value #ENDPOINT}, or null for AWS S3 itself
 * @param region          {@value #REGION}
 * @param pathStyle       {@value #PATH_STYLE}
 * @param accessKeyId     {@value #ACCESS_KEY_ID}, or null for the SDK's default credentials chain
 * @param secretAccessKey {@value #SECRET_ACCESS_KEY}, or null; {@link Password#toString()} hides it
 */
public record S3Connection(String endpoint, String region, boolean pathStyle, String accessKeyId,
                           Password secretAccessKey) {

    public static final String ENDPOINT = "s3.endpoint";
    public static final String REGION = "s3.region";
    public static final String PATH_STYLE = "s3.path.style.access.enabled";
    public static final String ACCESS_KEY_ID = "aws.access.key.id";
    public static final String SECRET_ACCESS_KEY = "aws.secret.access.key";

    public static final String DEFAULT_REGION = "us-east-1";

    /** Adds the connection keys to a configuration definition. */
    public static ConfigDef define(ConfigDef def) {
        return def
                .define(ENDPOINT, Type.STRING, null, new EndpointUrl(), Importance.HIGH,
                        "URL of an S3-compatible store (MinIO, Ceph, s3proxy, ...), e.g. http://minio:9000; unset for "
                                + "AWS S3, whose endpoint follows from the region.")
                .define(REGION, Type.STRING, DEFAULT_REGION, new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                        "Region to sign requests for.")
                .define(PATH_STYLE, Type.BOOLEAN, false, Importance.MEDIUM,
                        "Address buckets as <endpoint>/<bucket> instead of <bucket>.<endpoint>; most S3-compatible "
                                + "stores reached by IP address need true.")
                .define(ACCESS_KEY_ID, Type.STRING, null, Importance.HIGH,
                        "Access key id; unset to use the AWS SDK's default credentials chain (environment, profile, "
                                + "web identity, instance role).")
                .define(SECRET_ACCESS_KEY, Type.PASSWORD, null, Importance.HIGH,
                        "Secret access key, with " + ACCESS_KEY_ID + "; never logged.");
    }

    /** Reads the connection keys from a parsed configuration; both keys or neither must be set. */
    public static S3Connection from(AbstractConfig config) {
        String keyId = blankToNull(config.getString(ACCESS_KEY_ID));
        Password secret = config.getPassword(SECRET_ACCESS_KEY);
        boolean hasSecret = secret != null && !secret.value().isEmpty();
        if (keyId != null && !hasSecret) {
            throw new ConfigException(SECRET_ACCESS_KEY + ": required when " + ACCESS_KEY_ID + " is set");
        }
        if (keyId == null && hasSecret) {
            throw new ConfigException(ACCESS_KEY_ID + ": required when " + SECRET_ACCESS_KEY + " is set");
        }
        return new S3Connection(blankToNull(config.getString(ENDPOINT)), config.getString(REGION).trim(),
                config.getBoolean(PATH_STYLE), keyId, hasSecret ? secret : null);
    }

    /** A synchronous client; its HTTP client is set explicitly so that no other one on the class path can clash. */
    public S3Client newClient() {
        var builder = S3Client.builder()
                .region(Region.of(region))
                .credentialsProvider(credentials())
                .httpClientBuilder(Apache5HttpClient.builder())
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(pathStyle).build());
        if (endpoint != null) {
            builder.endpointOverride(URI.create(endpoint));
        }
        return builder.build();
    }

    private AwsCredentialsProvider credentials() {
        if (accessKeyId == null) {
            return DefaultCredentialsProvider.builder().build();
        }
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, secretAccessKey.value()));
    }

    /** Where requests go, for logs: the endpoint or the AWS region; never a credential. */
    public String describe() {
        return endpoint != null ? endpoint : "AWS S3 " + region;
    }

    /** Safe to log: the secret is hidden. */
    @Override
    public String toString() {
        return "S3Connection[" + ENDPOINT + "=" + endpoint + ", " + REGION + "=" + region + ", " + PATH_STYLE + "="
                + pathStyle + ", " + ACCESS_KEY_ID + "=" + accessKeyId + ", " + SECRET_ACCESS_KEY + "="
                + secretAccessKey + "]";
    }

    static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    private static final class EndpointUrl implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            if (value == null || value.toString().isBlank()) {
                return;
            }
            String url = value.toString().trim();
            try {
                URI uri = URI.create(url);
                if ((!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) || uri.getHost() == null) {
                    throw new IllegalArgumentException();
                }
            } catch (IllegalArgumentException e) {
                throw new ConfigException(name + ": expected http(s)://host[:port], got '" + url + "'");
            }
        }

        @Override
        public String toString() {
            return "http(s)://host[:port]";
        }
    }
}
