package io.pganalytics.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

class EmbeddedS3IT {

    @TempDir
    static Path dataDir;

    @Test
    void objectsSurviveARestartOnTheSameDirectory() {
        Path dir = dataDir.resolve("s3");
        int port;
        try (EmbeddedS3 s3 = EmbeddedS3.builder().dataDir(dir).start(); S3Client client = client(s3, s3.secretKey())) {
            port = s3.port();
            assertThat(s3.endpoint()).isEqualTo("http://127.0.0.1:" + port);
            client.createBucket(b -> b.bucket("archive"));
            client.putObject(p -> p.bucket("archive").key("2026/11/samples.avro"), RequestBody.fromString("rows"));
            assertThat(client.getObjectAsBytes(g -> g.bucket("archive").key("2026/11/samples.avro")).asUtf8String())
                    .isEqualTo("rows");
        }
        assertThat(dir.resolve("blobs").resolve("archive")).isDirectory();

        try (EmbeddedS3 s3 = EmbeddedS3.builder().dataDir(dir).port(port).start(); S3Client client = client(s3, s3.secretKey())) {
            assertThat(s3.port()).isEqualTo(port);
            assertThat(client.listBuckets().buckets()).extracting(b -> b.name()).containsExactly("archive");
            assertThat(client.getObjectAsBytes(g -> g.bucket("archive").key("2026/11/samples.avro")).asUtf8String())
                    .isEqualTo("rows");
        }
    }

    @Test
    void requestsSignedWithAWrongSecretAreRejected() {
        try (EmbeddedS3 s3 = EmbeddedS3.builder().dataDir(dataDir.resolve("s3-auth")).start();
             S3Client client = client(s3, "not-the-secret")) {
            assertThatThrownBy(client::listBuckets)
                    .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(403));
        }
    }

    private static S3Client client(EmbeddedS3 s3, String secretKey) {
        return S3Client.builder()
                .endpointOverride(URI.create(s3.endpoint()))
                .region(Region.of(s3.region()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(), secretKey)))
                .forcePathStyle(true)
                .build();
    }
}
