package io.pganalytics.sink.s3;

import java.util.Map;

/**
 * Where the backup sink puts finished objects: the seam between the task's buffering and the S3 SDK, so that the
 * rotation and commit rules are tested without a store.
 */
interface ObjectStore extends AutoCloseable {

    /**
     * Writes (or overwrites) one object with its user metadata.
     *
     * @throws StoreUnavailable when the store may accept the same request later (network, 5xx, throttling)
     * @throws org.apache.kafka.connect.errors.ConnectException when it never will (no such bucket, access denied)
     */
    void put(String key, byte[] content, Map<String, String> metadata);

    /** Checks the bucket exists; throws as {@link #put} does. */
    void checkBucket();

    @Override
    void close();

    /** A failure worth retrying. */
    final class StoreUnavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StoreUnavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
