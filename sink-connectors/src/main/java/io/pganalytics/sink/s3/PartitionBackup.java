package io.pganalytics.sink.s3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.TopicPartition;

/**
 * The backup of one topic partition inside a task: the object being filled, the objects finished but not yet
 * uploaded, and the offset that is safe to commit.
 *
 * <p>Every boundary between objects is decided when the record that starts the next object arrives, from that record
 * alone (its window, its schema, the count so far), never from the wall clock or from how Connect batched the
 * records. So, replayed from a committed offset, a partition yields the same objects under the same names, and a
 * re-upload overwrites an object with identical content: exactly once in S3. It also means every object knows where
 * its successor starts ({@link BackupFormat#META_NEXT_OFFSET}), which lets a restore notice a missing object. The
 * price: the last records of a partition that receives nothing more stay in memory, uncommitted, until it does.
 */
final class PartitionBackup {

    /** One record as the backup stores it: the value is the Avro body of the wire format (no header). */
    record Entry(long offset, Long timestampMs, String key, int schemaId, Schema valueSchema, byte[] payload,
                 int bodyOffset) {
    }

    /** A finished object waiting for its upload. */
    record FinishedObject(String key, byte[] content, Map<String, String> metadata, long nextOffset, int records) {
    }

    private final TopicPartition partition;
    private final String prefix;
    private final int flushSize;
    private final long rotateIntervalMs;
    private final CodecFactory codec;
    private final Deque<FinishedObject> finished = new ArrayDeque<>();
    private OpenObject open;
    /** Records below this offset were taken already (Connect hands a batch again after a retriable failure). */
    private long nextExpectedOffset = -1;
    /** The offset to commit: every record before it is in an uploaded object. -1 until the first upload. */
    private long committableOffset = -1;

    PartitionBackup(TopicPartition partition, String prefix, int flushSize, long rotateIntervalMs, CodecFactory codec) {
        this.partition = partition;
        this.prefix = prefix;
        this.flushSize = flushSize;
        this.rotateIntervalMs = rotateIntervalMs;
        this.codec = codec;
    }

    /** Whether this record was taken already (a redelivery of the same batch). */
    boolean alreadyTaken(long offset) {
        return nextExpectedOffset >= 0 && offset < nextExpectedOffset;
    }

    /** Takes one record: finishes the open object first when the record belongs in a new one. */
    void add(Entry entry) {
        if (alreadyTaken(entry.offset())) {
            return;
        }
        if (open != null && open.mustRotateFor(entry)) {
            finished.add(open.finish(entry.offset()));
            open = null;
        }
        if (open == null) {
            open = new OpenObject(entry);
        }
        open.append(entry);
        nextExpectedOffset = entry.offset() + 1;
    }

    /** Marks a record as handled without backing it up (it went to the dead letter queue). */
    void skip(long offset) {
        if (!alreadyTaken(offset)) {
            nextExpectedOffset = offset + 1;
        }
    }

    /** Objects finished and not yet uploaded, oldest first. */
    Deque<FinishedObject> finished() {
        return finished;
    }

    /** Called once the oldest finished object is stored. */
    void uploaded(FinishedObject object) {
        if (finished.peekFirst() != object) {
            throw new IllegalStateException("uploads must happen in order");
        }
        finished.removeFirst();
        committableOffset = object.nextOffset();
    }

    long committableOffset() {
        return committableOffset;
    }

    int bufferedRecords() {
        return (open == null ? 0 : open.count) + finished.stream().mapToInt(FinishedObject::records).sum();
    }

    TopicPartition partition() {
        return partition;
    }

    private long window(Long timestampMs) {
        return timestampMs == null ? Long.MIN_VALUE : Math.floorDiv(timestampMs, rotateIntervalMs);
    }

    /** The object being filled, encoded and compressed as records arrive. */
    private final class OpenObject {

