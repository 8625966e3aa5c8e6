package io.pganalytics.streams.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.Quota;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.streams.DatabaseSamples;
import io.pganalytics.streams.ingest.delta.CounterDeltas;
import io.pganalytics.streams.validation.DeadLetterHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class IngestTopologyTest {

    private static final Instant T0 = DatabaseSamples.START;

    private IngestDriver ingest;

    private IngestDriver start(IngestConfig config) {
        ingest = new IngestDriver("ingest-topology-test", config);
        return ingest;
    }

    private IngestDriver start() {
        return start(IngestConfig.defaults());
    }

    @AfterEach
    void stop() {
        if (ingest != null) {
            ingest.close();
        }
    }

    private static DatabaseSample.Builder sample(Instant at, long xactCommit) {
        return DatabaseSamples.at("c1", "t1", at).setXactCommit(xactCommit);
    }

    // --- counter deltas and rates --------------------------------------------------------------

    @Test
    void firstSampleOfASeriesCarriesItsRawValuesAndNoRate() {
        start().raw.pipeInput("c1/t1", sample(T0, 100).build());

        GenericRecord first = ingest.metrics.readValue();
        assertThat(first.getSchema().getName()).isEqualTo("DatabaseMetrics");
        assertThat(first.get("xactCommit")).isEqualTo(100L);
        assertThat(first.get("sampledAt")).isEqualTo(T0.toEpochMilli() * 1000);
        assertThat(first.get("xactCommitDelta")).isNull();
        assertThat(first.get("xactCommitPerSec")).isNull();
        assertThat(first.get("intervalSeconds")).isNull();
        assertThat(first.get("baseline").toString()).isEqualTo(CounterDeltas.FIRST);
    }

    @Test
    void nextSampleGetsDeltaAndPerSecondRateBySampledAt() {
        start().raw.pipeInput("c1/t1", sample(T0, 100).setBlkReadTimeMs(1.5).build());
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(10), 160).setBlkReadTimeMs(4.0).build());

        GenericRecord second = ingest.metrics.readValuesToList().get(1);
        assertThat(second.get("intervalSeconds")).isEqualTo(10.0);
        assertThat(second.get("xactCommitDelta")).isEqualTo(60L);
        assertThat(second.get("xactCommitPerSec")).isEqualTo(6.0);
        assertThat(second.get("blkReadTimeMsDelta")).isEqualTo(2.5);
        assertThat(second.get("blkReadTimeMsPerSec")).isEqualTo(0.25);
        assertThat(second.get("xactRollbackDelta")).isEqualTo(0L);
        assertThat(second.get("baseline")).isNull();
    }

    @Test
    void counterResetStartsNewBaselineWithoutNegativeRate() {
        start().raw.pipeInput("c1/t1", sample(T0, 100).build());
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(10), 7).build());   // crash restart: counters from zero
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(20), 17).build());

        List<GenericRecord> out = ingest.metrics.readValuesToList();
        assertThat(out.get(1).get("baseline").toString()).isEqualTo(CounterDeltas.COUNTER_DECREASED);
        assertThat(out.get(1).get("xactCommitDelta")).isNull();
        assertThat(out.get(1).get("xactCommitPerSec")).isNull();
        assertThat(out.get(1).get("blksHitDelta")).isNull();
        assertThat(out.get(2).get("xactCommitDelta")).isEqualTo(10L);
        assertThat(out.get(2).get("xactCommitPerSec")).isEqualTo(1.0);
    }

    @Test
    void newStatsResetStartsNewBaselineEvenWhenCountersGrew() {
        start().raw.pipeInput("c1/t1", sample(T0, 100).build());
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(10), 500).setStatsReset(T0.plusSeconds(5)).build());
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(20), 520).setStatsReset(T0.plusSeconds(5)).build());

        List<GenericRecord> out = ingest.metrics.readValuesToList();
        assertThat(out.get(1).get("baseline").toString()).isEqualTo(CounterDeltas.RESET_CHANGED);
        assertThat(out.get(1).get("xactCommitDelta")).isNull();
        assertThat(out.get(2).get("xactCommitDelta")).isEqualTo(20L);
        assertThat(out.get(2).get("baseline")).isNull();
    }

    @Test
    void outOfOrderSampleIsForwardedMarkedWithoutRateAndKeepsTheBaseline() {
        start().raw.pipeInput("c1/t1", sample(T0, 100).build());
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(20), 300).build());
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(10), 200).build());   // late
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(20), 300).build());   // repeated
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(30), 330).build());

        List<GenericRecord> out = ingest.metrics.readValuesToList();
        assertThat(out).hasSize(5);
        assertThat(out.get(2).get("baseline").toString()).isEqualTo(CounterDeltas.OUT_OF_ORDER);
        assertThat(out.get(2).get("xactCommit")).isEqualTo(200L);
        assertThat(out.get(2).get("xactCommitDelta")).isNull();
        assertThat(out.get(2).get("intervalSeconds")).isNull();
        assertThat(out.get(3).get("baseline").toString()).isEqualTo(CounterDeltas.OUT_OF_ORDER);
        assertThat(out.get(4).get("xactCommitDelta")).as("compared with the t+20 s baseline").isEqualTo(30L);
        assertThat(out.get(4).get("intervalSeconds")).isEqualTo(10.0);
    }

    @Test
    void nullableCounterAbsentOnEitherSideHasNullDelta() {
        start().raw.pipeInput("c1/t1", sample(T0, 100).setSessions(null).setActiveTimeMs(5.0).build());
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(10), 110).setSessions(4L).setActiveTimeMs(null).build());
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(20), 120).setSessions(6L).setActiveTimeMs(null).build());

        List<GenericRecord> out = ingest.metrics.readValuesToList();
        assertThat(out.get(1).get("sessionsDelta")).isNull();
        assertThat(out.get(1).get("activeTimeMsDelta")).isNull();
        assertThat(out.get(1).get("xactCommitDelta")).isEqualTo(10L);
        assertThat(out.get(2).get("sessionsDelta")).isEqualTo(2L);
        assertThat(out.get(2).get("sessionsPerSec")).isEqualTo(0.2);
    }

    @Test
    void seriesAreKeptApartByTargetAndSeriesFields() {
        start().raw.pipeInput("c1/t1", sample(T0, 100).setDatid(5).build());
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(1), 900).setDatid(6).build());
        ingest.raw.pipeInput("c1/t2", DatabaseSamples.at("c1", "t2", T0.plusSeconds(2)).setXactCommit(50).build());
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(10), 105).setDatid(5).build());

        List<GenericRecord> out = ingest.metrics.readValuesToList();
        assertThat(out).extracting(r -> r.get("baseline") == null ? null : r.get("baseline").toString())
                .containsExactly(CounterDeltas.FIRST, CounterDeltas.FIRST, CounterDeltas.FIRST, null);
        assertThat(out.get(3).get("xactCommitDelta")).isEqualTo(5L);
    }

    @Test
    void firstStatsResetAfterNoneStartsNewBaseline() {
        start().raw.pipeInput("c1/t1", sample(T0, 100).setStatsReset(null).build());
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(10), 3).setStatsReset(T0.plusSeconds(9)).build());

        assertThat(ingest.metrics.readValuesToList().get(1).get("baseline").toString()).isEqualTo(CounterDeltas.RESET_CHANGED);
    }

    @Test
    void sampleWrittenWithAnOlderSchemaIsReadWithTheCurrentOneAndLacksOnlyTheNewCounters() {
        Schema current = DatabaseSample.getClassSchema();
        List<Schema.Field> older = current.getFields().stream()
                .filter(f -> !f.name().startsWith("parallelWorkers"))
                .map(f -> new Schema.Field(f, f.schema())).toList();
        Schema v0 = Schema.createRecord(current.getName(), null, current.getNamespace(), false, older);
        AvroSerializer<GenericRecord> writer = new AvroSerializer<>();
        writer.configure(start().serde, false);
        GenericData.Record old = new GenericData.Record(v0);
        DatabaseSample sample = sample(T0, 100).build();
        for (Schema.Field field : older) {
            Object value = sample.get(field.name());
            old.put(field.name(), value instanceof Instant i ? i.toEpochMilli() * 1000 : value);
        }
        ingest.rawBytes.pipeInput("c1/t1", writer.serialize(Topics.RAW_DATABASE, old));

        GenericRecord metrics = ingest.metrics.readValue();
        assertThat(metrics.get("xactCommit")).isEqualTo(100L);
        assertThat(metrics.get("parallelWorkersLaunched")).isNull();
        assertThat(ingest.dlq.isEmpty()).isTrue();
    }

    @Test
    void seriesIdleLongerThanTheTimeoutIsForgottenAndStartsAgain() {
        start(new IngestConfig(false, Duration.ofMinutes(5), 5000, Duration.ofSeconds(10), 1, Duration.ofSeconds(60),
                Duration.ofSeconds(60)));
        long t = T0.toEpochMilli();
        ingest.raw.pipeInput("c1/t1", sample(T0, 100).setDatid(1).build(), t);
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(10), 110).setDatid(2).build(), t + 10_000);    // over 1 series
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(120), 120).setDatid(2).build(), t + 120_000);  // stream time moves on
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(121), 121).setDatid(2).build(), t + 121_000);  // datid 1 forgotten
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(122), 130).setDatid(1).build(), t + 122_000);  // datid 2 holds the quota

        assertThat(ingest.metrics.readValuesToList()).extracting(r -> r.get("datid") + ":" + r.get("baseline"))
                .containsExactly("1:first", "2:first");
        assertThat(ingest.dlq.readRecordsToList()).hasSize(3);
    }

    @Test
    void forgottenSeriesStartsANewBaseline() {
        start(new IngestConfig(false, Duration.ofMinutes(5), 5000, Duration.ofSeconds(10), 1000, Duration.ofSeconds(60),
                Duration.ofSeconds(60)));
        long t = T0.toEpochMilli();
        ingest.raw.pipeInput("c1/t1", sample(T0, 100).setDatid(1).build(), t);
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(120), 5).setDatid(2).build(), t + 120_000);
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(121), 150).setDatid(1).build(), t + 121_000);

        assertThat(ingest.metrics.readValuesToList()).extracting(r -> r.get("datid") + ":" + r.get("baseline"))
                .containsExactly("1:first", "2:first", "1:first");
    }

    // --- checks and dead letters ---------------------------------------------------------------

    @Test
    void malformedBytesGoToTheDeadLetterTopicWithReasonAndSource() {
        byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);
        start().rawBytes.pipeInput("c1/t1", garbage);
        ingest.raw.pipeInput("c1/t1", sample(T0, 1).build());

        TestRecord<String, byte[]> rejected = ingest.dlq.readRecord();
        assertThat(rejected.key()).isEqualTo("c1/t1");
        assertThat(rejected.value()).isEqualTo(garbage);
        assertThat(header(rejected, DeadLetterHeaders.CHECK)).isEqualTo("undecodable");
        assertThat(header(rejected, DeadLetterHeaders.REASON)).contains("magic byte");
        assertThat(header(rejected, DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(Topics.RAW_DATABASE);
        assertThat(header(rejected, DeadLetterHeaders.SOURCE_PARTITION)).isEqualTo("0");
        assertThat(header(rejected, DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo("0");
        assertThat(header(rejected, DeadLetterHeaders.PROCESSOR)).isEqualTo(IngestTopology.APPLICATION_ID);
        assertThat(ingest.metrics.readValuesToList()).hasSize(1);
        assertThat(ingest.deadLetters("undecodable")).isEqualTo(1.0);
    }

    @Test
    void unknownSchemaIdIsDeadLetteredNotRetried() {
        start().rawBytes.pipeInput("c1/t1", new byte[] {0, 0, 0, 0, 99, 2, 4});
        assertThat(header(ingest.dlq.readRecord(), DeadLetterHeaders.REASON)).contains("schema id 99");
    }

    @Test
    void negativeCounterIsRejectedNamingTheField() {
        start().raw.pipeInput("c1/t1", sample(T0, 1).setBlksHit(-1).build());
        TestRecord<String, byte[]> rejected = ingest.dlq.readRecord();
        assertThat(header(rejected, DeadLetterHeaders.CHECK)).isEqualTo("negative-counter");
        assertThat(header(rejected, DeadLetterHeaders.REASON)).isEqualTo("blksHit is -1");
        assertThat(ingest.metrics.isEmpty()).isTrue();
    }

    @Test
    void keyThatDoesNotMatchTheSampleIsRejected() {
        start().raw.pipeInput("c2/t1", sample(T0, 1).build());
        assertThat(header(ingest.dlq.readRecord(), DeadLetterHeaders.CHECK)).isEqualTo("key-mismatch");
        assertThat(ingest.metrics.isEmpty()).isTrue();
    }

    @Test
    void sampleMoreThanFiveMinutesAheadOfTheProcessorClockIsRejected() {
        start().raw.pipeInput("c1/t1", sample(IngestDriver.WALL_CLOCK.plus(Duration.ofMinutes(5)).plusSeconds(1), 1).build());
        ingest.raw.pipeInput("c1/t1", sample(IngestDriver.WALL_CLOCK.plus(Duration.ofMinutes(5)), 2).build());

        TestRecord<String, byte[]> rejected = ingest.dlq.readRecord();
        assertThat(header(rejected, DeadLetterHeaders.CHECK)).isEqualTo("future-timestamp");
        assertThat(header(rejected, DeadLetterHeaders.REASON)).contains("more than 300 s after the processor's clock");
        assertThat(ingest.dlq.isEmpty()).isTrue();
        assertThat(ingest.metrics.readValuesToList()).hasSize(1);
    }

    @Test
    void fieldsOutOfRangeAreRejected() {
        start().raw.pipeInput("c1/t1", sample(T0, 1).setBlkWriteTimeMs(Double.NaN).build());
        ingest.raw.pipeInput("c1/t1", sample(T0, 1).setDatid(-3).build());
        ingest.raw.pipeInput("c1/t1", sample(T0, 1).setServerVersionNum(42).build());
        ingest.raw.pipeInput("c1/t1", sample(T0, 1).setStatsReset(T0.plusSeconds(1)).build());

        assertThat(ingest.dlq.readRecordsToList()).extracting(r -> header(r, DeadLetterHeaders.CHECK))
                .containsExactly("out-of-range", "invalid-datid", "invalid-version", "reset-after-sample");
        assertThat(ingest.metrics.isEmpty()).isTrue();
    }

    @Test
    void unknownTargetIsRejectedWhenTargetsMustBeKnown() {
        start(IngestConfig.defaults().withRequireKnownTargets(true));
        ingest.raw.pipeInput("c1/t1", sample(T0, 1).build());
        ingest.targets.pipeInput("t1", "{}".getBytes(StandardCharsets.UTF_8));
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(10), 2).build());
        ingest.targets.pipeInput("t1", (byte[]) null);
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(20), 3).build());

        assertThat(ingest.dlq.readRecordsToList()).extracting(r -> header(r, DeadLetterHeaders.CHECK))
                .containsExactly("unknown-target", "unknown-target");
        assertThat(ingest.metrics.readValuesToList()).extracting(r -> r.get("xactCommit")).containsExactly(2L);
    }

    @Test
    void targetsNeedNotBeKnownByDefault() {
        start().raw.pipeInput("c1/t-never-declared", DatabaseSamples.at("c1", "t-never-declared", T0).build());
        assertThat(ingest.metrics.readValuesToList()).hasSize(1);
    }

    // --- quotas --------------------------------------------------------------------------------

    @Test
    void recordsOverTheRateQuotaAreDivertedCountedAndReportedOncePerInterval() {
        start(IngestConfig.defaults().withQuotas(2, Duration.ofSeconds(1), 1000));
        long t = T0.toEpochMilli();
        for (int i = 0; i < 5; i++) {   // five records in one second: two pass
            ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(i), i).setDatid(i).build(), t + i * 10);
        }
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(9), 9).build(), t + 1000);   // next window: passes

        assertThat(ingest.metrics.readValuesToList()).hasSize(3);
        List<TestRecord<String, byte[]>> rejected = ingest.dlq.readRecordsToList();
        assertThat(rejected).hasSize(3).allSatisfy(r -> assertThat(header(r, DeadLetterHeaders.CHECK)).isEqualTo("quota"));
        assertThat(header(rejected.get(0), DeadLetterHeaders.REASON)).contains("collector c1", "2 database records/s");
        assertThat(ingest.deadLetters("quota")).isEqualTo(3.0);
        assertThat(ingest.events.isEmpty()).as("reported by the punctuator, not per record").isTrue();

        ingest.driver.advanceWallClockTime(Duration.ofSeconds(60));
        FleetEvent event = ingest.events.readValue();
        assertThat(event.getKind()).isEqualTo("throttled");
        assertThat(event.getCollectorId()).isEqualTo("c1");
        assertThat(event.getFamily()).isEqualTo("database");
        assertThat(event.getExcessRecords()).isEqualTo(3L);
        assertThat(event.getExcessSeries()).isEqualTo(0L);
        assertThat(ingest.events.isEmpty()).isTrue();

        ingest.driver.advanceWallClockTime(Duration.ofSeconds(60));
        assertThat(ingest.events.isEmpty()).as("nothing new to report").isTrue();
    }

    @Test
    void newSeriesOverTheSeriesQuotaAreDivertedWhileKnownSeriesPass() {
        start(IngestConfig.defaults().withQuotas(1000, Duration.ofSeconds(10), 2));
        ingest.raw.pipeInput("c1/t1", sample(T0, 1).setDatid(1).build());
        ingest.raw.pipeInput("c1/t1", sample(T0, 1).setDatid(2).build());
        ingest.raw.pipeInput("c1/t1", sample(T0, 1).setDatid(3).build());
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(10), 2).setDatid(1).build());

        assertThat(ingest.metrics.readValuesToList()).extracting(r -> r.get("datid")).containsExactly(1L, 2L, 1L);
        TestRecord<String, byte[]> rejected = ingest.dlq.readRecord();
        assertThat(header(rejected, DeadLetterHeaders.CHECK)).isEqualTo("quota");
        assertThat(header(rejected, DeadLetterHeaders.REASON)).contains("2 active database series");

        ingest.driver.advanceWallClockTime(Duration.ofSeconds(60));
        assertThat(ingest.events.readValue().getExcessSeries()).isEqualTo(1L);
    }

    @Test
    void overrideInQuotasTopicReplacesTheDefaultsAndSetsTheBrokerByteRate() {
        start(IngestConfig.defaults().withQuotas(1, Duration.ofSeconds(1), 1000));
        ingest.quotas.pipeInput("c1", Quota.newBuilder().setCollectorId("c1").setRecordsPerSecond(3L).setProducerByteRate(4096L).build());
        long t = T0.toEpochMilli();
        for (int i = 0; i < 4; i++) {
            ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(i), i).build(), t + i);
        }
        ingest.raw.pipeInput("c2/t9", DatabaseSamples.at("c2", "t9", T0).build(), t);
        ingest.raw.pipeInput("c2/t9", DatabaseSamples.at("c2", "t9", T0.plusSeconds(1)).build(), t + 1);

        assertThat(ingest.metrics.readValuesToList()).extracting(r -> r.get("collectorId").toString())
                .containsExactly("c1", "c1", "c1", "c2");
        assertThat(ingest.dlq.readRecordsToList()).extracting(TestRecord::key).containsExactly("c1/t1", "c2/t9");
        assertThat(ingest.brokerQuotaCalls).containsExactly(entry("c1", 4096L));

        ingest.quotas.pipeInput("c1", (Quota) null);
        assertThat(ingest.brokerQuotaCalls).containsExactly(entry("c1", 4096L), entry("c1", null));
    }

    @Test
    void undecodableQuotaOverrideIsIgnoredAndTheDefaultsApply() {
        start(IngestConfig.defaults().withQuotas(1, Duration.ofSeconds(1), 1000));
        ingest.driver.createInputTopic(Topics.QUOTAS, Serdes.String().serializer(),
                Serdes.ByteArray().serializer()).pipeInput("c1", new byte[] {1, 2, 3});
        long t = T0.toEpochMilli();
        ingest.raw.pipeInput("c1/t1", sample(T0, 1).build(), t);
        ingest.raw.pipeInput("c1/t1", sample(T0.plusSeconds(1), 2).build(), t + 1);

        assertThat(ingest.metrics.readValuesToList()).hasSize(1);
        assertThat(ingest.dlq.readRecordsToList()).hasSize(1);
        assertThat(ingest.brokerQuotaCalls).isEmpty();
    }

    @Test
    void topologyHasOneNamedSubTopologyPerFamilyBesidesTheGlobalStore() {
        String description = IngestTopology.build(ingest().serde, IngestConfig.defaults(), () -> (c, r) -> { }).describe().toString();
        assertThat(description).contains("raw-database", "database-decode-and-check", "database-quota-gate",
                "database-counter-deltas", "database-counter-baselines", "database-to-metrics", "database-to-dlq",
                "quota-overrides");
    }

    private IngestDriver ingest() {
        return ingest == null ? start() : ingest;
    }

    private static String header(TestRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        assertThat(header).as("header %s", name).isNotNull();
        return new String(header.value(), StandardCharsets.UTF_8);
    }
}
