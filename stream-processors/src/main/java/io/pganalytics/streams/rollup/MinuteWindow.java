package io.pganalytics.streams.rollup;

import com.datadoghq.sketch.ddsketch.DDSketch;
import io.pganalytics.schemas.rollups.Aggregate;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The open 1-minute window of one series: the values of every aggregated field in arrival order,
 * and the value with the latest {@code sampledAt}. Values, not a sketch, while the window is open:
 * a window holds a few samples, so appending a double per field is far cheaper per record than
 * decoding and re-encoding a sketch per field; the sketch is built once, when the window closes.
 */
final class MinuteWindow {

    final String collectorId;
    final String targetId;
    final Map<String, String> series;
    final Map<String, FieldValues> fields;

    MinuteWindow(String collectorId, String targetId, Map<String, String> series, Map<String, FieldValues> fields) {
        this.collectorId = collectorId;
        this.targetId = targetId;
        this.series = series;
        this.fields = fields;
    }

    static MinuteWindow empty(String collectorId, String targetId, Map<String, String> series) {
        return new MinuteWindow(collectorId, targetId, series, new LinkedHashMap<>());
    }

    /** Adds one value of {@code field}, sampled at {@code sampledAtMicros}. */
    void add(String field, double value, long sampledAtMicros) {
        fields.computeIfAbsent(field, f -> new FieldValues()).add(value, sampledAtMicros);
    }

    /** The aggregates of every field with at least one value, as the closed window reports them. */
    Map<String, Aggregate> aggregates() {
        Map<String, Aggregate> aggregates = new LinkedHashMap<>();
        fields.forEach((field, values) -> aggregates.put(field, values.aggregate()));
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
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + fields.size() * 48);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(collectorId);
            out.writeUTF(targetId);
            out.writeShort(series.size());
            for (Map.Entry<String, String> entry : series.entrySet()) {
                out.writeUTF(entry.getKey());
                out.writeUTF(entry.getValue());
            }
            out.writeShort(fields.size());
            for (Map.Entry<String, FieldValues> entry : fields.entrySet()) {
                FieldValues values = entry.getValue();
                out.writeUTF(entry.getKey());
                out.writeInt(values.count);
                for (int i = 0; i < values.count; i++) {
                    out.writeDouble(values.values[i]);
                }
                out.writeDouble(values.last);
                out.writeLong(values.lastAtMicros);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static MinuteWindow decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            String collectorId = in.readUTF();
            String targetId = in.readUTF();
            int seriesCount = in.readShort();
            Map<String, String> series = new LinkedHashMap<>();
            for (int i = 0; i < seriesCount; i++) {
                series.put(in.readUTF(), in.readUTF());
            }
            int fieldCount = in.readShort();
            Map<String, FieldValues> fields = new LinkedHashMap<>();
            for (int f = 0; f < fieldCount; f++) {
                String name = in.readUTF();
                FieldValues values = new FieldValues();
                values.count = in.readInt();
                values.values = new double[Math.max(4, values.count + 1)];
                for (int i = 0; i < values.count; i++) {
                    values.values[i] = in.readDouble();
                }
                values.last = in.readDouble();
                values.lastAtMicros = in.readLong();
                fields.put(name, values);
            }
            return new MinuteWindow(collectorId, targetId, series, fields);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt 1-minute window state: " + e.getMessage(), e);
        }
    }

    static ByteBuffer sketchBytes(DDSketch sketch) {
        return ByteBuffer.wrap(QuantileSketches.encode(sketch));
    }
}
