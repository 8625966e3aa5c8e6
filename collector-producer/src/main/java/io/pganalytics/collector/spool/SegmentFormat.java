package io.pganalytics.collector.spool;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The byte layout of one record in a segment file: {@code int length, int crc32c, payload}, payload =
 * {@code long sequence, long sampledAt, short+utf8 family, short+utf8 topic, short+utf8 key (-1: null),
 * int+bytes value}. The checksum is what tells a record torn by a crash from a whole one.
 */
final class SegmentFormat {

    /** Length and checksum. */
    static final int HEADER_BYTES = 8;
    private static final int FIXED_PAYLOAD_BYTES = 8 + 8 + 2 + 2 + 2 + 4;

    private SegmentFormat() {
    }

    static int sizeOf(SpoolRecord record) {
        return HEADER_BYTES + FIXED_PAYLOAD_BYTES + utf8Length(record.family()) + utf8Length(record.topic())
                + (record.key() == null ? 0 : utf8Length(record.key())) + record.value().length;
    }

    /** Writes one record at the buffer's position; the buffer must have {@link #sizeOf} bytes left. */
    static void write(ByteBuffer out, long sequence, SpoolRecord record) {
        int start = out.position();
        out.position(start + HEADER_BYTES);
        out.putLong(sequence);
        out.putLong(record.sampledAtMillis());
        putString(out, record.family());
        putString(out, record.topic());
        if (record.key() == null) {
            out.putShort((short) -1);
        } else {
            putString(out, record.key());
        }
        out.putInt(record.value().length);
        out.put(record.value());
        int end = out.position();
        CRC32C crc = new CRC32C();
        crc.update(out.array(), out.arrayOffset() + start + HEADER_BYTES, end - start - HEADER_BYTES);
        out.putInt(start, end - start - HEADER_BYTES);
        out.putInt(start + 4, (int) crc.getValue());
    }

    /** A record read back with its sequence number. */
    record Decoded(long sequence, SpoolRecord record) {
    }

    /**
     * Whether {@code payload} (without header) is a whole record whose checksum is {@code crc}; a
     * torn or overwritten tail fails here.
     */
    static boolean intact(byte[] payload, int length, int crc) {
        CRC32C check = new CRC32C();
        check.update(payload, 0, length);
        return (int) check.getValue() == crc;
    }

    static Decoded decode(byte[] payload, int length) {
        ByteBuffer in = ByteBuffer.wrap(payload, 0, length);
        long sequence = in.getLong();
        long sampledAt = in.getLong();
        String family = getString(in);
        String topic = getString(in);
        String key = getString(in);
        byte[] value = new byte[in.getInt()];
        in.get(value);
        return new Decoded(sequence, new SpoolRecord(family, topic, key, value, sampledAt));
    }

    /** The sequence number and family of a record, without materializing its value. */
    static long sequenceOf(byte[] payload) {
        return ByteBuffer.wrap(payload).getLong();
    }

    static String familyOf(byte[] payload) {
        ByteBuffer in = ByteBuffer.wrap(payload);
        in.position(16);
        return getString(in);
    }

    private static void putString(ByteBuffer out, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        out.putShort((short) bytes.length);
        out.put(bytes);
    }

    private static String getString(ByteBuffer in) {
        short length = in.getShort();
        if (length < 0) {
            return null;
        }
        String value = new String(in.array(), in.arrayOffset() + in.position(), length, StandardCharsets.UTF_8);
        in.position(in.position() + length);
        return value;
    }

    private static int utf8Length(String value) {
        int length = value.length();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c >= 0x80) {
                return value.getBytes(StandardCharsets.UTF_8).length;
            }
        }
        return length;
    }
}
