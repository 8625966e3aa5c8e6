package io.pganalytics.collector.produce;

import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.family.Collected;
import io.pganalytics.collector.spool.DropListener;
import io.pganalytics.collector.spool.Shipper;
import io.pganalytics.collector.spool.Spool;
import io.pganalytics.collector.spool.SpoolRecord;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.metrics.QueryText;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces what the collector reads: each read's samples to {@code pga.raw.<family>} keyed
 * {@code <collectorId>/<targetId>}, its new query texts to {@code pga.raw.query-texts} keyed
 * {@code <targetId>/<queryid>}.
 *
 * <p>A read is serialized once (our {@link AvroSerializer}, Confluent wire format), appended as one
 * batch to the on-disk {@link Spool} and sent from there by a {@link Shipper}, so that Kafka being
 * slow or away costs disk, not samples (docs/collector.md, "When Kafka is away"). The producer is
 * idempotent with {@code acks=all}, so a retried send never duplicates a sample in a partition;
 * per-target ordering follows from the key. It counts what Kafka acknowledged and what could not be
 * read or produced.
 */
public final class SampleProducer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SampleProducer.class);
    /** The family query texts count under in the spool's drop counts. */
    public static final String QUERY_TEXTS_FAMILY = "query-texts";
    /** Records the shipper hands the producer at once; the rest of a backlog waits in the spool. */
    private static final int SHIPPER_MAX_IN_FLIGHT = 2_000;

    /**
     * Where query texts that never reached Kafka go back to, so that they are sent again: the
     * statements reader of their target, which otherwise sends a text only once.
     */
    public interface QueryTexts {

        /** The text of {@code queryid} of {@code targetId} was not produced. */
        void resend(String targetId, long queryid);

        /** Texts were lost and which ones is not known: every target sends every text again. */
        void resendAll();
    }

    private final String collectorId;
    private final KafkaProducer<String, byte[]> producer;
    private final AvroSerializer<GenericContainer> values;
    private final QueryTexts texts;
    private final Set<String> topicsChecked = ConcurrentHashMap.newKeySet();
    private final Spool spool;
    private final Shipper shipper;
    private final AtomicLong samplesProduced = new AtomicLong();
    private final AtomicLong samplesFailed = new AtomicLong();
    private final AtomicLong queryTextsProduced = new AtomicLong();
    private volatile long lastAckMillis;

    private SampleProducer(CollectorConfig config, Map<String, Object> producerOverrides, Collection<String> topics,
                           QueryTexts texts, DropListener dropped) {
        this.collectorId = config.collectorId();
        this.texts = texts;
        Map<String, Object> producerConfig = new HashMap<>();
        producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(AvroSerdeConfig.SCHEMA_REGISTRY_URL, config.schemaRegistryUrl());
        producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, "pga-collector-" + config.collectorId());
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        producerConfig.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        // The spool, not the producer, holds what Kafka has not taken: the shipper hands the producer
        // at most SHIPPER_MAX_IN_FLIGHT records, and the producer retries them for as long as Kafka is
        // away (no delivery timeout). A finite delivery.timeout.ms would be worse twice over: on
        // expiry the idempotent producer resets the partition's sequence, so a later batch of the same
        // key can be written before the expired one is resent (reordering), and a 2-minute outage
        // would turn into a storm of failures and resends. max.block.ms stays short so that a send
        // needing metadata fails (retriable: the shipper resends) instead of parking the shipper.
        producerConfig.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
        producerConfig.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        producerConfig.putAll(producerOverrides);
        // Kafka configures only the serializers it instantiates itself, so configure ours here.
        this.values = new AvroSerializer<>();
        values.configure(producerConfig, false);
        this.producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer());
        try {
            checkTopics(topics);
            this.spool = Spool.open(config.operations().spoolDir(), config.operations().spoolMaxBytes());
        } catch (RuntimeException e) {
            producer.close(Duration.ZERO);
            throw e;
        }
        spool.addDropListener((family, count) -> {
            if (QUERY_TEXTS_FAMILY.equals(family)) {
                texts.resendAll(); // which texts went is not known here: send every text again
            }
            dropped.dropped(family, count);
        });
        this.shipper = Shipper.start(spool, producer, new Shipper.Outcome() {
            @Override
            public void acknowledged(SpoolRecord record) {
                lastAckMillis = System.currentTimeMillis();
                (QUERY_TEXTS_FAMILY.equals(record.family()) ? queryTextsProduced : samplesProduced).incrementAndGet();
            }

            @Override
            public void rejected(SpoolRecord record, Exception error) {
                if (QUERY_TEXTS_FAMILY.equals(record.family())) {
                    resendText(record.key());
                } else {
                    samplesFailed.incrementAndGet();
                }
            }
        }, SHIPPER_MAX_IN_FLIGHT, "pga-collector-shipper");
    }

    /**
     * Checks that {@code topics} exist, opens the spool ({@code collector.spool.dir}) and starts
     * shipping from it.
     *
     * @param producerOverrides extra Kafka producer settings
     * @param texts             where query texts that were not produced go back to
     * @param dropped           told of every record a full spool dropped, after the texts are handled
     */
    public static SampleProducer start(CollectorConfig config, Map<String, Object> producerOverrides, Collection<String> topics,
                                       QueryTexts texts, DropListener dropped) {
        return new SampleProducer(config, producerOverrides, topics, texts, dropped);
    }

    /**
     * Fails on a missing topic, naming it: a send to a topic that does not exist would otherwise
     * block a worker for max.block.ms on every cycle. Also warms the metadata.
     */
    public void checkTopics(Collection<String> topics) {
        for (String topic : new TreeSet<>(topics)) {
            if (!topicsChecked.contains(topic)) {
                producer.partitionsFor(topic);
                topicsChecked.add(topic);
            }
        }
    }

    /**
     * Spools what one read of {@code targetId} produced. Samples that cannot be serialized or
     * spooled are counted as failed; query texts that cannot are sent again with the next read.
     */
    public void produce(String targetId, Collected collected) {
        String key = collectorId + "/" + targetId;
        String topic = Topics.raw(collected.family());
        List<GenericRecord> samples = collected.samples();
        List<SpoolRecord> records = new ArrayList<>(samples.size() + collected.queryTexts().size());
        for (int i = 0; i < samples.size(); i++) {
            GenericRecord sample = samples.get(i);
            try {
                records.add(new SpoolRecord(collected.family(), topic, key, values.serialize(topic, sample), sampledAtMillis(sample)));
            } catch (RuntimeException e) {
                // Serialization (registry unreachable): count it, say it once per round.
                samplesFailed.addAndGet(samples.size() - i);
                LOG.warn("target {}: {} {} samples not produced: {}", targetId, samples.size() - i, collected.family(), e.getMessage());
                break;
            }
        }
        int sampleRecords = records.size();
        List<QueryText> spooledTexts = new ArrayList<>();
        for (QueryText text : collected.queryTexts()) {
            try {
                records.add(new SpoolRecord(QUERY_TEXTS_FAMILY, Topics.RAW_QUERY_TEXTS, targetId + "/" + text.getQueryid(),
                        values.serialize(Topics.RAW_QUERY_TEXTS, text), text.getFirstSeenAt() == null ? 0 : text.getFirstSeenAt().toEpochMilli()));
                spooledTexts.add(text);
            } catch (RuntimeException e) {
                texts.resend(targetId, text.getQueryid());
            }
        }
        try {
            spool.append(records);
        } catch (RuntimeException e) {
            // The disk is full or gone: these records never made it in the spool.
            samplesFailed.addAndGet(sampleRecords);
            spooledTexts.forEach(text -> texts.resend(targetId, text.getQueryid()));
            LOG.warn("target {}: {} {} samples not spooled: {}", targetId, sampleRecords, collected.family(), e.getMessage());
        }
    }

    /** Counts {@code samples} that could not be read (a failed read counts as one). */
    public void countFailed(long samples) {
        samplesFailed.addAndGet(samples);
    }

    private static long sampledAtMillis(GenericRecord sample) {
        // Generic records hold timestamp-micros as the underlying long.
        Object at = sample.hasField("sampledAt") ? sample.get("sampledAt") : null;
        if (at instanceof Long micros) {
            return micros / 1000;
        }
        return at instanceof Instant instant ? instant.toEpochMilli() : System.currentTimeMillis();
    }

    /** A query-text record Kafka refused for good: its key is {@code <targetId>/<queryid>}. */
    private void resendText(String key) {
        int slash = key.lastIndexOf('/');
        texts.resend(key.substring(0, slash), Long.parseLong(key.substring(slash + 1)));
    }

    /** The spool samples wait in for Kafka. */
    public Spool spool() {
        return spool;
    }

    /** Samples produced and acknowledged by Kafka since start. */
    public long samplesProduced() {
        return samplesProduced.get();
    }

    /** Samples that could not be read or produced since start. */
    public long samplesFailed() {
        return samplesFailed.get();
    }

    /** Query texts produced and acknowledged since start. */
    public long queryTextsProduced() {
        return queryTextsProduced.get();
    }

    /** When Kafka last acknowledged a record (ms since the epoch), 0 before the first. */
    public long lastAckMillis() {
        return lastAckMillis;
    }

    /** Bytes the producer holds in memory now: what a kill -9 would lose beyond the spool. */
    public long bufferUsedBytes() {
        double total = 0;
        double available = 0;
        for (var metric : producer.metrics().entrySet()) {
            String name = metric.getKey().name();
            if (name.equals("buffer-total-bytes")) {
                total = ((Number) metric.getValue().metricValue()).doubleValue();
            } else if (name.equals("buffer-available-bytes")) {
                available = ((Number) metric.getValue().metricValue()).doubleValue();
            }
        }
        return (long) Math.max(0, total - available);
    }

    /** The shipper and its producer's metrics, for tests that need to say why a spool does not drain. */
    public String shipperDiagnostics() {
        StringBuilder out = new StringBuilder("inFlight=" + shipper.inFlight());
        producer.metrics().forEach((name, metric) -> {
            if (name.group().equals("producer-metrics") && List.of("record-send-total", "record-retry-total", "record-error-total",
                    "requests-in-flight", "buffer-available-bytes", "waiting-threads", "batch-split-total").contains(name.name())) {
                out.append(", ").append(name.name()).append('=').append(metric.metricValue());
            }
        });
        return out.toString();
    }

    /**
     * Ships what the spool still holds for up to {@code drain}, then keeps the rest on disk for the
     * next run: closes the shipper, the producer and the spool.
     */
    public void close(Duration drain) {
        shipper.close(drain);
        producer.close(Duration.ofSeconds(1));
        spool.close();
    }

    @Override
    public void close() {
        close(Duration.ZERO);
    }
}
