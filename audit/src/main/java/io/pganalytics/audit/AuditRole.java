package io.pganalytics.audit;

import io.pganalytics.fleet.admin.AuditTrail;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.schemas.audit.AuditChain;
import io.pganalytics.schemas.audit.CheckpointKeys;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit role, {@code pganalytics audit-capture}: the {@link OutboxCapture}, and the {@link AuditLogStore} that
 * keeps the chain in the control-plane database and signs its checkpoints. (The chain itself is written by the stream
 * processors' audit application.) Closing it stops both, capture first.
 */
public final class AuditRole implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditRole.class);

    private final List<AutoCloseable> open = new ArrayList<>();

    private AuditRole() {
    }

    /** Starts the role; the control-plane database must be migrated (V9). */
    public static AuditRole start(AuditConfig config) {
        AuditRole role = new AuditRole();
        try {
            PrivateKey key = null;
            String keyId = null;
            if (config.privateKey() != null) {
                key = CheckpointKeys.readPrivate(config.privateKey());
                keyId = AuditChain.keyId(publicKeyOf(config));
            } else {
                LOG.warn("audit checkpoints are not signed: {} is not set", AuditConfig.Keys.PRIVATE_KEY.name());
            }
            CheckpointStore bucket = config.bucket() == null ? null : role.track(new CheckpointStore(config.s3(), config.bucket()));
            AuditTrail trail = role.track(ControlPlanes.openAuditTrail(config.control()));
            role.track(new AuditLogStore(config, trail, key, keyId, bucket, Clock.systemUTC()).start());
            role.track(OutboxCapture.start(config));
            return role;
        } catch (RuntimeException e) {
            role.close();
            throw e;
        }
    }

    /** The public key beside the private one ({@code <name>.pub} for {@code <name>.key}), which names the key. */
    private static PublicKey publicKeyOf(AuditConfig config) {
        String name = config.privateKey().getFileName().toString();
        String pub = name.endsWith(".key") ? name.substring(0, name.length() - 4) + ".pub" : name + ".pub";
        java.nio.file.Path file = config.privateKey().resolveSibling(pub);
        if (!java.nio.file.Files.exists(file)) {
            throw new io.pganalytics.config.InvalidValue(AuditConfig.Keys.PRIVATE_KEY.name(),
                    "expected its public key beside it, " + file + " (as `pganalytics audit keygen` writes them)");
        }
        return CheckpointKeys.readPublic(file);
    }

    private <T extends AutoCloseable> T track(T resource) {
        open.add(Objects.requireNonNull(resource));
        return resource;
    }

    @Override
    public void close() {
        List<AutoCloseable> reversed = new ArrayList<>(open);
        Collections.reverse(reversed);
        for (AutoCloseable resource : reversed) {
            try {
                resource.close();
            } catch (Exception e) {
                LOG.warn("audit role: closing {} failed: {}", resource.getClass().getSimpleName(), e.getMessage());
            }
        }
        open.clear();
    }
}
