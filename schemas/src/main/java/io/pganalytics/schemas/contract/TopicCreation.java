package io.pganalytics.schemas.contract;

import io.pganalytics.schemas.TopicSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates the topics of the contract on a cluster ({@code pganalytics migrate}): the missing ones with their
 * partitions and cleanup policy; existing ones are left as they are, and one whose cleanup policy differs from
 * the contract's is reported, since a stream topic that compacts (or the reverse) loses data.
 */
public final class TopicCreation {

    private TopicCreation() {
    }

    /** What was done: topics created, topics that existed, and what is wrong with existing ones. */
    public record Report(List<String> created, List<String> existing, List<String> problems) {
    }

    /**
     * @param replicationFactor the replication factor of new topics
     * @param progress          one line per topic created or wrong
     */
    public static Report createAll(Admin admin, short replicationFactor, Consumer<String> progress) {
        try {
            Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<String> created = new ArrayList<>();
            List<String> existing = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            List<NewTopic> missing = new ArrayList<>();
            List<TopicSpec> present = new ArrayList<>();
            for (TopicSpec spec : TopicContract.all()) {
                if (names.contains(spec.name())) {
                    present.add(spec);
                } else {
                    missing.add(spec.newTopic(spec.partitions(), replicationFactor));
                }
            }
            for (NewTopic topic : missing) {
                try {
                    admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
                    created.add(topic.name());
                    progress.accept("created " + topic.name() + " (" + topic.numPartitions() + " partitions, " + topic.configs().get("cleanup.policy") + ")");
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                    existing.add(topic.name()); // created meanwhile by someone else
                }
            }
            if (!present.isEmpty()) {
                List<ConfigResource> resources = present.stream().map(s -> new ConfigResource(ConfigResource.Type.TOPIC, s.name())).toList();
                Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS);
                for (TopicSpec spec : present) {
                    existing.add(spec.name());
                    Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, spec.name()));
                    String policy = config == null || config.get("cleanup.policy") == null ? "delete" : config.get("cleanup.policy").value();
                    String wanted = spec.configs().get("cleanup.policy");
                    if (!policy.contains(wanted)) {
                        String problem = spec.name() + " exists with cleanup.policy=" + policy + ", the contract says " + wanted;
                        problems.add(problem);
                        progress.accept("WRONG " + problem);
                    }
                }
            }
            return new Report(List.copyOf(created), List.copyOf(existing), List.copyOf(problems));
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot create the topics: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot create the topics: Kafka did not answer within 30 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
