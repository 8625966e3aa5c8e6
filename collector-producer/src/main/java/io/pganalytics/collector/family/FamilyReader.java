package io.pganalytics.collector.family;

import java.sql.SQLException;

/**
 * Reads one schedulable job of a target: a metric family of the catalog, statements, settings, or
 * one custom SQL metric. Readers keep what they need between cycles (statements: calls per entry
 * and the queryids whose text was sent), so one reader instance belongs to one target.
 */
public interface FamilyReader {

    /** The schedule's name for this job: the family, or {@code custom:<metric>}. */
    String job();

    /** The metric family the samples belong to. */
    String family();

    Collected read(ReadContext context) throws SQLException;
}
