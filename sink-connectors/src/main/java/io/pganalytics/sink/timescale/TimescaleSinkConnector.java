package io.pganalytics.sink.timescale;

import io.pganalytics.sink.PluginRuntime;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka Connect sink that stores {@code pga.metrics.<family>} samples and {@code pga.rollups.<family>.<res>}
 * aggregates in the metrics store (TimescaleDB, or plain PostgreSQL), one typed table per family and resolution, with
 * an exactly-once effect: see this module's README for the tables and the configuration.
 */
public final class TimescaleSinkConnector extends SinkConnector {

    private static final Logger LOG = LoggerFactory.getLogger(TimescaleSinkConnector.class);

    /** This module's version, from a resource Maven filters at build time; works from a jar and from classes. */
    static final String VERSION = PluginRuntime.VERSION;

    private Map<String, String> props;

    @Override
    public void start(Map<String, String> props) {
        // Fails the connector, not only its tasks, on a bad configuration, naming the key.
        TimescaleSinkConfig config = TimescaleSinkConfig.from(props);
        this.props = Map.copyOf(props);
        LOG.info("Timescale sink connector {} started: {} into {}", props.get("name"), config.writeMode(),
                config.redactedConnectionUrl());
    }

    @Override
    public Class<? extends Task> taskClass() {
        return TimescaleSinkTask.class;
    }

    /** Every task gets the same configuration; Connect spreads the topic's partitions over them. */
    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        return Collections.nCopies(maxTasks, props);
    }

    @Override
    public void stop() {
        props = null;
    }

    @Override
    public ConfigDef config() {
        return TimescaleSinkConfig.CONFIG_DEF;
    }

    @Override
    public String version() {
        return VERSION;
    }

}
