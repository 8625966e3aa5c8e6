package io.pganalytics.streams.alert;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The state of one rule on one series: whether it fires, since when its condition holds, the last
 * sample evaluated, and (for anomalies) the previous values the z-score is taken against.
 */
final class ConditionState {

    static final long NONE = Long.MIN_VALUE;

    String family;
    String field;
    double threshold;
    String collectorId;
    String targetId;
    Map<String, String> series = new LinkedHashMap<>();
    boolean firing;
    long holdingSinceMicros = NONE;
    long lastAtMicros = NONE;
    ArrayDeque<Double> window = new ArrayDeque<>();

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + window.size() * 8);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(family);
            out.writeUTF(field);
            out.writeDouble(threshold);
            out.writeUTF(collectorId);
            out.writeUTF(targetId);
            out.writeShort(series.size());
            for (Map.Entry<String, String> entry : series.entrySet()) {
                out.writeUTF(entry.getKey());
                out.writeUTF(entry.getValue());
            }
            out.writeBoolean(firing);
            out.writeLong(holdingSinceMicros);
            out.writeLong(lastAtMicros);
            out.writeInt(window.size());
            for (double value : window) {
                out.writeDouble(value);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static ConditionState decode(byte[] bytes) {
        ConditionState state = new ConditionState();
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            state.family = in.readUTF();
            state.field = in.readUTF();
            state.threshold = in.readDouble();
            state.collectorId = in.readUTF();
            state.targetId = in.readUTF();
            int seriesCount = in.readShort();
            for (int i = 0; i < seriesCount; i++) {
                state.series.put(in.readUTF(), in.readUTF());
            }
            state.firing = in.readBoolean();
            state.holdingSinceMicros = in.readLong();
            state.lastAtMicros = in.readLong();
            int size = in.readInt();
            for (int i = 0; i < size; i++) {
                state.window.addLast(in.readDouble());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt alert state: " + e.getMessage(), e);
        }
        return state;
    }
}
