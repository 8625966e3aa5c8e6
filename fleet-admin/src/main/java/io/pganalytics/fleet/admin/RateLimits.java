package io.pganalytics.fleet.admin;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import java.time.Duration;

/**
 * Token buckets in the control-plane database (Bucket4j, {@code rate_limit_buckets}), shared by every API replica:
 * a key (a user, a collector token, an address on the login route) may spend {@code perMinute} requests a minute,
 * refilled continuously. One short transaction ({@code SELECT ... FOR UPDATE}) per request.
 */
public final class RateLimits {

    /**
     * What one request cost its key.
     *
     * @param allowed      whether it may go on
     * @param limit        the key's requests per minute
     * @param remaining    requests left now
     * @param resetSeconds until the bucket is full again
     * @param retryAfterSeconds until one request is allowed again (0 when allowed)
     */
    public record Decision(boolean allowed, long limit, long remaining, long resetSeconds, long retryAfterSeconds) {
    }

    private final ProxyManager<String> buckets;
    /** A handful of limits (per user, collector, address): built once each, not per request. */
    private final java.util.Map<Long, BucketConfiguration> configurations = new java.util.concurrent.ConcurrentHashMap<>();

    RateLimits(ControlDatabase db) {
        // Rows of buckets full again are deleted by Accounts.purgeExpired, which the API runs every ten minutes.
        this.buckets = Bucket4jPostgreSQL.selectForUpdateBasedBuilder(db.dataSource())
                .primaryKeyMapper(PrimaryKeyMapper.STRING)
                .table("rate_limit_buckets").idColumn("id").stateColumn("state").expiresAtColumn("expires_at")
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(10)))
                .build();
    }

    /** Spends one request of {@code key}'s {@code perMinute}. */
    public Decision consume(String key, long perMinute) {
        BucketConfiguration configuration = configurations.computeIfAbsent(perMinute, n -> BucketConfiguration.builder()
                .addLimit(limit -> limit.capacity(n).refillGreedy(n, Duration.ofMinutes(1))).build());
        ConsumptionProbe probe;
        try {
            probe = buckets.builder().build(key, () -> configuration).tryConsumeAndReturnRemaining(1);
        } catch (RuntimeException e) {
            throw new ControlPlane.Unavailable("rate limits: " + e.getMessage(), e);
        }
        return new Decision(probe.isConsumed(), perMinute, probe.getRemainingTokens(), seconds(probe.getNanosToWaitForReset()),
                probe.isConsumed() ? 0 : Math.max(1, seconds(probe.getNanosToWaitForRefill())));
    }

    private static long seconds(long nanos) {
        return (nanos + 999_999_999L) / 1_000_000_000L;
    }
}
