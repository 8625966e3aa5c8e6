package io.pganalytics.bench;

import io.pganalytics.collector.spool.Spool;
import io.pganalytics.collector.spool.SpoolRecord;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * CPU the collector's spool adds per record: appending a target-cycle's batch (serialized records,
 * one write into the page cache) and the shipper's side (take the next record, settle it when
 * acknowledged), both from memory as in steady state, and the replay after a restart, read back from
 * the segment files. Kafka's own producer cost is not in it: it is paid with or without a spool.
 *
 * <p>Run with {@code bench/run-spool [records] [recordBytes] [batch]}; thread CPU time, not wall time.
 */
public final class SpoolBenchmark {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private SpoolBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int recordBytes = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        Path dir = Files.createTempDirectory("spool-bench");
        try {
            List<SpoolRecord> cycle = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                byte[] value = new byte[recordBytes];
                value[0] = (byte) i;
                cycle.add(new SpoolRecord("database", "pga.raw.database", "collector-1/target-" + i, value, i));
            }
            for (int round = 1; round <= 3; round++) {
                try (Spool spool = Spool.open(dir.resolve("round-" + round), 1L << 30)) {
                    long appendNanos = 0;
                    long shipNanos = 0;
                    for (int done = 0; done < records; done += batch) {
                        long t0 = THREADS.getCurrentThreadCpuTime();
                        spool.append(cycle);
                        long t1 = THREADS.getCurrentThreadCpuTime();
                        for (int i = 0; i < batch; i++) {
                            spool.settle(spool.next(0).sequence());
                        }
                        long t2 = THREADS.getCurrentThreadCpuTime();
                        appendNanos += t1 - t0;
                        shipNanos += t2 - t1;
                    }
                    System.out.printf("round %d: %,d records of %d bytes in batches of %d: append %.2f µs/record, ship (next+settle) %.2f µs/record,"
                                    + " %.3f ms per %d-record target-cycle%n", round, records, recordBytes, batch,
                            appendNanos / 1e3 / records, shipNanos / 1e3 / records, (appendNanos + shipNanos) / 1e6 / records * batch, batch);
                }
            }
            Path replay = dir.resolve("replay");
            int backlog = Math.min(records, 500_000);
            try (Spool spool = Spool.open(replay, 1L << 30)) {
                for (int done = 0; done < backlog; done += batch) {
                    spool.append(cycle);
                }
            }
            try (Spool spool = Spool.open(replay, 1L << 30)) {
                long t0 = THREADS.getCurrentThreadCpuTime();
                int read = 0;
                for (Spool.Spooled next; (next = spool.next(0)) != null; read++) {
                    spool.settle(next.sequence());
                }
                long t1 = THREADS.getCurrentThreadCpuTime();
                System.out.printf("replay after restart: %,d records read back from disk: %.2f µs/record%n", read, (t1 - t0) / 1e3 / read);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
