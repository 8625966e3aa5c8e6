package io.pganalytics.streams.rollup;

import com.datadoghq.sketch.ddsketch.DDSketch;
import io.pganalytics.schemas.rollups.Aggregate;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The open 1-minute window of one series: the values of every aggregated field in arrival order,
 * and the value with the latest {@code sampledAt}. Values, not a sketch, while the window is open:
 * a window holds a few samples, so appending a double per field is far cheaper per record than
 * decoding and re-encoding a sketch per field; the sketch is built once, when the window closes.
 *
 * <p>Stored in a compact binary form read and written once per record: fields by their index in
 * the family's aggregated fields rather than by name.
 */
final class MinuteWindow {

    final String collectorId;
    final String targetId;
    final Map<String, String> series;
    /** By index in the family's aggregated fields; null where the window has no value. */
    final FieldValues[] fields;

    MinuteWindow(String collectorId, String targetId, Map<String, String> series, FieldValues[] fields) {
        this.collectorId = collectorId;
        this.targetId = targetId;
        this.series = series;
        this.fields = fields;
    }

    static MinuteWindow empty(String collectorId, String targetId, Map<String, String> series, int fieldCount) {
        return new MinuteWindow(collectorId, targetId, series, new FieldValues[fieldCount]);
    }

    /** Adds one value of field {@code index}, sampled at {@code sampledAtMicros}. */
    void add(int index, double value, long sampledAtMicros) {
        FieldValues values = fields[index];
        if (values == null) {
            values = fields[index] = new FieldValues();
        }
        values.add(value, sampledAtMicros);
    }

    /** The aggregates of every field with at least one value, named from {@code names}, in field order. */
    Map<String, Aggregate> aggregates(List<String> names) {
        Map<String, Aggregate> aggregates = new LinkedHashMap<>();
        for (int i = 0; i < fields.length; i++) {
            if (fields[i] != null) {
                aggregates.put(names.get(i), fields[i].aggregate());
            }
        }
        return aggregates;
    }

    /** The values of one field, in arrival order, and the latest one by sampledAt. */
    static final class FieldValues {
        double[] values = new double[4];
        int count;
        double last;
        long lastAtMicros = Long.MIN_VALUE;

        void add(double value, long sampledAtMicros) {
            if (count == values.length) {
                values = Arrays.copyOf(values, count * 2);
            }
            values[count++] = value;
            // Ties go to the later arrival: a re-sent sample replaces the one it repeats.
            if (sampledAtMicros >= lastAtMicros) {
                last = value;
                lastAtMicros = sampledAtMicros;
            }
        }

        Aggregate aggregate() {
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            double sum = 0;
            DDSketch sketch = QuantileSketches.empty();
            for (int i = 0; i < count; i++) {
                double v = values[i];
                min = Math.min(min, v);
                max = Math.max(max, v);
                sum += v;
                sketch.accept(v);
            }
            return Rollups.aggregate(count, min, max, sum, last, sketch);
        }
    }

    byte[] encode() {
        byte[][] identity = new byte[2 + 2 * series.size()][];
        int size = 2 + 2 + 2;
        identity[0] = collectorId.getBytes(StandardCharsets.UTF_8);
        identity[1] = targetId.getBytes(StandardCharsets.UTF_8);
        int i = 2;
        for (Map.Entry<String, String> entry : series.entrySet()) {
            identity[i++] = entry.getKey().getBytes(StandardCharsets.UTF_8);
            identity[i++] = entry.getValue().getBytes(StandardCharsets.UTF_8);
        }
        for (byte[] part : identity) {
            size += 4 + part.length;
        }
        for (FieldValues values : fields) {
            if (values != null) {
                size += 2 + 4 + 8 * values.count + 8 + 8;
            }
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        out.putShort((short) series.size());
        for (byte[] part : identity) {
            out.putInt(part.length).put(part);
        }
        out.putShort((short) fields.length);
        short present = 0;
        for (FieldValues values : fields) {
            if (values != null) {
                present++;
            }
        }
        out.putShort(present);
        for (int f = 0; f < fields.length; f++) {
            FieldValues values = fields[f];
            if (values == null) {
                continue;
            }
            out.putShort((short) f).putInt(values.count);
            for (int v = 0; v < values.count; v++) {
                out.putDouble(values.values[v]);
            }
            out.putDouble(values.last).putLong(values.lastAtMicros);
        }
        return out.array();
    }

    static MinuteWindow decode(byte[] bytes) {
        try {
            ByteBuffer in = ByteBuffer.wrap(bytes);
            int seriesCount = in.getShort();
            String collectorId = string(in);
            String targetId = string(in);
            Map<String, String> series = new LinkedHashMap<>();
            for (int i = 0; i < seriesCount; i++) {
                series.put(string(in), string(in));
            }
            FieldValues[] fields = new FieldValues[in.getShort()];
            int present = in.getShort();
            for (int p = 0; p < present; p++) {
                FieldValues values = new FieldValues();
                int index = in.getShort();
                values.count = in.getInt();
                values.values = new double[Math.max(4, values.count + 1)];
                for (int v = 0; v < values.count; v++) {
                    values.values[v] = in.getDouble();
                }
                values.last = in.getDouble();
                values.lastAtMicros = in.getLong();
                fields[index] = values;
            }
            return new MinuteWindow(collectorId, targetId, series, fields);
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IllegalStateException("corrupt 1-minute window state: " + e, e);
        }
    }

    private static String string(ByteBuffer in) {
        int length = in.getInt();
        String value = new String(in.array(), in.position(), length, StandardCharsets.UTF_8);
        in.position(in.position() + length);
        return value;
    }
}
