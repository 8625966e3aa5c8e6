package io.pganalytics.sink.s3.restore;

import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code pganalytics restore}: replays a time range of a backup written by the S3 backup sink into Kafka or into the
 * metrics store.
 *
 * <p>Three passes. First the catalog: every object of the selected topics is listed and its metadata read, and a
 * partition whose chain of objects has a gap names the missing object. Then every selected object is read and checked
 * (SHA-256, record count, offsets) before anything is written, so a corrupt object fails the run with nothing
 * restored. Then the objects are read again and replayed, partition by partition in offset order, keeping the
 * records whose Kafka timestamp is in the range. The records restored are counted against what the target
 * acknowledged.
 */
public final class Restore {

    private static final Logger LOG = LoggerFactory.getLogger(Restore.class);

    private final RestoreConfig config;
    private final Function<RestoreRequest, RestoreTarget> targets;

    public Restore(RestoreConfig config) {
        this(config, request -> switch (request.target()) {
            case KAFKA -> new KafkaRestoreTarget(config, request.topicPrefix());
            case DATABASE -> new DatabaseRestoreTarget(config);
            case CONTROL_PLANE -> new ControlPlaneRestoreTarget(config, request.to(), null);
        });
    }

    Restore(RestoreConfig config, Function<RestoreRequest, RestoreTarget> targets) {
        this.config = config;
        this.targets = targets;
    }

    /**
     * Recovers the control plane as it was at {@code request.to()} into the empty database of {@code connection.url}
     * (point-in-time recovery, docs/audit.md), verifying the audit chain up to then against the bucket's checkpoints
     * (their signatures with {@code publicKey} when given).
     */
    public ControlPlaneRestoreTarget.Recovery recoverControlPlane(RestoreRequest request, java.security.PublicKey publicKey,
                                                                RestoreProgress progress) {
        if (request.target() != RestoreRequest.Target.CONTROL_PLANE || request.to() == null) {
            throw new IllegalArgumentException("a control-plane recovery needs Target.CONTROL_PLANE and a time");
        }
        config.requireFor(request.target());
        ControlPlaneRestoreTarget[] target = new ControlPlaneRestoreTarget[1];
        try (S3Client client = config.s3().newClient()) {
            target[0] = new ControlPlaneRestoreTarget(config, request.to(),
                    new ControlPlaneRestoreTarget.Checkpoints(client, request.bucket(), publicKey));
            new Restore(config, r -> target[0]).run(client, request, progress);
            return target[0].recovery();
        } catch (SdkException e) {
            throw new RestoreException("cannot read " + request.location() + " at " + config.s3().describe() + ": "
                    + e.getMessage(), e);
        }
    }

    /** Runs the restore; throws {@link RestoreException} naming every missing or corrupt object it found. */
    public RestoreReport run(RestoreRequest request, RestoreProgress progress) {
        config.requireFor(request.target());
        try (S3Client client = config.s3().newClient()) {
            return run(client, request, progress);
        } catch (SdkException e) {
            throw new RestoreException("cannot read " + request.location() + " at " + config.s3().describe() + ": "
                    + e.getMessage(), e);
        }
    }

    private RestoreReport run(S3Client client, RestoreRequest request, RestoreProgress progress) {
        BackupCatalog catalog = new BackupCatalog(client, request);
        List<String> inBackup = catalog.topics();
        List<String> problems = new ArrayList<>();
        List<String> topics = selectTopics(request, inBackup, problems);
        if (topics.isEmpty()) {
            problems.add("nothing to restore: no " + (request.target() == RestoreRequest.Target.DATABASE
                    ? "pga.metrics.* or pga.rollups.* topic" : "topic") + " has objects under " + request.location());
        }
        Map<String, List<BackupObject>> objects = catalog.objects(topics, problems);
        if (!problems.isEmpty()) {
            throw new RestoreException(problems);
        }
        List<BackupObject> all = objects.values().stream().flatMap(List::stream).toList();
        long planned = all.stream().mapToLong(BackupObject::recordCount).sum();
        LOG.info("Restoring from {}: {} objects of {} partitions, {} records before the time filter", request.location(),
                all.size(), objects.size(), planned);

        BackupObjectReader reader = new BackupObjectReader(client, request.bucket(), config.s3().encryption());
        for (BackupObject object : all) {
            try {
                reader.read(object);
            } catch (RestoreException e) {
                problems.addAll(e.problems());
            }
        }
        if (!problems.isEmpty()) {
            throw new RestoreException(problems);
        }

        progress.planned(all.size(), planned);
        int objectsDone = 0;
        long read = 0;
        long restored = 0;
        Map<String, Long> perTopic = new TreeMap<>();
        try (RestoreTarget target = targets.apply(request)) {
            for (BackupObject object : all) {
                List<BackupEntry> entries = reader.read(object);
                List<BackupEntry> inRange = entries.stream().filter(e -> request.inRange(e.timestampMs())).toList();
                target.write(inRange);
                read += entries.size();
                restored += inRange.size();
                if (!inRange.isEmpty()) {
                    perTopic.merge(object.name().topic(), (long) inRange.size(), Long::sum);
                }
                objectsDone++;
                progress.advanced(objectsDone, read, restored);
            }
            long acknowledged = target.finish();
            if (acknowledged != restored) {
                throw new RestoreException(List.of("the target acknowledged " + acknowledged + " of " + restored
                        + " restored records"));
            }
        }
        if (read != planned) {
            throw new RestoreException(List.of("read " + read + " records, the objects' metadata says " + planned));
        }
        LOG.info("Restored {} records ({} read) from {} objects of {}", restored, read, objectsDone, request.location());
        return new RestoreReport(objectsDone, read, restored, perTopic);
    }

    /** The requested topics (each must be in the backup), or the backup's topics (for the database: metrics topics). */
    static List<String> selectTopics(RestoreRequest request, List<String> inBackup, List<String> problems) {
        if (!request.topics().isEmpty()) {
            for (String topic : request.topics()) {
                if (!inBackup.contains(topic)) {
                    problems.add("--topics: " + topic + " has no objects under " + request.location()
                            + (inBackup.isEmpty() ? " (no topics there)" : " (topics there: " + String.join(", ", inBackup) + ")"));
                }
            }
            return request.topics();
        }
        if (request.target() == RestoreRequest.Target.CONTROL_PLANE) {
            return inBackup.stream().filter(t -> t.startsWith(io.pganalytics.schemas.Topics.controlChanges(""))
                    || t.equals(io.pganalytics.schemas.Topics.AUDIT_LOG)).toList();
        }
        if (request.target() == RestoreRequest.Target.DATABASE) {
            // The metrics store holds the validated topics and the rollups; raw samples have no table.
            List<String> metricsTopics = MetricFamilies.all().stream()
                    .flatMap(family -> java.util.stream.Stream.concat(java.util.stream.Stream.of(family.metricsTopic()),
                            java.util.Arrays.stream(io.pganalytics.schemas.Topics.Resolution.values()).map(family::rollupTopic)))
                    .toList();
            return inBackup.stream().filter(metricsTopics::contains).toList();
        }
        return inBackup;
    }
}
