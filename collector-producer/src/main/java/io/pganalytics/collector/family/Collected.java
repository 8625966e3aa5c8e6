package io.pganalytics.collector.family;

import io.pganalytics.schemas.metrics.QueryText;
import java.util.List;
import org.apache.avro.generic.GenericRecord;

/**
 * What one read of one family of one target produced: the samples for {@code pga.raw.<family>} and,
 * for statements, the query texts seen for the first time.
 */
public record Collected(String family, List<GenericRecord> samples, List<QueryText> queryTexts) {

    public Collected {
        samples = List.copyOf(samples);
        queryTexts = List.copyOf(queryTexts);
    }

    public static Collected of(String family, List<GenericRecord> samples) {
        return new Collected(family, samples, List.of());
    }
}
