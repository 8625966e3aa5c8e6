package io.pganalytics.audit;

import io.pganalytics.schemas.audit.AuditChain;
import io.pganalytics.sink.s3.S3Connection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Signed checkpoints in an S3 bucket, next to the backups, one object each ({@value #PREFIX}{@code <size>.json}): the
 * copy a database superuser cannot reach, which {@code pganalytics audit verify} checks the database's chain against.
 */
public final class CheckpointStore implements AutoCloseable {

    public static final String PREFIX = AuditChain.CHECKPOINT_PREFIX;

    private final S3Client s3;
    private final String bucket;

    public CheckpointStore(S3Connection connection, String bucket) {
        this.s3 = connection.newClient();
        this.bucket = bucket;
    }


    public void put(AuditChain.SignedCheckpoint checkpoint) {
        s3.putObject(b -> b.bucket(bucket).key(AuditChain.checkpointKey(checkpoint.checkpoint().size())).contentType("application/json"),
                RequestBody.fromString(checkpoint.toJson(), StandardCharsets.UTF_8));
    }

    /** Every checkpoint in the bucket, by size (keys sort as sizes do). */
    public List<AuditChain.SignedCheckpoint> all() {
        List<AuditChain.SignedCheckpoint> out = new ArrayList<>();
        for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(PREFIX)).contents()) {
            out.add(AuditChain.SignedCheckpoint.fromJson(s3.getObjectAsBytes(b -> b.bucket(bucket).key(object.key())).asUtf8String()));
        }
        return out;
    }

    @Override
    public void close() {
        s3.close();
    }
}
