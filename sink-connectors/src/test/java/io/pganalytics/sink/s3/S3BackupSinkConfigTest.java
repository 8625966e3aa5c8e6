package io.pganalytics.sink.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.sink.connect.ConnectFields;
import io.pganalytics.sink.s3.restore.RestoreConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class S3BackupSinkConfigTest {

    private static final Map<String, String> MINIMAL = Map.of(S3BackupSinkConfig.BUCKET, "pganalytics-backup",
            S3BackupSinkConfig.SCHEMA_REGISTRY_URL, "http://registry:8081");

    @Test
    void defaultsAreTheDocumentedOnes() {
        S3BackupSinkConfig config = S3BackupSinkConfig.from(MINIMAL);
        assertThat(config.prefix()).isEmpty();
        assertThat(config.flushSize()).isEqualTo(10_000);
        assertThat(config.rotateIntervalMs()).isEqualTo(600_000);
        assertThat(config.codec()).isEqualTo("zstandard");
        assertThat(config.connection()).isEqualTo(new S3Connection(null, "us-east-1", false, null, null));
        assertThat(config.location()).isEqualTo("s3://pganalytics-backup");
    }

    @Test
    void thePrefixLosesItsSlashes() {
        assertThat(S3BackupSinkConfig.from(with(S3BackupSinkConfig.PREFIX, "/backups/prod/")).location())
                .isEqualTo("s3://pganalytics-backup/backups/prod");
    }

    @Test
    void badValuesAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> S3BackupSinkConfig.from(with(S3BackupSinkConfig.BUCKET, "Not_A_Bucket")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("s3.bucket.name: expected an S3 bucket name");
        assertThatThrownBy(() -> S3BackupSinkConfig.from(with(S3BackupSinkConfig.ROTATE_INTERVAL_MS, "10")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("rotate.interval.ms");
        assertThatThrownBy(() -> S3BackupSinkConfig.from(with(S3BackupSinkConfig.AVRO_CODEC, "gzip")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("avro.codec");
        assertThatThrownBy(() -> S3BackupSinkConfig.from(with(S3Connection.ENDPOINT, "minio:9000")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("s3.endpoint: expected http(s)://host[:port]");
        assertThatThrownBy(() -> S3BackupSinkConfig.from(with(S3BackupSinkConfig.SCHEMA_REGISTRY_URL, "registry:8081")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("schema.registry.url: expected");
    }

    @Test
    void aKeyIdWithoutItsSecretIsRefusedAndTheSecretIsNeverPrinted() {
        assertThatThrownBy(() -> S3BackupSinkConfig.from(with(S3Connection.ACCESS_KEY_ID, "AKIA")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("aws.secret.access.key: required when aws.access.key.id is set");
        Map<String, String> both = new HashMap<>(with(S3Connection.ACCESS_KEY_ID, "AKIA"));
        both.put(S3Connection.SECRET_ACCESS_KEY, "very-secret-value");
        S3BackupSinkConfig config = S3BackupSinkConfig.from(both);
        assertThat(config.connection().secretAccessKey().value()).isEqualTo("very-secret-value");
        assertThat(config.toString()).contains("AKIA").doesNotContain("very-secret-value").contains("[hidden]");
    }

    /** docs/backup-restore.md is for users; it must list every key of the sink and of restore with its real default. */
    @Test
    void theUserDocumentationListsEveryKeyWithItsDefault() throws IOException {
        String doc = Files.readString(Path.of("..", "docs", "backup-restore.md"), StandardCharsets.UTF_8);
        assertDocumented(doc, S3BackupSinkConfig.CONFIG_DEF);
        assertDocumented(doc, ConnectFields.configDef(RestoreConfig.FIELDS));
    }

    private static void assertDocumented(String doc, ConfigDef def) {
        for (ConfigDef.ConfigKey key : def.configKeys().values()) {
            Matcher row = Pattern.compile("\\| `" + Pattern.quote(key.name) + "` \\| ([^|]*) \\|").matcher(doc);
            assertThat(row.find()).as("a row for %s", key.name).isTrue();
            String documented = row.group(1).trim();
            if (!key.hasDefault()) {
                assertThat(documented).as(key.name).isEqualTo("required");
            } else if (key.defaultValue == null) {
                assertThat(documented).as(key.name).startsWith("(none");
            } else if (key.defaultValue.toString().isEmpty()) {
                assertThat(documented).as(key.name).isEqualTo("(empty)");
            } else {
                assertThat(documented).as(key.name).isEqualTo(key.defaultValue.toString());
            }
        }
    }

    private static Map<String, String> with(String key, String value) {
        Map<String, String> props = new HashMap<>(MINIMAL);
        props.put(key, value);
        return props;
    }
}
