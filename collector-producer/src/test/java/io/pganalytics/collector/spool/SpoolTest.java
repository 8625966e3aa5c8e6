package io.pganalytics.collector.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest {

    private static final long ONE_MIB = 1 << 20;

    @TempDir
    Path dir;

    private static SpoolRecord record(String family, String key, int i) {
        return new SpoolRecord(family, "pga.raw." + family, key, ("value-" + i).getBytes(StandardCharsets.UTF_8), 1000L + i);
    }

    private static SpoolRecord padded(String family, int i, int bytes) {
        byte[] value = new byte[bytes];
        value[0] = (byte) i;
        return new SpoolRecord(family, "pga.raw." + family, "c/t", value, i);
    }

    private static List<Spool.Spooled> drain(Spool spool) throws InterruptedException {
        List<Spool.Spooled> out = new ArrayList<>();
        for (Spool.Spooled next; (next = spool.next(0)) != null; ) {
            out.add(next);
        }
        return out;
    }

    private static List<String> values(List<Spool.Spooled> spooled) {
        return spooled.stream().map(s -> new String(s.record().value(), StandardCharsets.UTF_8)).toList();
    }

    private long segmentBytesOnDisk() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(Spool.SEGMENT_SUFFIX)).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    @Test
    void recordsAreReadBackInTheOrderTheyWereAppended() throws Exception {
        try (Spool spool = Spool.open(dir, ONE_MIB)) {
            spool.append(List.of(record("database", "c/a", 0), record("database", "c/b", 1)));
            spool.append(List.of(record("activity", "c/a", 2)));
            List<Spool.Spooled> read = drain(spool);
            assertThat(values(read)).containsExactly("value-0", "value-1", "value-2");
            assertThat(read).extracting(Spool.Spooled::sequence).containsExactly(0L, 1L, 2L);
            assertThat(read.get(2).record()).satisfies(r -> {
                assertThat(r.family()).isEqualTo("activity");
                assertThat(r.topic()).isEqualTo("pga.raw.activity");
                assertThat(r.key()).isEqualTo("c/a");
                assertThat(r.sampledAtMillis()).isEqualTo(1002L);
            });
            assertThat(spool.usage().pendingRecords()).isEqualTo(3);
        }
    }

    @Test
    void unacknowledgedRecordsAreReplayedInOrderAfterACleanReopenAndAcknowledgedOnesAreNot() throws Exception {
        try (Spool spool = Spool.open(dir, ONE_MIB)) {
            for (int i = 0; i < 10; i++) {
                spool.append(List.of(record("database", "c/a", i)));
            }
            drain(spool).stream().limit(4).forEach(s -> spool.settle(s.sequence()));
            spool.settle(6); // acknowledged out of order, e.g. another partition
        }
        try (Spool reopened = Spool.open(dir, ONE_MIB)) {
            assertThat(reopened.recovery()).isEqualTo(new Recovery(true, 5, 0));
            assertThat(values(drain(reopened))).containsExactly("value-4", "value-5", "value-7", "value-8", "value-9");
            reopened.append(List.of(record("database", "c/a", 10)));
            assertThat(drain(reopened)).extracting(Spool.Spooled::sequence).containsExactly(10L);
        }
    }

    @Test
    void rewindResendsOnlyWhatWasNotAcknowledgedInOrder() throws Exception {
        try (Spool spool = Spool.open(dir, ONE_MIB)) {
            for (int i = 0; i < 6; i++) {
                spool.append(List.of(record("database", "c/a", i)));
            }
            List<Spool.Spooled> sent = drain(spool);
            assertThat(sent).hasSize(6);
            spool.settle(0);
            spool.settle(3);
            spool.settle(4);
            assertThat(spool.failed(1, "database")).as("not dropped, so to be resent").isFalse();
            spool.rewind();
            assertThat(values(drain(spool))).containsExactly("value-1", "value-2", "value-5");
            assertThat(spool.usage().pendingRecords()).isEqualTo(3);
        }
    }

    @Test
    void aFullSpoolDropsTheOldestRecordsAndCountsExactlyPerFamily() throws Exception {
        Map<String, Long> told = new ConcurrentHashMap<>();
        int appended = 0;
        try (Spool spool = Spool.open(dir, ONE_MIB)) {
            spool.addDropListener((family, count) -> told.merge(family, count, Long::sum));
            for (; appended < 3000; appended++) {
                spool.append(List.of(padded(appended % 3 == 0 ? "statements" : "database", appended, 1000)));
                assertThat(segmentBytesOnDisk()).isLessThanOrEqualTo(ONE_MIB);
            }
            List<Spool.Spooled> left = drain(spool);
            Map<String, Long> dropped = spool.droppedByFamily();
            long keptStatements = left.stream().filter(s -> s.record().family().equals("statements")).count();
            long keptDatabase = left.size() - keptStatements;
            assertThat(dropped.get("statements")).isEqualTo(1000 - keptStatements);
            assertThat(dropped.get("database")).isEqualTo(2000 - keptDatabase);
            assertThat(told).isEqualTo(dropped);
            // What is left is the newest, without a hole.
            assertThat(left.get(left.size() - 1).sequence()).isEqualTo(2999);
            assertThat(left.get(0).sequence()).isEqualTo(3000 - left.size());
            assertThat(spool.usage().droppedRecords()).isEqualTo(3000 - left.size());
            assertThat(spool.usage().usedBytes()).isLessThanOrEqualTo(ONE_MIB).isEqualTo(segmentBytesOnDisk());
        }
    }

    @Test
    void aRecordInFlightWhenItsSegmentIsDroppedIsCountedOnlyIfItsSendFails() throws Exception {
        try (Spool spool = Spool.open(dir, ONE_MIB)) {
            spool.append(List.of(padded("database", 0, 1000), padded("statements", 1, 1000)));
            Spool.Spooled first = spool.next(0);
            Spool.Spooled second = spool.next(0);
            for (int i = 2; i < 2000; i++) {
                spool.append(List.of(padded("activity", i, 1000)));
            }
            long activityDropped = spool.droppedByFamily().get("activity");
            assertThat(spool.droppedByFamily()).doesNotContainKeys("database", "statements");
            spool.settle(first.sequence()); // Kafka took it after all
            assertThat(spool.failed(second.sequence(), "statements")).isTrue();
            assertThat(spool.droppedByFamily()).containsEntry("statements", 1L).doesNotContainKey("database")
                    .containsEntry("activity", activityDropped);
            List<Spool.Spooled> left = drain(spool);
            assertThat(activityDropped + left.size()).isEqualTo(1998);
        }
    }

    @Test
    void aRecordWhoseSendFailedIsCountedWhenItsSegmentIsDroppedBeforeTheResend() throws Exception {
        try (Spool spool = Spool.open(dir, ONE_MIB)) {
            spool.append(List.of(padded("statements", 0, 1000), padded("database", 1, 1000)));
            Spool.Spooled failed = spool.next(0);
            Spool.Spooled stillInFlight = spool.next(0);
            assertThat(spool.failed(failed.sequence(), "statements")).isFalse(); // Kafka away: to be resent
            for (int i = 2; i < 2000; i++) {
                spool.append(List.of(padded("activity", i, 1000)));
            }
            assertThat(spool.droppedByFamily()).containsEntry("statements", 1L).doesNotContainKey("database");
            spool.settle(stillInFlight.sequence());
            spool.rewind();
            List<Spool.Spooled> left = drain(spool);
            left.forEach(s -> spool.settle(s.sequence()));
            assertThat(spool.usage().pendingRecords()).as("nothing lost without being counted").isZero();
            assertThat(spool.usage().droppedRecords() + left.size() + 1).isEqualTo(2000);
        }
    }

    @Test
    void aSpoolAbandonedWithoutCloseIsReportedUncleanAndReplaysWhatWasNotCheckpointed() throws Exception {
        Spool crashed = Spool.open(dir, ONE_MIB);
        for (int i = 0; i < 5; i++) {
            crashed.append(List.of(record("database", "c/a", i)));
        }
        drain(crashed).forEach(s -> crashed.settle(s.sequence()));
        // No close: as after kill -9, the acknowledgements since the last checkpoint are lost.
        try (Spool reopened = Spool.open(dir, ONE_MIB)) {
            assertThat(reopened.recovery().previousShutdownClean()).isFalse();
            assertThat(reopened.recovery().recoveredRecords()).isEqualTo(5);
            assertThat(values(drain(reopened))).containsExactly("value-0", "value-1", "value-2", "value-3", "value-4");
        }
        try (Spool again = Spool.open(dir, ONE_MIB)) {
            assertThat(again.recovery().previousShutdownClean()).isTrue();
        }
    }

    @Test
    void aTornLastRecordAfterACrashIsCutOffAndTheRecordsBeforeItReplayed() throws Exception {
        Spool crashed = Spool.open(dir, ONE_MIB);
        for (int i = 0; i < 4; i++) {
            crashed.append(List.of(record("database", "c/a", i)));
        }
        Path segment = lastSegment();
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
            file.setLength(file.length() - 3); // the last write only half made it
        }
        try (Spool reopened = Spool.open(dir, ONE_MIB)) {
            assertThat(reopened.recovery().previousShutdownClean()).isFalse();
            assertThat(reopened.recovery().discardedBytes()).isPositive();
            assertThat(reopened.recovery().recoveredRecords()).isEqualTo(3);
            reopened.append(List.of(record("database", "c/a", 99)));
            List<Spool.Spooled> read = drain(reopened);
            assertThat(values(read)).containsExactly("value-0", "value-1", "value-2", "value-99");
            assertThat(read).extracting(Spool.Spooled::sequence).containsExactly(0L, 1L, 2L, 3L);
        }
    }

    @Test
    void aCorruptLastRecordIsDetectedByItsChecksumAndSkipped() throws Exception {
        Spool crashed = Spool.open(dir, ONE_MIB);
        for (int i = 0; i < 3; i++) {
            crashed.append(List.of(record("database", "c/a", i)));
        }
        Path segment = lastSegment();
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
            file.seek(file.length() - 2);
            file.write(0x7f ^ file.read());
        }
        try (Spool reopened = Spool.open(dir, ONE_MIB)) {
            assertThat(reopened.recovery().discardedBytes()).isPositive();
            assertThat(values(drain(reopened))).containsExactly("value-0", "value-1");
        }
    }

    @Test
    void recordsReadBackFromDiskAfterReopenAreIdenticalToWhatWasAppended() throws Exception {
        List<SpoolRecord> written = new ArrayList<>();
        try (Spool spool = Spool.open(dir, 4 * ONE_MIB)) {
            for (int i = 0; i < 2000; i++) {
                SpoolRecord r = new SpoolRecord(i % 2 == 0 ? "database" : "query-texts", "pga.raw.x", i % 7 == 0 ? null : "c/é" + i,
                        ("v" + i).repeat(1 + i % 50).getBytes(StandardCharsets.UTF_8), i * 10L);
                written.add(r);
                spool.append(List.of(r));
            }
        }
        try (Spool reopened = Spool.open(dir, 4 * ONE_MIB)) {
            List<Spool.Spooled> read = drain(reopened);
            assertThat(read).hasSize(2000);
            for (int i = 0; i < 2000; i++) {
                SpoolRecord expected = written.get(i);
                SpoolRecord actual = read.get(i).record();
                assertThat(actual.family()).isEqualTo(expected.family());
                assertThat(actual.key()).isEqualTo(expected.key());
                assertThat(actual.value()).isEqualTo(expected.value());
                assertThat(actual.sampledAtMillis()).isEqualTo(expected.sampledAtMillis());
            }
        }
    }

    @Test
    void acknowledgedSegmentsAreDeletedSoTheSpoolShrinksBack() throws Exception {
        try (Spool spool = Spool.open(dir, ONE_MIB)) {
            for (int i = 0; i < 500; i++) {
                spool.append(List.of(padded("database", i, 1000)));
            }
            long full = spool.usage().usedBytes();
            drain(spool).forEach(s -> spool.settle(s.sequence()));
            spool.close();
            assertThat(segmentBytesOnDisk()).isLessThan(full / 4);
        }
    }

    @Test
    void aReadBiggerThanASegmentIsKeptWholeAndOneBiggerThanHalfTheSpoolIsDroppedAndCounted() throws Exception {
        try (Spool spool = Spool.open(dir, ONE_MIB)) {
            List<SpoolRecord> firstStatementsCycle = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                firstStatementsCycle.add(padded("statements", i, 1000)); // ~300 KB: more than a 128 KiB segment
            }
            spool.append(firstStatementsCycle);
            assertThat(drain(spool)).hasSize(300);
            List<SpoolRecord> huge = new ArrayList<>();
            for (int i = 0; i < 600; i++) {
                huge.add(padded("statements", i, 1000));
            }
            spool.append(huge);
            assertThat(spool.droppedByFamily()).containsEntry("statements", 600L);
            assertThat(drain(spool)).isEmpty();
            assertThat(segmentBytesOnDisk()).isLessThanOrEqualTo(ONE_MIB);
        }
    }

    private Path lastSegment() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(Spool.SEGMENT_SUFFIX) && f.toFile().length() > 0).sorted()
                    .reduce((a, b) -> b).orElseThrow();
        }
    }
}
