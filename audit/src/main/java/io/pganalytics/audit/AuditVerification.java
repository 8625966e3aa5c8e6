package io.pganalytics.audit;

import io.pganalytics.fleet.admin.AuditTrail;
import io.pganalytics.schemas.audit.AuditChain;
import java.security.PublicKey;
import java.util.List;

/**
 * Verifies the chain stored in the control-plane database against checkpoints: those in the object store when one is
 * given (the copy that counts: a database superuser cannot rewrite it), else the database's own.
 */
public final class AuditVerification {

    private AuditVerification() {
    }

    /**
     * @param bucket    the checkpoints' object store, or null to use the database's
     * @param publicKey the pinned checkpoint key, or null to check links and vouched hashes but no signature
     */
    public static AuditChain.Verification verify(AuditTrail trail, CheckpointStore bucket, PublicKey publicKey) {
        List<AuditChain.SignedCheckpoint> checkpoints = bucket != null ? bucket.all() : trail.checkpoints();
        return AuditChain.verify(trail.chain(), checkpoints, publicKey);
    }
}
