package io.pganalytics.streams.ingest;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.Quota;
import io.pganalytics.schemas.registry.SchemaRegistryClient;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.streams.ingest.delta.CounterBaseline;
import io.pganalytics.streams.ingest.delta.CounterDeltas;
import io.pganalytics.streams.ingest.quota.BrokerQuotas;
import io.pganalytics.streams.ingest.quota.QuotaGate;
import io.pganalytics.streams.ingest.quota.QuotaOverrides;
import io.pganalytics.streams.ingest.quota.QuotaSettings;
import io.pganalytics.streams.ingest.quota.QuotaUsage;
import io.pganalytics.streams.validation.SampleChecks;
import io.pganalytics.streams.validation.SourceDecoder;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * {@code pga.raw.<family>} → decode and check → quota gate → counter deltas → {@code pga.metrics.<family>},
 * for every family of {@link MetricFamilies#all()}, one sub-topology each; rejected records go to
 * {@code pga.dlq} with the reason in headers, throttled collectors are reported on {@code pga.fleet.events}.
 *
 * <p>Sources read raw bytes and decode inside the topology ({@link SourceDecoder} says why), so that a
 * malformed record reaches the dead letters in the same exactly-once transaction as the rest. Per
 * family {@code f}, the processors are {@code f-decode-and-check}, {@code f-quota-gate} and
 * {@code f-counter-deltas} (or {@code f-as-metrics} for a family without counters), the stores
 * {@code f-quota-usage}, {@code f-quota-series} and {@code f-counter-baselines}. The global stores
 * {@code quota-overrides} ({@code pga.quotas}) and, when targets must be known, {@code known-targets}
 * ({@code pga.fleet.targets}) are shared by all families.
 */
public final class IngestTopology {

    /** The application id, and so the consumer group and the prefix of internal topics. */
    public static final String APPLICATION_ID = "pga-streams-ingest";
    /** The global store of {@code pga.quotas}: collectorId to the {@code Quota} bytes. */
    public static final String QUOTA_OVERRIDES = "quota-overrides";
    /** The global store of {@code pga.fleet.targets}: targetId to its record, present while the target is known. */
    public static final String KNOWN_TARGETS = "known-targets";

    private IngestTopology() {
    }

    /** The store of counter baselines of {@code family}. */
    public static String baselinesStore(MetricFamily family) {
        return family.name() + "-counter-baselines";
    }

    /** The topology over every family; {@code serdeConfig} holds at least {@code schema.registry.url}. */
    public static Topology build(Map<String, ?> serdeConfig, IngestConfig config, Supplier<BrokerQuotas> brokerQuotas) {
        return build(serdeConfig, config, brokerQuotas, MetricFamilies.all());
    }

    /** The topology over {@code families}, state in RocksDB. */
    public static Topology build(Map<String, ?> serdeConfig, IngestConfig config, Supplier<BrokerQuotas> brokerQuotas,
            List<MetricFamily> families) {
        return build(serdeConfig, config, brokerQuotas, families, Stores::persistentKeyValueStore);
    }

    /**
     * The topology over {@code families}, its stores from {@code stores} (persistent in production;
     * in memory where a {@code TopologyTestDriver} would otherwise flush RocksDB after every record).
     * Either way the stores are changelogged.
     */
    public static Topology build(Map<String, ?> serdeConfig, IngestConfig config, Supplier<BrokerQuotas> brokerQuotas,
            List<MetricFamily> families, Function<String, KeyValueBytesStoreSupplier> stores) {
        AvroSerdeConfig avro = AvroSerdeConfig.from(serdeConfig);
        SchemaRegistryClient client = avro.newClient();
        SourceDecoder<Quota> quotaDecoder = new SourceDecoder<>(new AvroDeserializer<>(client, true), Topics.QUOTAS);
        AvroSerializer<FleetEvent> events = new AvroSerializer<>(client, avro, false);

        Topology topology = new Topology();
        topology.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(QUOTA_OVERRIDES), Serdes.String(), Serdes.ByteArray())
                        .withLoggingDisabled(),
                "quotas", Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), Topics.QUOTAS,
                "load-quota-overrides", () -> new QuotaOverrides(QUOTA_OVERRIDES, quotaDecoder, brokerQuotas));
        if (config.requireKnownTargets()) {
            topology.addGlobalStore(
                    Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(KNOWN_TARGETS), Serdes.String(), Serdes.ByteArray())
                            .withLoggingDisabled(),
                    "fleet-targets", Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), Topics.FLEET_TARGETS,
                    "load-known-targets", () -> new TableLoader(KNOWN_TARGETS));
        }
        for (MetricFamily family : families) {
            addFamily(topology, family, client, avro, config, quotaDecoder, events, stores);
        }
        return topology;
    }

    private static void addFamily(Topology topology, MetricFamily family, SchemaRegistryClient client, AvroSerdeConfig avro,
            IngestConfig config, SourceDecoder<Quota> quotaDecoder, AvroSerializer<FleetEvent> events,
            Function<String, KeyValueBytesStoreSupplier> stores) {
        String f = family.name();
        String source = "raw-" + f;
        String check = f + "-decode-and-check";
        String gate = f + "-quota-gate";
        String derive = f + (family.isCumulative() ? "-counter-deltas" : "-as-metrics");
        String toMetrics = f + "-to-metrics";
        String toDlq = f + "-to-dlq";
        String toEvents = f + "-to-fleet-events";
        String usageStore = f + "-quota-usage";
        String seriesStore = f + "-quota-series";
        SampleChecks checks = new SampleChecks(family, config.maxFuture().toMillis());
        String knownTargets = config.requireKnownTargets() ? KNOWN_TARGETS : null;

        topology.addSource(source, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), family.rawTopic());
        // One deserializer per processor instance: its decoder buffer is not shared between stream threads.
        topology.addProcessor(check, () -> new DecodeAndCheck(family,
                new SourceDecoder<>(new RawSampleDeserializer(client, family.rawSchema()), family.rawTopic()),
                checks, knownTargets, gate, toDlq), source);
        QuotaSettings quotas = new QuotaSettings(config.recordsPerSecond(), config.quotaWindow(), config.seriesPerFamily(),
                config.throttleEventInterval(), config.seriesIdleTimeout());
        topology.addProcessor(gate, () -> new QuotaGate(family, quotas, usageStore, seriesStore, QUOTA_OVERRIDES,
                quotaDecoder, derive, toDlq, toEvents), check);
        topology.addStateStore(Stores.keyValueStoreBuilder(stores.apply(usageStore), Serdes.String(),
                QuotaUsage.serde()).withCachingEnabled(), gate);
        topology.addStateStore(Stores.keyValueStoreBuilder(stores.apply(seriesStore), Serdes.String(),
                QuotaGate.SeenSeries.serde()).withCachingEnabled(), gate);
        String baselines = family.isCumulative() ? baselinesStore(family) : null;
        topology.addProcessor(derive, () -> new CounterDeltas(family, baselines, config.seriesIdleTimeout()), gate);
        if (baselines != null) {
            topology.addStateStore(Stores.keyValueStoreBuilder(stores.apply(baselines), Serdes.String(),
                    CounterBaseline.serde(family.counterFields(), family.resetFields())).withCachingEnabled(), derive);
        }
        topology.addSink(toMetrics, family.metricsTopic(), Serdes.String().serializer(),
                new AvroSerializer<GenericRecord>(client, avro, false), derive);
        topology.addSink(toDlq, Topics.DLQ, Serdes.String().serializer(), Serdes.ByteArray().serializer(), check, gate);
        topology.addSink(toEvents, Topics.FLEET_EVENTS, Serdes.String().serializer(), events, gate);
    }

    /** Keeps a global store equal to its compacted topic: the value bytes per key, a tombstone deletes. */
    static final class TableLoader implements Processor<String, byte[], Void, Void> {

        private final String storeName;
        private KeyValueStore<String, byte[]> store;

        TableLoader(String storeName) {
            this.storeName = storeName;
        }

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(storeName);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            if (record.key() == null) {
                return;
            }
            if (record.value() == null) {
                store.delete(record.key());
            } else {
                store.put(record.key(), record.value());
            }
        }
    }
}
