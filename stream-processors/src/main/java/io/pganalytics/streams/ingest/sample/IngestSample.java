package io.pganalytics.streams.ingest.sample;

import org.apache.avro.generic.GenericRecord;

/**
 * A raw sample on its way through the ingest processors: decoded and checked, with the original
 * bytes kept for the dead-letter topic and the key of its series.
 *
 * @param sample    the decoded raw sample, of the family's current raw schema
 * @param original  the record's value as read, for {@code pga.dlq}
 * @param seriesKey {@code targetId} and the series fields, identifying the series across collectors
 */
public record IngestSample(GenericRecord sample, byte[] original, String seriesKey) {
}
