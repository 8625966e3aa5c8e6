package io.pganalytics.streams.ingest.quota;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
 * opened per change (or per batch at start-up) and closed after it: quota changes are rare, and a
 * global-store processor is not reliably closed with its application, so a long-lived client could
 * outlive it.
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
        Map<String, Long> one = new HashMap<>();
        one.put(collectorId, bytesPerSecond);
        if (alter(one)) {
            LOG.info("broker quota {} of client {}: {}", PRODUCER_BYTE_RATE, BrokerQuotas.producerClientId(collectorId),
                    bytesPerSecond == null ? "removed" : bytesPerSecond + " bytes/s");
        }
    }

    @Override
    public void setProducerByteRates(Map<String, Long> bytesPerSecondByCollector) {
        if (!bytesPerSecondByCollector.isEmpty() && alter(bytesPerSecondByCollector)) {
            LOG.info("broker quotas {} applied for {} collectors from pga.quotas", PRODUCER_BYTE_RATE,
                    bytesPerSecondByCollector.size());
        }
    }

    private boolean alter(Map<String, Long> rates) {
        List<ClientQuotaAlteration> alterations = new ArrayList<>();
        rates.forEach((collectorId, rate) -> alterations.add(new ClientQuotaAlteration(
                new ClientQuotaEntity(Map.of(ClientQuotaEntity.CLIENT_ID, BrokerQuotas.producerClientId(collectorId))),
                List.of(new ClientQuotaAlteration.Op(PRODUCER_BYTE_RATE, rate == null ? null : rate.doubleValue())))));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.CLIENT_ID_CONFIG, "pga-streams-ingest-quotas"))) {
            admin.alterClientQuotas(alterations).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            // Not fatal: the stream processors' own quotas still hold; the next change of pga.quotas or restart retries.
            LOG.warn("cannot set broker quota {} of collectors {}: {}", PRODUCER_BYTE_RATE, rates.keySet(),
                    e instanceof ExecutionException ? e.getCause().toString() : e.toString());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
