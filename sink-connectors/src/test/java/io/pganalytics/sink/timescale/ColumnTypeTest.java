package io.pganalytics.sink.timescale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.Test;

class ColumnTypeTest {

    private static final Schema MICROS = SchemaBuilder.int64().parameter("avro.logicalType", "timestamp-micros").build();

    @Test
    void connectTypesMapToTheDocumentedColumnTypes() {
        assertThat(ColumnType.of("f", MICROS)).isEqualTo(ColumnType.TIMESTAMPTZ);
        assertThat(ColumnType.of("f", Timestamp.SCHEMA)).isEqualTo(ColumnType.TIMESTAMPTZ);
        assertThat(ColumnType.of("f", Schema.INT16_SCHEMA)).isEqualTo(ColumnType.SMALLINT);
        assertThat(ColumnType.of("f", Schema.OPTIONAL_FLOAT64_SCHEMA)).isEqualTo(ColumnType.DOUBLE_PRECISION);
        assertThat(ColumnType.of("f", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).build()))
                .isEqualTo(ColumnType.JSONB);
        assertThatThrownBy(() -> ColumnType.of("r.f", SchemaBuilder.int64().parameter("avro.logicalType",
                "local-timestamp-micros").build()))
                .hasMessage("r.f: no PostgreSQL column type for Connect INT64 (local-timestamp-micros)");
        assertThatThrownBy(() -> ColumnType.of("r.f", SchemaBuilder.array(Schema.INT32_SCHEMA).build()))
                .hasMessage("r.f: no PostgreSQL column type for Connect ARRAY");
    }

    @Test
    void textWithANulCharacterIsRefusedBeforeItCanFailACopy() {
        assertThatThrownBy(() -> ColumnType.TEXT.toStoreValue("datname", Schema.STRING_SCHEMA, "a\u0000b"))
                .isInstanceOf(DataException.class)
                .hasMessage("datname: text contains a NUL character, which PostgreSQL text cannot hold");
    }

    @Test
    void timestampsBefore4713BcAreRefused() {
        assertThat(ColumnType.TIMESTAMPTZ.toStoreValue("t", MICROS, ColumnType.MIN_TIMESTAMPTZ_MICROS))
                .isEqualTo(ColumnType.MIN_TIMESTAMPTZ_MICROS);
        assertThatThrownBy(() -> ColumnType.TIMESTAMPTZ.toStoreValue("t", MICROS, Long.MIN_VALUE))
                .isInstanceOf(DataException.class).hasMessageContaining("before 4713 BC");
    }

    @Test
    void seriesLabelsBecomeJsonWithSortedKeysAndEscapedValues() {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("relname", "a\"b");
        labels.put("datid", "5");
        assertThat(ColumnType.JSONB.toStoreValue("series", null, labels)).isEqualTo("{\"datid\":\"5\",\"relname\":\"a\\\"b\"}");
    }

    @Test
    void binaryTimestampsCountMicrosecondsFromPostgresqlsEpoch() {
        CopyBuffer buffer = new CopyBuffer(16);
        ColumnType.TIMESTAMPTZ.writeBinary(buffer, 946_684_800_000_001L); // 2000-01-01T00:00:00.000001Z

        assertThat(java.util.Arrays.copyOf(buffer.array(), buffer.size()))
                .containsExactly(0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1);
    }
}
