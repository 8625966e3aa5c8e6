package io.pganalytics.streams.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Kafka Streams applications started together ({@link StreamsSettings#startAll}) and stopped together:
 * {@link #close()} stops them newest first, each leaving its consumer group, each at most once.
 */
public final class RunningTopologies implements AutoCloseable {

    private record Running(String applicationId, KafkaStreams streams) {
    }

    private final List<Running> running = new ArrayList<>();
    private boolean closed;

    private RunningTopologies() {
    }

    static RunningTopologies start(StreamsSettings settings, List<? extends TopologyRole> roles) {
        RunningTopologies all = new RunningTopologies();
        try {
            for (TopologyRole role : roles) {
                all.running.add(new Running(role.applicationId(), settings.start(role)));
            }
        } catch (RuntimeException | Error e) {
            all.close();
            throw e;
        }
        return all;
    }

    /** The application ids, in the order they started. */
    public List<String> applicationIds() {
        return running.stream().map(Running::applicationId).toList();
    }

    /** The running instance of {@code applicationId}. */
    public KafkaStreams instance(String applicationId) {
        return running.stream().filter(r -> r.applicationId().equals(applicationId)).findFirst()
                .orElseThrow(() -> new NoSuchElementException(applicationId + ": not running here; running "
                        + applicationIds())).streams();
    }

    /**
     * Stops every application, newest first; a failure to stop one does not keep the others running
     * (the first is rethrown once all were tried). Safe to call more than once.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        for (int i = running.size() - 1; i >= 0; i--) {
            try {
                StreamsSettings.stop(running.get(i).streams());
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
