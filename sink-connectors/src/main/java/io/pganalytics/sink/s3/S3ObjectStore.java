package io.pganalytics.sink.s3;

import java.util.Map;
import org.apache.kafka.connect.errors.ConnectException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadBucketRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** {@link ObjectStore} on the AWS SDK v2: any S3-compatible endpoint. */
final class S3ObjectStore implements ObjectStore {

    private final S3Client client;
    private final String bucket;
    private final String where;
    private final BackupEncryption encryption;
    private final S3Connection connection;

    S3ObjectStore(S3Connection connection, String bucket) {
        this.client = connection.newClient();
        this.bucket = bucket;
        this.where = "s3://" + bucket + " at " + connection.describe();
        this.encryption = connection.encryption();
        this.connection = connection;
    }

    @Override
    public void put(String key, byte[] content, Map<String, String> metadata) {
        byte[] body = content;
        Map<String, String> meta = metadata;
        if (encryption != null) {
            BackupEncryption.Sealed sealed = encryption.seal(key, content, metadata);
            body = sealed.content();
            meta = sealed.metadata();
        }
        PutObjectRequest.Builder request = PutObjectRequest.builder().bucket(bucket).key(key).metadata(meta)
                .contentType(encryption != null ? "application/octet-stream" : "application/avro").contentLength((long) body.length);
        if (connection.serverSideEncryption() != null) {
            request.serverSideEncryption(connection.serverSideEncryption());
            if (connection.kmsKeyId() != null) {
                request.ssekmsKeyId(connection.kmsKeyId());
            }
        }
        try {
            client.putObject(request.build(), RequestBody.fromBytes(body));
        } catch (SdkException e) {
            throw classify("cannot upload " + key + " to " + where, e);
        }
    }

    @Override
    public void checkBucket() {
        try {
            client.headBucket(HeadBucketRequest.builder().bucket(bucket).build());
        } catch (SdkException e) {
            throw classify("cannot reach bucket " + where, e);
        }
    }

    /** 5xx, throttling and network failures may pass; a missing bucket or a refusal will not. */
    static RuntimeException classify(String what, SdkException e) {
        if (e instanceof S3Exception s3) {
            int status = s3.statusCode();
            String code = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
            String message = what + ": " + status + (code == null ? "" : " " + code);
            if (status >= 500 || status == 429 || status == 408 || "SlowDown".equals(code)) {
                return new StoreUnavailable(message, e);
            }
            if (status == 404) {
                return new ConnectException(message + " (does the bucket exist?)", e);
            }
            if (status == 403) {
                return new ConnectException(message + " (check " + S3Connection.ACCESS_KEY_ID + " and "
                        + S3Connection.SECRET_ACCESS_KEY + ", or the default credentials, and the bucket policy)", e);
            }
            return new ConnectException(message, e);
        }
        if (e instanceof SdkClientException) {
            return new StoreUnavailable(what + ": " + e.getMessage(), e);
        }
        return new StoreUnavailable(what + ": " + e.getMessage(), e);
    }

    @Override
    public void close() {
        client.close();
    }
}
