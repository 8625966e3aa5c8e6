package io.pganalytics.audit;

import io.pganalytics.schemas.audit.AuditChain;
import io.pganalytics.sink.s3.S3Connection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Signed checkpoints in an S3 bucket, next to the backups, one object each ({@value #PREFIX}{@code <size>.json}): the
 * copy a database superuser cannot reach, which {@code pganalytics audit verify} checks the database's chain against.
 */
public final class CheckpointStore implements AutoCloseable {

    public static final String PREFIX = "audit/checkpoints/";

    private final S3Client s3;
    private final String bucket;

    public CheckpointStore(S3Connection connection, String bucket) {
        this.s3 = connection.newClient();
        this.bucket = bucket;
    }

    /** The object key of the checkpoint at {@code size}: zero-padded, so that keys sort as sizes do. */
    public static String key(long size) {
        return PREFIX + String.format("%020d", size) + ".json";
    }

    public void put(AuditChain.SignedCheckpoint checkpoint) {
        s3.putObject(b -> b.bucket(bucket).key(key(checkpoint.checkpoint().size())).contentType("application/json"),
                RequestBody.fromString(checkpoint.toJson(), StandardCharsets.UTF_8));
    }

    /** Every checkpoint in the bucket, by size. */
    public List<AuditChain.SignedCheckpoint> all() {
        List<AuditChain.SignedCheckpoint> out = new ArrayList<>();
        String token = null;
        do {
            ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(bucket).prefix(PREFIX);
            if (token != null) {
                request.continuationToken(token);
            }
            ListObjectsV2Response page = s3.listObjectsV2(request.build());
            for (S3Object object : page.contents()) {
                String json = s3.getObjectAsBytes(b -> b.bucket(bucket).key(object.key())).asUtf8String();
                out.add(AuditChain.SignedCheckpoint.fromJson(json));
            }
            token = page.isTruncated() ? page.nextContinuationToken() : null;
        } while (token != null);
        return out;
    }

    @Override
    public void close() {
        s3.close();
    }
}
