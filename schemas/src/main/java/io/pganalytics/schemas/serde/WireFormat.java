package io.pganalytics.schemas.serde;

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
        // By hand rather than ByteBuffer.wrap: this runs once per record on the consumer's hot path.
        return (payload[1] & 0xff) << 24 | (payload[2] & 0xff) << 16 | (payload[3] & 0xff) << 8 | (payload[4] & 0xff);
    }
}
