package io.pganalytics.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.streams.runtime.Key;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class StreamsConfigDocTest {

    @Test
    void everyKeyIsDocumentedForUsers() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "configuration.md"));
        for (Key key : StreamsRole.keys()) {
            assertThat(doc).as("docs/configuration.md row for %s", key.name()).contains("| `" + key.name() + "` |");
        }
    }
}
