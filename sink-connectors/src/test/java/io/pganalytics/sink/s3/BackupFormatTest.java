package io.pganalytics.sink.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class BackupFormatTest {

    @Test
    void anObjectIsNamedByTopicPartitionStartOffsetAndTheUtcHourOfItsFirstRecord() {
        long first = Instant.parse("2026-11-22T23:59:59.999Z").toEpochMilli();
        assertThat(BackupFormat.objectKey("prod", "pga.metrics.database", 3, 18200, first))
                .isEqualTo("prod/pga.metrics.database/dt=2026-11-22/hour=23/pga.metrics.database+3+18200.avro");
        assertThat(BackupFormat.objectKey("", "pga.raw.database", 0, 0, first))
                .isEqualTo("pga.raw.database/dt=2026-11-22/hour=23/pga.raw.database+0+0.avro");
    }

    @Test
    void aKeyIsReadBackIntoItsTopicPartitionAndStartOffset() {
        assertThat(BackupFormat.parse("a/b/pga.metrics.database/dt=2026-11-22/hour=10/pga.metrics.database+3+18200.avro"))
                .contains(new BackupFormat.ObjectName(
                        "a/b/pga.metrics.database/dt=2026-11-22/hour=10/pga.metrics.database+3+18200.avro",
                        "pga.metrics.database", 3, 18200));
    }

    @Test
    void keysOfOtherShapesAreNotBackupObjects() {
        assertThat(BackupFormat.parse("prod/pga.metrics.database/notes.txt")).isEmpty();
        assertThat(BackupFormat.parse("prod/pga.metrics.database/dt=2026-11-22/hour=10/pga.raw.database+0+1.avro")).isEmpty();
        assertThat(BackupFormat.parse("prod/t/dt=2026-11-22/hour=10/t+x+1.avro")).isEmpty();
    }
}
