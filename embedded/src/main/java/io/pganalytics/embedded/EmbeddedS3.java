package io.pganalytics.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An S3-compatible object store (s3proxy on its filesystem blob store) for the archive sink in the quickstart and in
 * tests: each bucket is a directory under {@code <dataDir>/blobs}, each object a file, so objects survive restarts.
 *
 * <p>Clients must use path-style addressing ({@code forcePathStyle(true)} in the AWS SDK): the endpoint is an IP
 * address, so there is no host name to put a bucket in front of.
 */
public final class EmbeddedS3 implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedS3.class);

    private static final String HOST = "127.0.0.1";
    /** s3proxy signs and checks requests for this region; any SDK region works, but this is the one it reports. */
    private static final String REGION = "us-east-1";
    /** Jetty waits this long for in-flight requests on stop; the default (none configured) can hang on idle clients. */
    private static final long STOP_TIMEOUT_MILLIS = 2_000;

    private final S3Proxy proxy;
    private final Path dataDir;
    private final String accessKey;
    private final String secretKey;
    private boolean closed;

    private EmbeddedS3(S3Proxy proxy, Path dataDir, String accessKey, String secretKey) {
        this.proxy = proxy;
        this.dataDir = dataDir;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The endpoint URL for S3 clients, e.g. {@code http://127.0.0.1:9000}. */
    public String endpoint() {
        return "http://" + HOST + ":" + port();
    }

    /** The port s3proxy listens on (on 127.0.0.1). */
    public int port() {
        return proxy.getPort();
    }

    /** The access key id clients sign requests with. */
    public String accessKey() {
        return accessKey;
    }

    /** The secret key clients sign requests with. */
    public String secretKey() {
        return secretKey;
    }

    /** The region to configure clients with. */
    public String region() {
        return REGION;
    }

    /** The directory holding one sub-directory per bucket. */
    public Path blobDir() {
        return dataDir.resolve("blobs");
    }

    /** Stops the HTTP server; objects stay on disk. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        String endpoint = endpoint();
        long start = System.nanoTime();
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("Cannot stop s3proxy on " + endpoint + ": " + e.getMessage(), e);
        }
        LOG.info("S3 store on {} stopped in {} ms", endpoint, elapsedMillis(start));
    }

    @Override
    public String toString() {
        return "EmbeddedS3[" + endpoint() + ", " + dataDir + "]";
    }

    private static long elapsedMillis(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /** Configures and starts an {@link EmbeddedS3}. */
    public static final class Builder {

        private Path dataDir;
        private int port;
        private String accessKey = "pganalytics";
        private String secretKey = "pganalytics-secret";

        private Builder() {
        }

        /** The directory for buckets and objects; required. Created if missing. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
            return this;
        }

        /** The port on 127.0.0.1; 0 (the default) picks a free one. */
        public Builder port(int port) {
            this.port = FreePorts.check(port);
            return this;
        }

        /** The credentials clients must sign with; defaults to {@code pganalytics} / {@code pganalytics-secret}. */
        public Builder credentials(String accessKey, String secretKey) {
            this.accessKey = Objects.requireNonNull(accessKey, "accessKey");
            this.secretKey = Objects.requireNonNull(secretKey, "secretKey");
            return this;
        }

        /** Starts s3proxy and returns once it accepts requests. */
        public EmbeddedS3 start() {
            if (dataDir == null) {
                throw new IllegalStateException("EmbeddedS3.builder().dataDir(...) is required");
            }
            long start = System.nanoTime();
            Path dir = dataDir.toAbsolutePath();
            Path blobs = dir.resolve("blobs");
            try {
                // The filesystem blob store refuses a base directory that does not exist.
                Files.createDirectories(blobs);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot create S3 data directory " + blobs, e);
            }
            S3Proxy proxy = S3Proxy.builder()
                    .blobStore(new FilesystemNio2BlobStore(blobs.toString()))
                    // Port 0 is bound by Jetty itself, so there is no window in which another process can take it.
                    .endpoint(URI.create("http://" + HOST + ":" + port))
                    // Signed requests, as against real S3: a client misconfigured for anonymous access fails here too.
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                    .stopTimeout(STOP_TIMEOUT_MILLIS)
                    .build();
            try {
                proxy.start();
            } catch (Exception e) {
                throw new IllegalStateException("Cannot start s3proxy on " + HOST + ":" + port + ": " + e.getMessage(), e);
            }
            EmbeddedS3 s3 = new EmbeddedS3(proxy, dir, accessKey, secretKey);
            LOG.info("S3 store started on {} in {} ms, data in {}", s3.endpoint(), elapsedMillis(start), blobs);
            return s3;
        }
    }
}
