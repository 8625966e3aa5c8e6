package io.pganalytics.collector.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.Target;
import io.pganalytics.schemas.secret.SecretBox;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What the log shipper takes from logging threads, without Kafka: nothing is sent by a shipper not started. */
class LogShipperTest {

    private static final String KEY = SecretBox.generateKey("k1");

    private static LogShipper shipper() {
        CollectorConfig config = new CollectorConfig("c1", "127.0.0.1:1", "http://127.0.0.1:1", 1000, 1000,
                List.of(new Target("db1", "jdbc:postgresql://db1:5432/postgres", "monitor", "hunter2-pw", null, Map.of(), List.of())));
        return new LogShipper(config.withOperations(config.operations().withFleet("f", 15_000, KEY)), Map.of(), () -> 0L);
    }

    @Test
    void aBurstOverTheRateIsDroppedAndCountedNeverWaitedFor() {
        try (LogShipper shipper = shipper()) {
            for (int i = 0; i < LogShipper.BURST + 10; i++) {
                shipper.offer(System.currentTimeMillis(), "WARN", "x", "line " + i, "main");
            }
            assertThat(shipper.queued()).isEqualTo((int) LogShipper.BURST);
            assertThat(shipper.suppressed()).isEqualTo(10); // the clock stands still: no token comes back
        }
    }

    @Test
    void linesLoggedByTheShippersOwnKafkaProducerAreNotShipped() {
        try (LogShipper shipper = shipper()) {
            shipper.offer(System.currentTimeMillis(), "WARN", "org.apache.kafka.clients.NetworkClient", "connection refused",
                    "kafka-producer-network-thread | pga-collector-c1-logs");
            assertThat(shipper.queued()).isZero();
            assertThat(shipper.suppressed()).isZero();
            // Another producer's complaint (the spool's) is the collector's news and is shipped.
            shipper.offer(System.currentTimeMillis(), "WARN", "org.apache.kafka.clients.NetworkClient", "connection refused",
                    "kafka-producer-network-thread | pga-collector-c1");
            assertThat(shipper.queued()).isOne();
        }
    }

    @Test
    void everySecretTheCollectorKnowsIsReplacedBeforeALineLeaves() {
        try (LogShipper shipper = shipper()) {
            String base64Key = KEY.substring(KEY.indexOf(':') + 1);
            assertThat(shipper.redact("login failed with hunter2-pw for monitor")).isEqualTo("login failed with *** for monitor");
            assertThat(shipper.redact("keys " + KEY)).isEqualTo("keys ***");
            assertThat(shipper.redact("key " + base64Key)).isEqualTo("key ***");
            shipper.addSecret("pga_c_later-token");
            assertThat(shipper.redact("token pga_c_later-token")).isEqualTo("token ***");
        }
    }

    @Test
    void theTokenBucketRefillsAtItsRateUpToItsBurst() {
        AtomicLong nanos = new AtomicLong();
        TokenBucket bucket = new TokenBucket(10, 3, nanos::get);
        assertThat(bucket.tryTake()).isTrue();
        assertThat(bucket.tryTake()).isTrue();
        assertThat(bucket.tryTake()).isTrue();
        assertThat(bucket.tryTake()).isFalse();
        nanos.addAndGet(100_000_000L); // one token in 100 ms
        assertThat(bucket.tryTake()).isTrue();
        assertThat(bucket.tryTake()).isFalse();
        nanos.addAndGet(60_000_000_000L); // a long quiet: the burst, not more
        assertThat(bucket.tryTake()).isTrue();
        assertThat(bucket.tryTake()).isTrue();
        assertThat(bucket.tryTake()).isTrue();
        assertThat(bucket.tryTake()).isFalse();
    }
}
