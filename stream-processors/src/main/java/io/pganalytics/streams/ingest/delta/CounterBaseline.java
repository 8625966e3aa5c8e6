package io.pganalytics.streams.ingest.delta;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The sample a series' next deltas are computed against: its time, counters and reset markers.
 *
 * <p>Stored by field name, not position, so that a family's schema gaining or losing a counter
 * does not make the stored baselines unreadable: a counter the baseline lacks simply has no delta yet.
 *
 * @param sampledAtMicros the baseline sample's {@code sampledAt}
 * @param seenAtMillis    the record timestamp it arrived with; idle series are forgotten by it
 * @param counters        counter name to value ({@code Long}, {@code Double} or null)
 * @param resets          reset-marker name to value (micros, or null)
 */
public record CounterBaseline(long sampledAtMicros, long seenAtMillis, Map<String, Object> counters,
        Map<String, Long> resets) {

    private static final byte NULL = 0;
    private static final byte LONG = 1;
    private static final byte DOUBLE = 2;
    private static final byte FORMAT = 1;

    /** The store serde: a small versioned binary format, internal to the ingest topology. */
    public static Serde<CounterBaseline> serde() {
        Serializer<CounterBaseline> serializer = (topic, baseline) -> baseline == null ? null : baseline.toBytes();
        Deserializer<CounterBaseline> deserializer = (topic, bytes) -> bytes == null ? null : fromBytes(bytes);
        return Serdes.serdeFrom(serializer, deserializer);
    }

    byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + counters.size() * 24);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeLong(sampledAtMicros);
            out.writeLong(seenAtMillis);
            out.writeShort(counters.size());
            for (Map.Entry<String, Object> counter : counters.entrySet()) {
                out.writeUTF(counter.getKey());
                if (counter.getValue() instanceof Long value) {
                    out.writeByte(LONG);
                    out.writeLong(value);
                } else if (counter.getValue() instanceof Double value) {
                    out.writeByte(DOUBLE);
                    out.writeDouble(value);
                } else {
                    out.writeByte(NULL);
                }
            }
            out.writeShort(resets.size());
            for (Map.Entry<String, Long> reset : resets.entrySet()) {
                out.writeUTF(reset.getKey());
                if (reset.getValue() == null) {
                    out.writeByte(NULL);
                } else {
                    out.writeByte(LONG);
                    out.writeLong(reset.getValue());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static CounterBaseline fromBytes(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte format = in.readByte();
            if (format != FORMAT) {
                throw new IllegalStateException("counter baseline format " + format + " is unknown to this version");
            }
            long sampledAt = in.readLong();
            long seenAt = in.readLong();
            int n = in.readShort();
            Map<String, Object> counters = new LinkedHashMap<>(n * 2);
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                byte tag = in.readByte();
                counters.put(name, tag == LONG ? (Object) in.readLong() : tag == DOUBLE ? (Object) in.readDouble() : null);
            }
            int m = in.readShort();
            Map<String, Long> resets = new LinkedHashMap<>(m * 2);
            for (int i = 0; i < m; i++) {
                String name = in.readUTF();
                resets.put(name, in.readByte() == LONG ? in.readLong() : null);
            }
            return new CounterBaseline(sampledAt, seenAt, counters, resets);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
