package io.pganalytics.sink.s3.restore;

import io.pganalytics.sink.s3.BackupEncryption;
import io.pganalytics.sink.s3.BackupFormat;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.file.SeekableByteArrayInput;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Reads one backup object whole and checks it against its metadata: the SHA-256 of the content, then the number of
 * records and the offsets; any mismatch names the object.
 */
final class BackupObjectReader {

    private final S3Client client;
    private final String bucket;
    private final BackupEncryption encryption;

    /** @param encryption the ring that opens encrypted objects, or null (an encrypted object then fails, naming its key) */
    BackupObjectReader(S3Client client, String bucket, BackupEncryption encryption) {
        this.client = client;
        this.bucket = bucket;
        this.encryption = encryption;
    }

    List<BackupEntry> read(BackupObject object) {
        byte[] content;
        try {
            content = client.getObjectAsBytes(GetObjectRequest.builder().bucket(bucket).key(object.key()).build())
                    .asByteArray();
        } catch (NoSuchKeyException e) {
            throw new RestoreException("missing object " + object.key() + ": listed, then gone when read", e);
        } catch (SdkException e) {
            throw new RestoreException("cannot read " + object.key() + ": " + e.getMessage(), e);
        }
        try {
            content = BackupEncryption.open(encryption, object.key(), content, object.metadata());
        } catch (BackupEncryption.Undecryptable e) {
            throw new RestoreException(List.of(e.getMessage()));
        }
        String expectedSha = object.metadata().get(BackupFormat.META_SHA256);
        String actualSha = sha256(content);
        if (!actualSha.equalsIgnoreCase(expectedSha.trim())) {
            throw new RestoreException(List.of("corrupt object " + object.key() + ": its content (" + content.length
                    + " bytes) does not match the SHA-256 written with it"));
        }
        List<BackupEntry> entries = new ArrayList<>();
        try (DataFileReader<GenericRecord> reader = new DataFileReader<>(new SeekableByteArrayInput(content),
                new GenericDatumReader<>())) {
            Schema valueSchema = BackupFormat.valueSchema(reader.getSchema());
            for (GenericRecord record : reader) {
                Object timestamp = record.get(BackupFormat.TIMESTAMP);
                Object key = record.get(BackupFormat.KEY);
                Object value = record.get(BackupFormat.VALUE);
                entries.add(new BackupEntry(object.name().topic(), object.name().partition(),
                        (Long) record.get(BackupFormat.OFFSET), timestamp == null ? null : ((Number) timestamp).longValue(),
                        key == null ? null : key.toString(), value == null ? null : valueSchema, value));
            }
        } catch (IOException | AvroRuntimeException | IllegalArgumentException | ClassCastException e) {
            throw new RestoreException("corrupt object " + object.key() + ": not a readable Avro backup file (" + e
                    + ")", e);
        }
        if (entries.size() != object.recordCount()) {
            throw new RestoreException(List.of("object " + object.key() + " holds " + entries.size()
                    + " records, its metadata says " + object.recordCount()));
        }
        long first = Long.parseLong(object.metadata().getOrDefault(BackupFormat.META_FIRST_OFFSET,
                String.valueOf(object.name().startOffset())).trim());
        long last = Long.parseLong(object.metadata().get(BackupFormat.META_LAST_OFFSET).trim());
        if (!entries.isEmpty() && (entries.get(0).offset() != first || entries.get(entries.size() - 1).offset() != last
                || first != object.name().startOffset())) {
            throw new RestoreException(List.of("object " + object.key() + " holds offsets " + entries.get(0).offset()
                    + ".." + entries.get(entries.size() - 1).offset() + ", its name and metadata say " + first + ".."
                    + last));
        }
        return entries;
    }

    private static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
