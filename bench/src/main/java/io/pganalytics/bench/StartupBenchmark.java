package io.pganalytics.bench;

import io.pganalytics.embedded.EmbeddedConnect;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.embedded.EmbeddedS3;
import io.pganalytics.platform.quickstart.QuickstartOptions;
import io.pganalytics.platform.quickstart.QuickstartStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures how long each embedded component and the whole quickstart stack take to start, on an
 * empty data directory and again on the directory the previous start left (the quickstart restart
 * case). Prints a Markdown table for docs/benchmarks.md.
 *
 * <p>Usage: {@code bench/run-startup [iterations]} (default 5). The first iteration also pays for
 * class loading and for extracting the PostgreSQL binaries, which is why the table shows the median.
 */
public final class StartupBenchmark {

    private interface Start {
        AutoCloseable start(Path dir) throws Exception;
    }

    private StartupBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Path root = Files.createTempDirectory("pga-startup-bench");
        Map<String, List<Long>> results = new LinkedHashMap<>();
        try (EmbeddedKafka sharedKafka = EmbeddedKafka.builder().dataDir(root.resolve("shared-kafka")).start()) {
            Map<String, Start> components = new LinkedHashMap<>();
            components.put("EmbeddedKafka", dir -> EmbeddedKafka.builder().dataDir(dir).start());
            components.put("EmbeddedPostgres", dir -> EmbeddedPostgres.builder().dataDir(dir).start());
            components.put("EmbeddedRegistry", dir -> EmbeddedRegistry.start(sharedKafka.bootstrapServers(), 0));
            components.put("EmbeddedConnect", dir -> EmbeddedConnect.builder().bootstrapServers(sharedKafka.bootstrapServers())
                    .start());
            components.put("EmbeddedS3", dir -> EmbeddedS3.builder().dataDir(dir).start());
            components.put("QuickstartStack (all roles)", dir -> QuickstartStack.start(QuickstartOptions.ephemeral(dir, Duration.ofSeconds(5))));
            for (var component : components.entrySet()) {
                Path dir = root.resolve(component.getKey().replaceAll("\\W", ""));
                for (int i = 0; i < iterations; i++) {
                    String phase = i == 0 ? "empty data dir" : "existing data dir";
                    long started = System.nanoTime();
                    AutoCloseable running = component.getValue().start(dir);
                    long millis = (System.nanoTime() - started) / 1_000_000;
                    running.close();
                    results.computeIfAbsent(component.getKey() + " | " + phase, k -> new ArrayList<>()).add(millis);
                    System.err.printf("%s (%s): %d ms%n", component.getKey(), phase, millis);
                }
            }
        }
        System.out.printf("%n| component | data dir | runs | median ms | min ms | max ms |%n|---|---|---|---|---|---|%n");
        results.forEach((name, times) -> {
            List<Long> sorted = new ArrayList<>(times);
            Collections.sort(sorted);
            System.out.printf("| %s | %d | %d | %d | %d |%n", name, sorted.size(), sorted.get(sorted.size() / 2),
                    sorted.get(0), sorted.get(sorted.size() - 1));
        });
    }
}
