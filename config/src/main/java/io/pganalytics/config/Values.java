package io.pganalytics.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A role's configuration as read by {@link Fields#read}: each key's parsed value, or its default. Bad values are
 * collected rather than thrown one at a time, so that a user sees every mistake at once: read what is needed with
 * {@link #get}, then call {@link #validate()} before building the role's typed configuration.
 */
public final class Values {

    private final Fields fields;
    private final Map<String, String> texts;
    private final Map<String, Object> parsed;
    private final List<InvalidValue.Problem> problems;

    Values(Fields fields, Map<String, String> texts, Map<String, Object> parsed, List<InvalidValue.Problem> problems) {
        this.fields = fields;
        this.texts = texts;
        this.parsed = parsed;
        this.problems = new ArrayList<>(problems);
    }

    /** The value of {@code field}: as given, else its default ({@code null} for an optional field without one). */
    @SuppressWarnings("unchecked")
    public <T> T get(Field<T> field) {
        Object value = parsed.get(field.name());
        if (value != null) {
            return (T) value;
        }
        if (field.required() && !hasProblem(field.name())) {
            problems.add(new InvalidValue.Problem(field.name(), "required"));
        }
        return field.defaultValue();
    }

    /** Whether {@code field}'s key was given (with a non-empty value). */
    public boolean has(Field<?> field) {
        return parsed.containsKey(field.name());
    }

    /**
     * The indexes given for a list of keys such as {@code collector.targets[N].*}, for {@code list} =
     * {@code collector.targets}: in order, from 0 and without gaps (a gap is a problem).
     */
    public List<Integer> indexes(String list) {
        Pattern pattern = Pattern.compile(Pattern.quote(list) + "\\[(\\d+)].*");
        var found = new TreeSet<Integer>();
        for (String key : texts.keySet()) {
            Matcher matcher = pattern.matcher(key);
            if (matcher.matches()) {
                found.add(Integer.parseInt(matcher.group(1)));
            }
        }
        int expected = 0;
        for (int index : found) {
            if (index != expected++) {
                problems.add(new InvalidValue.Problem(list + "[" + index + "]",
                        "indexes must count up from 0 without gaps"));
                break;
            }
        }
        return List.copyOf(found);
    }

    /**
     * The words given for the first placeholder of {@code template}, e.g. the families named by
     * {@code collector.families.<family>.interval.ms} keys, in order.
     */
    public List<String> words(Field<?> template) {
        Pattern pattern = template.keyPattern();
        var found = new TreeSet<String>();
        for (String key : texts.keySet()) {
            Matcher matcher = pattern.matcher(key);
            if (matcher.matches() && matcher.groupCount() > 0) {
                found.add(matcher.group(1));
            }
        }
        return List.copyOf(found);
    }

    /**
     * The texts given under {@code prefix}, a prefix let through unchecked ({@link Fields#allowing}), keyed without
     * it: e.g. {@code metrics.sink.} settings handed on to another component, which checks them.
     */
    public Map<String, String> under(String prefix) {
        Map<String, String> found = new LinkedHashMap<>();
        texts.forEach((key, text) -> {
            if (key.startsWith(prefix) && fields.fieldOf(key).isEmpty()) {
                found.put(key.substring(prefix.length()), text);
            }
        });
        return found;
    }

    /** Records a problem found across keys (e.g. two targets with one id), reported by {@link #validate()}. */
    public void reject(String path, String reason) {
        problems.add(new InvalidValue.Problem(path, reason));
    }

    /** Throws one {@link InvalidValue} with every problem found so far, if any. */
    public void validate() {
        InvalidValue.throwIfAny(problems);
    }

    /** The declared fields these values were read against. */
    public Fields fields() {
        return fields;
    }

    private boolean hasProblem(String path) {
        return problems.stream().anyMatch(problem -> problem.path().equals(path));
    }
}
