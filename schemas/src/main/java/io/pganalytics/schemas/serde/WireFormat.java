package io.pganalytics.schemas.serde;

import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Confluent's wire format: magic byte 0, a 4-byte big-endian schema id, then the Avro binary body.
 */
public final class WireFormat {

    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_BYTES = 5;

    private WireFormat() {
    }

    /** The schema id of a framed payload; throws when the frame is not Confluent's. */
    public static int schemaId(byte[] payload) {
        if (payload.length < HEADER_BYTES) {
            throw new SerializationException("not Confluent wire format: " + payload.length + " bytes, need at least 5");
        }
        if (payload[0] != MAGIC_BYTE) {
            throw new SerializationException("Unknown magic byte " + payload[0] + ": not Confluent wire format");
        }
        return ByteBuffer.wrap(payload, 1, 4).getInt();
    }
}
