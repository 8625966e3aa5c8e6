package io.pganalytics.testkit;

import io.pganalytics.schemas.TopicSpec;
import io.pganalytics.schemas.contract.TopicContract;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.NewTopic;

/** Reads an {@link EmbeddedStack} declaration: its consistency, its settings and the topics it asks for. */
final class StackSpec {

    private StackSpec() {
    }

    /** Fails with what to change when a part is configured but not declared, before anything starts. */
    static void check(Class<?> testClass, EmbeddedStack spec, List<ContractTopics> topics) {
        List<String> problems = new ArrayList<>();
        if (!spec.kafka()) {
            if (spec.registry()) {
                problems.add("registry = true needs kafka");
            }
            if (spec.connect()) {
                problems.add("connect = true needs kafka");
            }
            if (!topics.isEmpty()) {
                problems.add("@ContractTopics needs kafka");
            }
        }
        if (!spec.postgres() && (spec.postgresSettings().length > 0 || spec.databases().length > 0
                || spec.extensions().length > 0)) {
            problems.add("postgresSettings, databases and extensions need postgres = true");
        }
        if (!spec.connect() && spec.connectSettings().length > 0) {
            problems.add("connectSettings needs connect = true");
        }
        for (String[] settings : List.of(spec.postgresSettings(), spec.connectSettings())) {
            try {
                settings(settings);
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("@EmbeddedStack on " + testClass.getName() + ": " + String.join("; ", problems));
        }
    }

    /** {@code "key=value"} strings as a map, in order. */
    static Map<String, String> settings(String[] settings) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String setting : settings) {
            int equals = setting.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException("setting \"" + setting + "\": expected key=value");
            }
            map.put(setting.substring(0, equals).trim(), setting.substring(equals + 1).trim());
        }
        return map;
    }

    /** The contract's topics that the declarations match, each with the partitions of the last that matched it. */
    static NewTopic[] newTopics(List<ContractTopics> declarations) {
        Map<String, TopicSpec> contract = new LinkedHashMap<>();
        TopicContract.all().forEach(topic -> contract.put(topic.name(), topic));
        Map<String, Integer> partitions = new LinkedHashMap<>();
        for (ContractTopics declaration : declarations) {
            if (declaration.partitions() < 0) {
                throw new IllegalArgumentException("@ContractTopics partitions = " + declaration.partitions()
                        + ": expected a positive count, or AS_DECLARED");
            }
            for (String pattern : declaration.value()) {
                Pattern names = glob(pattern);
                List<TopicSpec> matched = contract.values().stream().filter(t -> names.matcher(t.name()).matches()).toList();
                if (matched.isEmpty()) {
                    throw new IllegalArgumentException("@ContractTopics(\"" + pattern
                            + "\") matches no topic of the contract (io.pganalytics.schemas.contract.TopicContract.all())");
                }
                for (TopicSpec topic : matched) {
                    partitions.put(topic.name(),
                            declaration.partitions() == ContractTopics.AS_DECLARED ? topic.partitions() : declaration.partitions());
                }
            }
        }
        return partitions.entrySet().stream()
                .map(e -> contract.get(e.getKey()).newTopic(e.getValue(), (short) 1))
                .toArray(NewTopic[]::new);
    }

    private static Pattern glob(String pattern) {
        return Pattern.compile(Arrays.stream(pattern.split("\\*", -1)).map(Pattern::quote).collect(Collectors.joining(".*")));
    }
}
