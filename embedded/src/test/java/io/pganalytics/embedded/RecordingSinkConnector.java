package io.pganalytics.embedded;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/**
 * A sink connector for {@link EmbeddedConnectIT}: records every value it receives (as text) per connector name, or
 * fails its tasks on start when {@code fail.on.start=true}. Connect 4.1's runtime jar ships no sample connectors.
 */
public final class RecordingSinkConnector extends SinkConnector {

    static final Map<String, List<String>> RECEIVED = new ConcurrentHashMap<>();

    private Map<String, String> config;

    static List<String> received(String connector) {
        return RECEIVED.computeIfAbsent(connector, k -> new CopyOnWriteArrayList<>());
    }

    @Override
    public void start(Map<String, String> props) {
        config = Map.copyOf(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return RecordingSinkTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        return IntStream.range(0, maxTasks).mapToObj(i -> config).toList();
    }

    @Override
    public void stop() {
    }

    @Override
    public ConfigDef config() {
        return new ConfigDef().define("fail.on.start", ConfigDef.Type.BOOLEAN, false, ConfigDef.Importance.LOW,
                "Fail every task on start, to observe a FAILED task.");
    }

    @Override
    public String version() {
        return "test";
    }

    /** The task of {@link RecordingSinkConnector}. */
    public static final class RecordingSinkTask extends SinkTask {

        private String connector;

        @Override
        public void start(Map<String, String> props) {
            connector = props.get("name");
            if (Boolean.parseBoolean(props.get("fail.on.start"))) {
                throw new ConnectException("failing on purpose (fail.on.start=true)");
            }
        }

        @Override
        public void put(Collection<SinkRecord> records) {
            for (SinkRecord record : records) {
                received(connector).add(new String((byte[]) record.value(), StandardCharsets.UTF_8));
            }
        }

        @Override
        public void stop() {
        }

        @Override
        public String version() {
            return "test";
        }
    }
}
