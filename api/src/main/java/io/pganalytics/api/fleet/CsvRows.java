package io.pganalytics.api.fleet;

import io.pganalytics.config.InvalidValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rows of a CSV import (RFC 4180: a header line of field names, quoted fields with {@code ""} for a quote);
 * a field whose name is a list field ({@code tags}, {@code databases}) takes {@code ;}-separated values.
 */
final class CsvRows {

    private CsvRows() {
    }

    static List<Map<String, Object>> parse(String csv) {
        List<List<String>> lines = records(csv);
        if (lines.isEmpty()) {
            throw new InvalidValue("csv", "expected a header line of field names");
        }
        List<String> header = lines.get(0);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            List<String> values = lines.get(i);
            if (values.size() == 1 && values.get(0).isEmpty()) {
                continue;
            }
            if (values.size() != header.size()) {
                throw new InvalidValue("csv[" + i + "]", "expected " + header.size() + " fields, got " + values.size());
            }
            Map<String, Object> row = new LinkedHashMap<>();
            for (int j = 0; j < header.size(); j++) {
                String name = header.get(j).strip();
                String value = values.get(j);
                if (value.isEmpty()) {
                    continue;
                }
                row.put(name, name.equals("tags") || name.equals("databases")
                        ? Arrays.stream(value.split(";")).map(String::strip).filter(s -> !s.isEmpty()).toList()
                        : name.equals("enabled") ? (Object) Boolean.valueOf(value.strip()) : value);
            }
            rows.add(row);
        }
        return rows;
    }

    private static List<List<String>> records(String csv) {
        List<List<String>> records = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < csv.length(); i++) {
            char c = csv.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < csv.length() && csv.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"' && field.length() == 0) {
                quoted = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
            } else if (c == '\n' || c == '\r') {
                if (c == '\r' && i + 1 < csv.length() && csv.charAt(i + 1) == '\n') {
                    i++;
                }
                fields.add(field.toString());
                field.setLength(0);
                records.add(fields);
                fields = new ArrayList<>();
            } else {
                field.append(c);
            }
        }
        if (quoted) {
            throw new InvalidValue("csv", "a quoted field is not closed");
        }
        if (field.length() > 0 || !fields.isEmpty()) {
            fields.add(field.toString());
            records.add(fields);
        }
        return records;
    }
}
