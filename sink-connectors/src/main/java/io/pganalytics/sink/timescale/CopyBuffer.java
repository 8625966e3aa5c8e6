package io.pganalytics.sink.timescale;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable byte buffer holding one batch in PostgreSQL's binary {@code COPY} format (header, tuples, trailer), big
 * endian as the format requires. Not thread-safe; reused batch after batch.
 */
final class CopyBuffer {

    /** "PGCOPY\n\377\r\n\0", then flags and header-extension length (both 0). */
    private static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};

    private byte[] bytes;
    private int size;

    CopyBuffer(int initialCapacity) {
        bytes = new byte[Math.max(initialCapacity, 64)];
    }

    void reset() {
        size = 0;
    }

    void header() {
        put(HEADER);
    }

    void startTuple(int fields) {
        putShort((short) fields);
    }

    void trailer() {
        putShort((short) -1);
    }

    byte[] array() {
        return bytes;
    }

    int size() {
        return size;
    }

    void put(byte b) {
        ensure(1);
        bytes[size++] = b;
    }

    void put(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, bytes, size, b.length);
        size += b.length;
    }

    void putShort(short v) {
        ensure(2);
        bytes[size++] = (byte) (v >>> 8);
        bytes[size++] = (byte) v;
    }

    void putInt(int v) {
        ensure(4);
        bytes[size++] = (byte) (v >>> 24);
        bytes[size++] = (byte) (v >>> 16);
        bytes[size++] = (byte) (v >>> 8);
        bytes[size++] = (byte) v;
    }

    void putLong(long v) {
        ensure(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            bytes[size++] = (byte) (v >>> shift);
        }
    }

    /** A length-prefixed UTF-8 string, optionally preceded (inside the length) by jsonb's version byte 1. */
    void putLengthPrefixedUtf8(String s, boolean jsonbVersion) {
        int start = size;
        putInt(0); // patched below
        if (jsonbVersion) {
            put((byte) 1);
        }
        int n = s.length();
        boolean ascii = true;
        ensure(n);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                ascii = false;
                break;
            }
            bytes[size + i] = (byte) c;
        }
        if (ascii) {
            size += n;
        } else {
            put(s.getBytes(StandardCharsets.UTF_8));
        }
        int length = size - start - 4;
        bytes[start] = (byte) (length >>> 24);
        bytes[start + 1] = (byte) (length >>> 16);
        bytes[start + 2] = (byte) (length >>> 8);
        bytes[start + 3] = (byte) length;
    }

    private void ensure(int more) {
        if (size + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
        }
    }
}