        private final long firstOffset;
        private final long firstTimestampMs;
        private final long window;
        private final int schemaId;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * 1024);
        private final DataFileWriter<Object> writer;
        private final ByteArrayOutputStream recordBytes = new ByteArrayOutputStream(512);
        private BinaryEncoder encoder;
        private long lastOffset;
        private long minTimestamp = Long.MAX_VALUE;
        private long maxTimestamp = Long.MIN_VALUE;
        private int count;

        OpenObject(Entry first) {
            this.firstOffset = first.offset();
            this.firstTimestampMs = first.timestampMs() == null ? 0 : first.timestampMs();
            this.window = window(first.timestampMs());
            this.schemaId = first.schemaId();
            this.writer = new DataFileWriter<>(new GenericDatumWriter<>());
            writer.setCodec(codec);
            try {
                // Avro picks a random sync marker by default; one derived from the object's name makes a re-upload
                // byte-for-byte the same object.
                writer.create(BackupFormat.recordSchema(first.valueSchema()), bytes, syncMarker(firstOffset));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** A tombstone fits any object; a value needs the object's schema. */
        boolean mustRotateFor(Entry entry) {
            return count >= flushSize
                    || window(entry.timestampMs()) != window
                    || (entry.payload() != null && entry.schemaId() != schemaId);
        }

        /** Writes the record as BackupRecord's binary encoding, with the value's Avro body copied as it came. */
        void append(Entry entry) {
            recordBytes.reset();
            encoder = EncoderFactory.get().directBinaryEncoder(recordBytes, encoder);
            try {
                encoder.writeLong(entry.offset());
                if (entry.timestampMs() == null) {
                    encoder.writeIndex(0);
                } else {
                    encoder.writeIndex(1);
                    encoder.writeLong(entry.timestampMs());
                }
                if (entry.key() == null) {
                    encoder.writeIndex(0);
                } else {
                    encoder.writeIndex(1);
                    encoder.writeString(entry.key());
                }
                if (entry.payload() == null) {
                    encoder.writeIndex(0);
                } else {
                    encoder.writeIndex(1);
                    encoder.writeFixed(entry.payload(), entry.bodyOffset(), entry.payload().length - entry.bodyOffset());
                }
                encoder.flush();
                writer.appendEncoded(ByteBuffer.wrap(recordBytes.toByteArray()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            lastOffset = entry.offset();
            if (entry.timestampMs() != null) {
                minTimestamp = Math.min(minTimestamp, entry.timestampMs());
                maxTimestamp = Math.max(maxTimestamp, entry.timestampMs());
            }
            count++;
        }

        FinishedObject finish(long nextOffset) {
            try {
                writer.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            byte[] content = bytes.toByteArray();
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put(BackupFormat.META_FORMAT, BackupFormat.FORMAT_VERSION);
            metadata.put(BackupFormat.META_RECORD_COUNT, Integer.toString(count));
            metadata.put(BackupFormat.META_FIRST_OFFSET, Long.toString(firstOffset));
            metadata.put(BackupFormat.META_LAST_OFFSET, Long.toString(lastOffset));
            metadata.put(BackupFormat.META_NEXT_OFFSET, Long.toString(nextOffset));
            if (count > 0 && minTimestamp != Long.MAX_VALUE) {
                metadata.put(BackupFormat.META_MIN_TIMESTAMP, Long.toString(minTimestamp));
                metadata.put(BackupFormat.META_MAX_TIMESTAMP, Long.toString(maxTimestamp));
            }
            metadata.put(BackupFormat.META_SCHEMA_ID, Integer.toString(schemaId));
            metadata.put(BackupFormat.META_SHA256, sha256(content));
            String key = BackupFormat.objectKey(prefix, partition.topic(), partition.partition(), firstOffset,
                    firstTimestampMs);
            return new FinishedObject(key, content, metadata, nextOffset, count);
        }
    }

    private byte[] syncMarker(long startOffset) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(BackupFormat.fileName(partition.topic(),
                    partition.partition(), startOffset).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.Arrays.copyOf(digest, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
