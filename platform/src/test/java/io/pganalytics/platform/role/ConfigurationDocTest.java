package io.pganalytics.platform.role;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.api.ApiConfig;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.config.Fields;
import io.pganalytics.registry.RegistryConfig;
import io.pganalytics.streams.StreamsRole;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.sink.s3.restore.RestoreConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md shows, in each role's section, the table its {@link Fields} make: a key, default or
 * meaning changed in code fails this test, with the table the doc should have in the message. Run it with
 * {@code -Dpga.docs.write=true} to rewrite the tables in the doc instead:
 * {@code ./mvnw -pl platform test -Dtest=ConfigurationDocTest -Dpga.docs.write=true}.
 *
 * <p>Here because platform sees every role.
 */
class ConfigurationDocTest {

    private static final Path DOC = Path.of("..", "docs", "configuration.md");

    /** Each role's section, by the start of its heading, and the fields whose table it shows. */
    private static final Map<String, Fields> SECTIONS = new LinkedHashMap<>();

    static {
        SECTIONS.put("## Collector:", CollectorConfig.FIELDS);
        SECTIONS.put("## Stream processors:", StreamsRole.FIELDS);
        SECTIONS.put("## Schema registry:", RegistryConfig.FIELDS);
        SECTIONS.put("## Fleet commands:", FleetConnection.FIELDS);
        SECTIONS.put("## Accounts commands:", AccountsConnection.FIELDS);
        SECTIONS.put("## Restore:", RestoreConfig.FIELDS);
        SECTIONS.put("## API:", ApiConfig.FIELDS);
        SECTIONS.put("## Control plane:", ControlPlaneConfig.FIELDS);
        SECTIONS.put("## Audit role:", io.pganalytics.audit.AuditConfig.OWN_FIELDS);
        SECTIONS.put("## Kafka clients", AvroSerdeConfig.FIELDS);
    }

    @Test
    void everyRoleSectionShowsTheTableOfItsDeclaredFields() throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(DOC));
        boolean write = Boolean.getBoolean("pga.docs.write");
        List<String> stale = new ArrayList<>();
        for (Map.Entry<String, Fields> section : SECTIONS.entrySet()) {
            int heading = headingIndex(lines, section.getKey());
            assertThat(heading).as("docs/configuration.md has a section '%s'", section.getKey()).isNotNegative();
            int end = sectionEnd(lines, heading);
            int start = -1;
            for (int i = heading + 1; i < end; i++) {
                if (lines.get(i).startsWith("| key |")) {
                    start = i;
                    break;
                }
            }
            List<String> expected = section.getValue().markdownTable().lines().toList();
            List<String> actual = List.of();
            if (start >= 0) {
                int stop = start;
                while (stop < end && lines.get(stop).startsWith("|")) {
                    stop++;
                }
                actual = List.copyOf(lines.subList(start, stop));
                if (write) {
                    lines.subList(start, stop).clear();
                    lines.addAll(start, expected);
                }
            } else if (write) {
                // No table yet: it goes after the section's first paragraph.
                int at = heading + 1;
                while (at < end && lines.get(at).isBlank()) {
                    at++;
                }
                while (at < end && !lines.get(at).isBlank()) {
                    at++;
                }
                List<String> inserted = new ArrayList<>(List.of(""));
                inserted.addAll(expected);
                lines.addAll(at, inserted);
            }
            if (!actual.equals(expected)) {
                stale.add(section.getKey() + " should show:\n" + String.join("\n", expected));
            }
        }
        if (write) {
            Files.writeString(DOC, String.join("\n", lines) + "\n");
            return;
        }
        assertThat(stale).as("docs/configuration.md tables differ from the declared Fields (rewrite them with "
                + "-Dpga.docs.write=true)").isEmpty();
    }

    private static int headingIndex(List<String> lines, String heading) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(heading)) {
                return i;
            }
        }
        return -1;
    }

    private static int sectionEnd(List<String> lines, int heading) {
        for (int i = heading + 1; i < lines.size(); i++) {
            if (lines.get(i).startsWith("## ")) {
                return i;
            }
        }
        return lines.size();
    }
}
