package io.pganalytics.streams.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunningTopologiesTest {

    @TempDir
    Path stateDir;

    /** A copy from one topic to another; nothing is listening on the bootstrap address, which start() does not need. */
    private record Copy(String applicationId, List<String> built) implements TopologyRole {

        @Override
        public Topology topology(StreamsSettings settings) {
            built.add(applicationId);
            Topology topology = new Topology();
            topology.addSource("in", Serdes.String().deserializer(), Serdes.String().deserializer(), "in-" + applicationId);
            topology.addSink("out", "out-" + applicationId, Serdes.String().serializer(), Serdes.String().serializer(), "in");
            return topology;
        }
    }

    private record Broken(String applicationId) implements TopologyRole {

        @Override
        public Topology topology(StreamsSettings settings) {
            throw new IllegalStateException(applicationId + ": cannot build");
        }
    }

    private StreamsSettings settings() {
        return new StreamsSettings("127.0.0.1:1", "mock://running-topologies", stateDir, 1);
    }

    @Test
    void startsInOrderAndClosesEveryApplicationOnce() {
        List<String> built = new ArrayList<>();
        RunningTopologies running = settings().startAll(List.of(new Copy("first", built), new Copy("second", built)));
        assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName).anyMatch(name -> name.startsWith("first-"));
        KafkaStreams first = running.instance("first");
        KafkaStreams second = running.instance("second");
        assertThat(built).containsExactly("first", "second");
        assertThat(running.applicationIds()).containsExactly("first", "second");
        assertThatThrownBy(() -> running.instance("third")).isInstanceOf(NoSuchElementException.class)
                .hasMessage("third: not running here; running [first, second]");

        running.close();
        running.close();
        assertThat(first.state()).isEqualTo(KafkaStreams.State.NOT_RUNNING);
        assertThat(second.state()).isEqualTo(KafkaStreams.State.NOT_RUNNING);
    }

    @Test
    void anApplicationThatCannotStartStopsThoseAlreadyRunning() {
        List<String> built = new ArrayList<>();
        assertThatThrownBy(() -> settings().startAll(List.of(new Copy("first", built), new Broken("second"))))
                .isInstanceOf(IllegalStateException.class).hasMessage("second: cannot build");
        assertThat(built).containsExactly("first");
        // Stopped: none of its stream threads (named after the application id) is left running.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                .extracting(Thread::getName).noneMatch(name -> name.startsWith("first-")));
    }
}
