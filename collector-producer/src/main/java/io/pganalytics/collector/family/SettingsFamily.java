package io.pganalytics.collector.family;

import io.pganalytics.collector.catalog.MetricDefinition;
import io.pganalytics.schemas.family.MetricFamily;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import org.apache.avro.generic.GenericRecord;

/**
 * The non-default settings, sent in full at start and again whenever any of them changes, and
 * otherwise not at all: settings rarely change, and every unchanged copy would cost bytes and rows.
 */
public final class SettingsFamily extends CatalogFamily {

    private List<String> previous;

    public SettingsFamily(MetricDefinition definition, MetricFamily family) {
        super(definition, family);
    }

    @Override
    public Collected read(ReadContext context) throws SQLException {
        Collected all = super.read(context);
        List<String> current = all.samples().stream().map(SettingsFamily::fingerprint).sorted().toList();
        if (current.equals(previous)) {
            return Collected.of(family(), List.of());
        }
        previous = current;
        return all;
    }

    private static String fingerprint(GenericRecord record) {
        return record.get("name") + "=" + Objects.toString(record.get("setting")) + "|" + record.get("source")
                + "|" + record.get("pendingRestart");
    }
}
