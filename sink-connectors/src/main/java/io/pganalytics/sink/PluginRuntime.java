package io.pganalytics.sink;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkTaskContext;

/**
 * What every connector of this plugin asks of the worker it runs in: the plugin's version, and the
 * worker features that older workers lack (a dead letter queue for sink tasks, plugin metrics).
 */
public final class PluginRuntime {

    /** The plugin's version, as Connect's REST API reports it for each connector and task. */
    public static final String VERSION = readVersion();

    private PluginRuntime() {
    }

    /** The worker's dead letter queue for this task, or null when it has none (or is older than Kafka 2.6). */
    public static ErrantRecordReporter errantRecordReporter(SinkTaskContext context) {
        try {
            return context.errantRecordReporter();
        } catch (NoSuchMethodError | NoClassDefFoundError e) {
            return null;
        }
    }

    /** Where a task registers its metrics, or null when the worker (older than Kafka 4.1, or a tool) gives none. */
    public static PluginMetrics pluginMetrics(SinkTaskContext context) {
        try {
            return context.pluginMetrics();
        } catch (NoSuchMethodError | AbstractMethodError e) {
            return null;
        }
    }

    private static String readVersion() {
        // Filled in by Maven resource filtering (see the module's pom).
        try (InputStream in = PluginRuntime.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
