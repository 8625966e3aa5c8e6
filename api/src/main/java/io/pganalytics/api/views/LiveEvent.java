package io.pganalytics.api.views;

import java.util.Map;

/**
 * One event of the {@code /api/v1/events} WebSocket.
 *
 * @param type        {@code connected}, {@code disconnected}, {@code status-changed}, {@code heartbeat}, {@code stopped},
 *                    {@code restarted}, {@code resumed}, {@code error}, {@code command-acknowledged}, {@code alert}
 * @param collectorId the collector it is about
 * @param group       the collector's fleet group as its heartbeats last said, or null
 * @param at          when it happened (ISO-8601)
 * @param data        the details of the type
 * @param position    the resume position just after this event: give it back as {@code ?resume=} to continue from here,
 *                    on any replica (it is made of Kafka offsets, not of anything this replica keeps)
 */
public record LiveEvent(String type, String collectorId, String group, String at, Map<String, Object> data,
                        String position) {

    /** Every type a client may filter on. */
    public static final java.util.List<String> TYPES = java.util.List.of("connected", "disconnected", "status-changed",
            "heartbeat", "stopped", "restarted", "resumed", "error", "command-acknowledged", "alert");
}
