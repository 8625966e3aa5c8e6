package io.pganalytics.sink.s3.restore;

import io.pganalytics.sink.s3.BackupEncryption;
import io.pganalytics.sink.s3.S3Connection;
import java.util.Map;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Key rotation of encrypted backups: every object under {@code s3://bucket/prefix} whose data key is sealed with an
 * older key of the ring gets it sealed again with the first key, by a server-side copy onto itself with the new
 * metadata. The data is neither downloaded nor re-encrypted; afterwards the older key can leave the ring.
 */
public final class Rewrap {

    private final S3Connection connection;

    public Rewrap(S3Connection connection) {
        this.connection = connection;
    }

    /** What a run did, object by object. */
    public record Report(int examined, int rewrapped, int current, int plaintext) {
    }

    public Report run(String bucket, String prefix) {
        BackupEncryption ring = connection.encryption();
        if (ring == null) {
            throw new RestoreException(java.util.List.of(S3Connection.ENCRYPTION_KEYS + " is required: the ring whose first key"
                    + " seals the data keys from now on, with the older keys that sealed them"));
        }
        int examined = 0;
        int rewrapped = 0;
        int current = 0;
        int plaintext = 0;
        try (S3Client client = connection.newClient()) {
            for (S3Object object : client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
                examined++;
                HeadObjectResponse head = client.headObject(b -> b.bucket(bucket).key(object.key()));
                Map<String, String> metadata = head.metadata();
                if (!BackupEncryption.encrypted(metadata)) {
                    plaintext++;
                    continue;
                }
                Map<String, String> renewed;
                try {
                    renewed = ring.rewrapped(object.key(), metadata);
                } catch (BackupEncryption.Undecryptable e) {
                    throw new RestoreException(java.util.List.of(e.getMessage()));
                }
                if (renewed == metadata) {
                    current++;
                    continue;
                }
                client.copyObject(b -> b.sourceBucket(bucket).sourceKey(object.key()).destinationBucket(bucket)
                        .destinationKey(object.key()).metadataDirective(MetadataDirective.REPLACE).metadata(renewed)
                        .contentType(head.contentType()));
                rewrapped++;
            }
        } catch (SdkException e) {
            throw new RestoreException("cannot rewrap s3://" + bucket + "/" + prefix + ": " + e.getMessage(), e);
        }
        return new Report(examined, rewrapped, current, plaintext);
    }
}
