package io.pganalytics.sink.s3;

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
 * The Kafka Connect sink that backs topics up to S3 (or any S3-compatible store) as Avro container files, exactly
 * once: see this module's README for the layout and {@code docs/backup-restore.md} for restoring.
 */
public final class S3BackupSinkConnector extends SinkConnector {

    private static final Logger LOG = LoggerFactory.getLogger(S3BackupSinkConnector.class);

    /** This module's version, from a resource Maven filters at build time. */
    static final String VERSION = PluginRuntime.VERSION;

    private Map<String, String> props;

    @Override
    public void start(Map<String, String> props) {
        // Fails the connector, not only its tasks, on a bad configuration, naming the key.
        S3BackupSinkConfig config = S3BackupSinkConfig.from(props);
        this.props = Map.copyOf(props);
        LOG.info("S3 backup connector {} started: {} at {}", props.get("name"), config.location(),
                config.connection().describe());
    }

    @Override
    public Class<? extends Task> taskClass() {
        return S3BackupSinkTask.class;
    }

    /** Every task gets the same configuration; Connect spreads the partitions over them. */
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
        return S3BackupSinkConfig.CONFIG_DEF;
    }

    @Override
    public String version() {
        return VERSION;
    }

}
