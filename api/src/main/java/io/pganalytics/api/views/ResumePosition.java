package io.pganalytics.api.views;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a WebSocket client is in the fleet topics: the next offset of every partition, as an opaque base64url token.
 * Kafka offsets are the same for every replica, so a client resumes on any replica from the token it was given.
 */
public final class ResumePosition {

    private ResumePosition() {
    }

    /** The token of {@code offsets} (topic-partition → the next offset to read). */
    public static String encode(Map<TopicPartition, Long> offsets) {
        StringBuilder text = new StringBuilder();
        new TreeMap<>(toStrings(offsets)).forEach((partition, offset) -> {
            if (text.length() > 0) {
                text.append(';');
            }
            text.append(partition).append('=').append(offset);
        });
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The offsets of a token; an {@link IllegalArgumentException} for one this API did not give. */
    public static Map<TopicPartition, Long> decode(String token) {
        if (token == null || token.length() > 8192) {
            throw new IllegalArgumentException("resume: not a position this API gave");
        }
        Map<TopicPartition, Long> offsets = new LinkedHashMap<>();
        try {
            String text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            for (String entry : text.split(";")) {
                if (entry.isEmpty()) {
                    continue;
                }
                int equals = entry.lastIndexOf('=');
                int dash = entry.lastIndexOf('-', equals);
                String topic = entry.substring(0, dash);
                if (!topic.startsWith("pga.")) {
                    throw new IllegalArgumentException("topic");
                }
                int partition = Integer.parseInt(entry.substring(dash + 1, equals));
                long offset = Long.parseLong(entry.substring(equals + 1));
                if (partition < 0 || offset < 0) {
                    throw new IllegalArgumentException("negative");
                }
                offsets.put(new TopicPartition(topic, partition), offset);
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("resume: not a position this API gave");
        }
        return offsets;
    }

    private static Map<String, Long> toStrings(Map<TopicPartition, Long> offsets) {
        Map<String, Long> named = new LinkedHashMap<>();
        offsets.forEach((partition, offset) -> named.put(partition.topic() + "-" + partition.partition(), offset));
        return named;
    }
}
