package io.pganalytics.streams.ingest.quota;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link BrokerQuotas} through the Kafka Admin API ({@code alterClientQuotas}). An Admin client is
 * opened per change and closed after it: quota changes are rare, and a global-store processor is not
 * reliably closed with its application, so a long-lived client could outlive it.
 */
public final class AdminBrokerQuotas implements BrokerQuotas {

    /** The broker's name of the producer byte-rate quota. */
    public static final String PRODUCER_BYTE_RATE = "producer_byte_rate";

    private static final Logger LOG = LoggerFactory.getLogger(AdminBrokerQuotas.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final String bootstrapServers;

    public AdminBrokerQuotas(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    @Override
    public void setProducerByteRate(String collectorId, Long bytesPerSecond) {
        String clientId = BrokerQuotas.producerClientId(collectorId);
        ClientQuotaEntity entity = new ClientQuotaEntity(Map.of(ClientQuotaEntity.CLIENT_ID, clientId));
        Double value = bytesPerSecond == null ? null : bytesPerSecond.doubleValue();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.CLIENT_ID_CONFIG, "pga-streams-ingest-quotas"))) {
            admin.alterClientQuotas(List.of(new ClientQuotaAlteration(entity,
                    List.of(new ClientQuotaAlteration.Op(PRODUCER_BYTE_RATE, value))))).all()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("broker quota {} of client {}: {}", PRODUCER_BYTE_RATE, clientId,
                    value == null ? "removed" : bytesPerSecond + " bytes/s");
        } catch (ExecutionException | TimeoutException e) {
            // Not fatal: the stream processors' own quotas still hold; the next update of pga.quotas or restart retries.
            LOG.warn("cannot set broker quota {} of client {}: {}", PRODUCER_BYTE_RATE, clientId,
                    e instanceof ExecutionException ? e.getCause().toString() : e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
