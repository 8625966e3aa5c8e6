package io.pganalytics.api.health;

import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/**
 * Checks that the Kafka cluster answers a metadata request and has at least one broker.
 */
public final class KafkaHealth implements HealthCheck {

    private static final int TIMEOUT_MS = 2_000;
    private final Admin admin;

    public KafkaHealth(String bootstrapServers) {
        this.admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.CLIENT_ID_CONFIG, "pga-api-health",
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, TIMEOUT_MS,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, TIMEOUT_MS,
                // Fail fast and quietly while the broker is away; the health response says so.
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000));
    }

    @Override
    public String name() {
        return "kafka";
    }

    @Override
    public ComponentHealth check() {
        try {
            var cluster = admin.describeCluster(new DescribeClusterOptions().timeoutMs(TIMEOUT_MS));
            int brokers = cluster.nodes().get(TIMEOUT_MS, TimeUnit.MILLISECONDS).size();
            String clusterId = cluster.clusterId().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            return brokers > 0 ? ComponentHealth.up(brokers + " broker(s), cluster " + clusterId)
                    : ComponentHealth.down("no brokers");
        } catch (ExecutionException e) {
            return ComponentHealth.down(e.getCause().getMessage());
        } catch (TimeoutException e) {
            return ComponentHealth.down("no answer within " + TIMEOUT_MS + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ComponentHealth.down("interrupted");
        }
    }

    @Override
    public void close() {
        admin.close();
    }
}
