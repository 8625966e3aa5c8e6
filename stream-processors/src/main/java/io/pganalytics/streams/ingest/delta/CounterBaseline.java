package io.pganalytics.streams.ingest.delta;

import java.nio.ByteBuffer;
import java.util.List;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.ByteUtils;

/**
 * The sample a series' next deltas are computed against: its time, counters and reset markers, in
 * the order of the family's counter and reset fields.
 *
 * <p>Every baseline is written to the changelog once per sample, so the stored form is compact:
 * values by position (variable-length longs), behind a fingerprint of the field names. A baseline
 * stored under another version of the family's schema (a counter added or removed) has another
 * fingerprint and reads as absent: that series' next sample starts a new baseline ({@code first}),
 * one lost delta per series on a schema change rather than a delta between the wrong fields.
 *
 * @param sampledAtMicros the baseline sample's {@code sampledAt}
 * @param seenAtMillis    the record timestamp it arrived with; idle series are forgotten by it
 * @param counters        counter values by position ({@code Long}, {@code Double} or null)
 * @param resets          reset-marker values by position (micros, or null)
 */
public record CounterBaseline(long sampledAtMicros, long seenAtMillis, Object[] counters, Long[] resets) {

    private static final byte NULL = 0;
    private static final byte LONG = 1;
    private static final byte DOUBLE = 2;
    private static final byte FORMAT = 2;

    /** The fingerprint of a family's counter and reset field names, in order. */
    public static long fingerprint(List<String> counters, List<String> resets) {
        long hash = 1125899906842597L;
        for (String name : counters) {
            hash = 31 * hash + name.hashCode();
        }
        hash = 31 * hash + '|';
        for (String name : resets) {
            hash = 31 * hash + name.hashCode();
        }
        return hash;
    }

    /** The store serde of the baselines of a family with these counter and reset fields, in schema order. */
    public static Serde<CounterBaseline> serde(List<String> counterNames, List<String> resetNames) {
        long fingerprint = fingerprint(counterNames, resetNames);
        int counterCount = counterNames.size();
        int resetCount = resetNames.size();
        Serializer<CounterBaseline> serializer = (topic, baseline) -> baseline == null ? null : baseline.toBytes(fingerprint);
        Deserializer<CounterBaseline> deserializer = (topic, bytes) -> bytes == null ? null
                : fromBytes(bytes, fingerprint, counterCount, resetCount);
        return Serdes.serdeFrom(serializer, deserializer);
    }

    byte[] toBytes(long fingerprint) {
        ByteBuffer out = ByteBuffer.allocate(1 + 8 + 10 + 10 + counters.length * 11 + resets.length * 11);
        out.put(FORMAT).putLong(fingerprint);
        ByteUtils.writeVarlong(sampledAtMicros, out);
        ByteUtils.writeVarlong(seenAtMillis, out);
        for (Object counter : counters) {
            if (counter instanceof Long value) {
                out.put(LONG);
                ByteUtils.writeVarlong(value, out);
            } else if (counter instanceof Double value) {
                out.put(DOUBLE).putDouble(value);
            } else {
                out.put(NULL);
            }
        }
        for (Long reset : resets) {
            if (reset == null) {
                out.put(NULL);
            } else {
                out.put(LONG);
                ByteUtils.writeVarlong(reset, out);
            }
        }
        byte[] bytes = new byte[out.position()];
        out.flip().get(bytes);
        return bytes;
    }

    /** The baseline, or null when it was stored in another format or for another set of fields. */
    static CounterBaseline fromBytes(byte[] bytes, long fingerprint, int counterCount, int resetCount) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        if (bytes.length < 9 || in.get() != FORMAT || in.getLong() != fingerprint) {
            return null;
        }
        long sampledAt = ByteUtils.readVarlong(in);
        long seenAt = ByteUtils.readVarlong(in);
        Object[] counters = new Object[counterCount];
        for (int i = 0; i < counterCount; i++) {
            byte tag = in.get();
            counters[i] = tag == LONG ? (Object) ByteUtils.readVarlong(in) : tag == DOUBLE ? (Object) in.getDouble() : null;
        }
        Long[] resets = new Long[resetCount];
        for (int i = 0; i < resetCount; i++) {
            resets[i] = in.get() == LONG ? ByteUtils.readVarlong(in) : null;
        }
        return new CounterBaseline(sampledAt, seenAt, counters, resets);
    }
}
