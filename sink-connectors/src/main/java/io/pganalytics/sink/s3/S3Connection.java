package io.pganalytics.sink.s3;

import io.pganalytics.config.Field;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.config.Values;
import java.net.URI;
import java.util.List;
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
 * @param encryptionKeys  {@value #ENCRYPTION_KEYS}: the ring that seals objects' data keys (client-side envelope
 *                        encryption, {@link BackupEncryption}), or null to write plaintext; hidden like the secret
 * @param serverSideEncryption {@value #SSE}: {@code AES256} (SSE-S3) or {@code aws:kms} (SSE-KMS) asked of the store
 *                        on every upload, or null
 * @param kmsKeyId        {@value #SSE_KMS_KEY_ID}: the KMS key of SSE-KMS, or null for the store's default
 */
public record S3Connection(String endpoint, String region, boolean pathStyle, String accessKeyId,
                           Password secretAccessKey, Password encryptionKeys, String serverSideEncryption, String kmsKeyId) {

    public static final String ENDPOINT = "s3.endpoint";
    public static final String REGION = "s3.region";
    public static final String PATH_STYLE = "s3.path.style.access.enabled";
    public static final String ACCESS_KEY_ID = "aws.access.key.id";
    public static final String SECRET_ACCESS_KEY = "aws.secret.access.key";
    public static final String ENCRYPTION_KEYS = "s3.encryption.keys";
    public static final String SSE = "s3.sse";
    public static final String SSE_KMS_KEY_ID = "s3.sse.kms.key.id";

    /** A connection that encrypts nothing. */
    public S3Connection(String endpoint, String region, boolean pathStyle, String accessKeyId, Password secretAccessKey) {
        this(endpoint, region, pathStyle, accessKeyId, secretAccessKey, null, null, null);
    }

    /** This connection sealing objects with the ring {@code keys} ({@code keyId:base64Key[,...]}). */
    public S3Connection withEncryptionKeys(String keys) {
        return new S3Connection(endpoint, region, pathStyle, accessKeyId, secretAccessKey, keys == null ? null : new Password(keys),
                serverSideEncryption, kmsKeyId);
    }

    /** The client-side encryption of objects, or null when {@value #ENCRYPTION_KEYS} is not set. */
    public BackupEncryption encryption() {
        return encryptionKeys == null ? null : BackupEncryption.of(encryptionKeys.value());
    }

    public static final String DEFAULT_REGION = "us-east-1";

    /** The connection keys, each declared once with its default, rule and documentation. */
    public static final class Keys {

        private Keys() {
        }

        public static final Field<String> ENDPOINT = Field.string(S3Connection.ENDPOINT).optional()
                .withCheck(S3Connection::endpointProblem)
                .withDoc("URL of an S3-compatible store (MinIO, Ceph, s3proxy, ...), e.g. http://minio:9000; unset for "
                        + "AWS S3, whose endpoint follows from the region.");
        public static final Field<String> REGION = Field.string(S3Connection.REGION).withDefault(S3Connection.DEFAULT_REGION)
                .withDoc("Region to sign requests for.");
        public static final Field<Boolean> PATH_STYLE = Field.bool(S3Connection.PATH_STYLE).withDefault(false)
                .withDoc("Address buckets as `<endpoint>/<bucket>` instead of `<bucket>.<endpoint>`; most S3-compatible "
                        + "stores reached by IP address need true.");
        public static final Field<String> ACCESS_KEY_ID = Field.string(S3Connection.ACCESS_KEY_ID).optional()
                .withDoc("Access key id; unset to use the AWS SDK's default credentials chain (environment, profile, "
                        + "web identity, instance role).");
        public static final Field<String> SECRET_ACCESS_KEY = Field.string(S3Connection.SECRET_ACCESS_KEY).optional().secret()
                .withDoc("Secret access key, with " + S3Connection.ACCESS_KEY_ID + "; never logged.");
        public static final Field<String> ENCRYPTION_KEYS = Field.string(S3Connection.ENCRYPTION_KEYS).optional().secret()
                .withDoc("`keyId:base64Key[,...]` (AES-256, `pganalytics fleet keygen`): client-side envelope encryption of every"
                        + " object, a data key per object sealed by the first key, every key opens; restore needs the ring that"
                        + " sealed them. Unset, objects are written in plaintext; never logged.");
        public static final Field<String> SSE = Field.string(S3Connection.SSE).optional()
                .withCheck(v -> v.equals("AES256") || v.equals("aws:kms") ? null : "expected AES256 or aws:kms, got '" + v + "'")
                .withDoc("Server-side encryption asked of the store on every upload: `AES256` (SSE-S3) or `aws:kms` (SSE-KMS);"
                        + " unset, none asked. Independent of " + S3Connection.ENCRYPTION_KEYS + ".");
        public static final Field<String> SSE_KMS_KEY_ID = Field.string(S3Connection.SSE_KMS_KEY_ID).optional()
                .withDoc("The KMS key of `s3.sse=aws:kms`; unset, the store's default key.");
    }

    /** The connection keys, declared once for the backup sink and restore. */
    public static final List<Field<?>> FIELDS = List.of(Keys.ENDPOINT, Keys.REGION, Keys.PATH_STYLE,
            Keys.ACCESS_KEY_ID, Keys.SECRET_ACCESS_KEY, Keys.ENCRYPTION_KEYS, Keys.SSE, Keys.SSE_KMS_KEY_ID);

    /** Reads the connection keys; both credential keys or neither must be set (else an {@link InvalidValue}). */
    public static S3Connection from(Values values) {
        String keyId = values.get(Keys.ACCESS_KEY_ID);
        String secret = values.get(Keys.SECRET_ACCESS_KEY);
        if (keyId != null && secret == null) {
            throw new InvalidValue(SECRET_ACCESS_KEY, "required when " + ACCESS_KEY_ID + " is set");
        }
        if (keyId == null && secret != null) {
            throw new InvalidValue(ACCESS_KEY_ID, "required when " + SECRET_ACCESS_KEY + " is set");
        }
        String ring = values.get(Keys.ENCRYPTION_KEYS);
        if (ring != null) {
            BackupEncryption.of(ring); // an InvalidValue naming the key, not a failure at the first upload
        }
        String sse = values.get(Keys.SSE);
        if (values.get(Keys.SSE_KMS_KEY_ID) != null && !"aws:kms".equals(sse)) {
            throw new InvalidValue(SSE_KMS_KEY_ID, "only with " + SSE + "=aws:kms");
        }
        return new S3Connection(values.get(Keys.ENDPOINT), values.get(Keys.REGION), values.get(Keys.PATH_STYLE),
                keyId, secret == null ? null : new Password(secret), ring == null ? null : new Password(ring), sse,
                values.get(Keys.SSE_KMS_KEY_ID));
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
                + secretAccessKey + ", " + ENCRYPTION_KEYS + "=" + (encryptionKeys == null ? "none" : "[hidden]") + ", " + SSE + "="
                + serverSideEncryption + ", " + SSE_KMS_KEY_ID + "=" + kmsKeyId + "]";
    }

    private static String endpointProblem(String url) {
        try {
            URI uri = URI.create(url);
            if ((!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException();
            }
            return null;
        } catch (IllegalArgumentException e) {
            return "expected http(s)://host[:port], got '" + url + "'";
        }
    }
}
