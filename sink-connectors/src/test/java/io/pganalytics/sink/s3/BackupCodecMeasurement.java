package io.pganalytics.sink.s3;

import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.file.SeekableByteArrayInput;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Size and speed of one backup object of 10,000 database samples per Avro codec (docs/benchmarks.md). Not a test:
 * run its main with the module's test class path.
 */
public final class BackupCodecMeasurement {

    private static final int RECORDS = 10_000;
    private static final int ROUNDS = 15;

    private BackupCodecMeasurement() {
    }

    public static void main(String[] args) throws Exception {
        InMemorySchemaRegistry registry = InMemorySchemaRegistry.scope("codec-measurement");
        AvroSerializer<DatabaseSample> serializer = new AvroSerializer<>();
        serializer.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://codec-measurement"), false);
        List<PartitionBackup.Entry> entries = new ArrayList<>();
        long rawBytes = 0;
        for (int i = 0; i < RECORDS; i++) {
            DatabaseSample sample = BackupSamples.database("db-" + (i % 50), i / 50);
            byte[] bytes = serializer.serialize("pga.metrics.database", sample);
            rawBytes += bytes.length;
            entries.add(new PartitionBackup.Entry(i, sample.getSampledAt().toEpochMilli(), "collector-1/db-" + (i % 50),
                    1, registry.schemaById(1), bytes, 5));
        }
        System.out.printf("%d records, %d bytes of wire-format values (%.1f bytes per record)%n", RECORDS, rawBytes,
                rawBytes / (double) RECORDS);
        System.out.println("| codec | object bytes | bytes per record | write ms | read ms |");
        System.out.println("|---|---|---|---|---|");
        for (String codec : List.of("null", "deflate", "snappy", "zstandard")) {
            long bestWrite = Long.MAX_VALUE;
            long bestRead = Long.MAX_VALUE;
            byte[] content = null;
            for (int round = 0; round < ROUNDS; round++) {
                long start = System.nanoTime();
                PartitionBackup backup = new PartitionBackup(new TopicPartition("pga.metrics.database", 0), "",
                        RECORDS + 1, Long.MAX_VALUE / 4, CodecFactory.fromString(codec));
                entries.forEach(backup::add);
                backup.add(new PartitionBackup.Entry(RECORDS, Long.MAX_VALUE / 2, null, 1, registry.schemaById(1),
                        entries.get(0).payload(), 5));
                content = backup.finished().peekFirst().content();
                bestWrite = Math.min(bestWrite, System.nanoTime() - start);
                start = System.nanoTime();
                int read = 0;
                try (DataFileReader<GenericRecord> reader = new DataFileReader<>(new SeekableByteArrayInput(content),
                        new GenericDatumReader<>())) {
                    for (GenericRecord record : reader) {
                        read += record == null ? 0 : 1;
                    }
                }
                if (read != RECORDS) {
                    throw new IllegalStateException("read " + read);
                }
                bestRead = Math.min(bestRead, System.nanoTime() - start);
            }
            System.out.printf("| %s | %d | %.1f | %.1f | %.1f |%n", codec, content.length, content.length / (double) RECORDS,
                    bestWrite / 1e6, bestRead / 1e6);
        }
    }
}
