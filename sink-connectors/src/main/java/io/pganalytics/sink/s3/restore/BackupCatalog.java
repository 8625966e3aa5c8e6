package io.pganalytics.sink.s3.restore;

import io.pganalytics.sink.s3.BackupFormat;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The objects of a backup: listed under the prefix, described by their metadata (one HEAD each), grouped by topic
 * partition in offset order, and checked for gaps: each object names where its successor starts, so an object
 * missing from the middle of a partition is found and named.
 */
final class BackupCatalog {

    private final S3Client client;
    private final RestoreRequest request;

    BackupCatalog(S3Client client, RestoreRequest request) {
        this.client = client;
        this.request = request;
    }

    /** Every topic that has objects under the prefix (the audit trail's checkpoints, which lie beside them, aside). */
    List<String> topics() {
        String root = request.prefix().isEmpty() ? "" : request.prefix() + "/";
        String checkpoints = io.pganalytics.schemas.audit.AuditChain.CHECKPOINT_PREFIX.substring(0,
                io.pganalytics.schemas.audit.AuditChain.CHECKPOINT_PREFIX.indexOf('/'));
        List<String> topics = new ArrayList<>();
        client.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(request.bucket()).prefix(root)
                        .delimiter("/").build())
                .commonPrefixes().forEach(p -> topics.add(p.prefix().substring(root.length(), p.prefix().length() - 1)));
        topics.remove(checkpoints);
        return topics;
    }

    /**
     * The objects of these topics that may hold records in the time range, per topic partition in offset order.
     * Problems (a foreign object, lost metadata, a gap) are added to {@code problems}.
     */
    Map<String, List<BackupObject>> objects(List<String> topics, List<String> problems) {
        Map<String, List<BackupObject>> byPartition = new TreeMap<>();
        for (String topic : topics) {
            String topicPrefix = BackupFormat.topicPrefix(request.prefix(), topic);
            for (S3Object listed : client.listObjectsV2Paginator(ListObjectsV2Request.builder()
                    .bucket(request.bucket()).prefix(topicPrefix).build()).contents()) {
                Optional<BackupFormat.ObjectName> name = BackupFormat.parse(listed.key());
                if (name.isEmpty() || !name.get().topic().equals(topic)) {
                    problems.add(listed.key() + ": not named like a backup object (<topic>/dt=YYYY-MM-DD/hour=HH/"
                            + "<topic>+<partition>+<startOffset>.avro)");
                    continue;
                }
                HeadObjectResponse head = client.headObject(HeadObjectRequest.builder().bucket(request.bucket())
                        .key(listed.key()).build());
                BackupObject object = new BackupObject(name.get(), listed.size(), head.metadata());
                String problem = object.metadataProblem();
                if (problem != null) {
                    problems.add(problem);
                    continue;
                }
                byPartition.computeIfAbsent(object.partitionName(), p -> new ArrayList<>()).add(object);
            }
        }
        Map<String, List<BackupObject>> selected = new LinkedHashMap<>();
        for (Map.Entry<String, List<BackupObject>> partition : byPartition.entrySet()) {
            List<BackupObject> chain = partition.getValue().stream()
                    .sorted(Comparator.comparingLong(o -> o.name().startOffset())).toList();
            checkChain(chain, problems);
            List<BackupObject> inRange = chain.stream().filter(this::mayHoldRecordsInRange).collect(Collectors.toList());
            if (!inRange.isEmpty()) {
                selected.put(partition.getKey(), inRange);
            }
        }
        return selected;
    }

    /** A gap between two objects fails the restore when the records lost in it could be in the time range. */
    private void checkChain(List<BackupObject> chain, List<String> problems) {
        for (int i = 1; i < chain.size(); i++) {
            BackupObject previous = chain.get(i - 1);
            BackupObject next = chain.get(i);
            long expected = previous.nextOffset();
            long actual = next.name().startOffset();
            if (expected == actual) {
                continue;
            }
            BackupFormat.ObjectName name = previous.name();
            if (expected < actual) {
                boolean relevant = !previous.hasTimestamps() || !next.hasTimestamps()
                        || request.overlaps(previous.minTimestamp(), next.maxTimestamp());
                if (relevant) {
                    problems.add("missing object " + BackupFormat.fileName(name.topic(), name.partition(), expected)
                            + ": offsets " + expected + ".." + (actual - 1) + " of " + previous.partitionName()
                            + " are in no object (" + previous.key() + " says the next object starts at " + expected
                            + ", the next one found is " + next.key() + ")");
                }
            } else {
                problems.add(next.key() + " overlaps " + previous.key() + " (which ends before offset " + expected
                        + "): the backup was written by two sinks with different settings, or altered");
            }
        }
    }

    private boolean mayHoldRecordsInRange(BackupObject object) {
        if (!object.hasTimestamps()) {
            return true; // records without timestamps; the record filter decides
        }
        return request.overlaps(object.minTimestamp(), object.maxTimestamp());
    }
}
