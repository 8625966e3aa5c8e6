package io.pganalytics.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One configuration key, declared once: its name, type, default, rule and documentation, like Debezium's
 * {@code Field} or a key of Kafka's {@code ConfigDef}. A set of fields is read with {@link Fields}.
 *
 * <p>A name may hold placeholders for keys that come in numbers: {@code [N]} for an index and {@code <word>} for
 * a name, e.g. {@code collector.targets[N].url} or {@code collector.families.<family>.interval.ms}; {@link #at}
 * gives the field of one concrete key. Fields are immutable: every {@code with...} returns a new one.
 *
 * @param <T> the type of the parsed value
 */
public final class Field<T> {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\[N]|<[a-z][a-z0-9_-]*>");

    /** Parses a value's text; throws {@link IllegalArgumentException} (any message) when it is not of the type. */
    @FunctionalInterface
    public interface Parser<T> {
        T parse(String text);
    }

    private final String name;
    private final String type;
    private final Parser<T> parser;
    private final Function<T, String> printer;
    private final T defaultValue;
    private final boolean required;
    private final String defaultDescription;
    private final Check<? super T> check;
    private final String documentation;
    private final boolean secret;

    private Field(String name, String type, Parser<T> parser, Function<T, String> printer, T defaultValue,
                  boolean required, String defaultDescription, Check<? super T> check, String documentation,
                  boolean secret) {
        this.name = Objects.requireNonNull(name, "name");
        this.type = type;
        this.parser = parser;
        this.printer = printer;
        this.defaultValue = defaultValue;
        this.required = required;
        this.defaultDescription = defaultDescription;
        this.check = check;
        this.documentation = documentation;
        this.secret = secret;
    }

    /** A field of {@code type} (as an error names it, e.g. "a whole number") read by {@code parser}; required. */
    public static <T> Field<T> of(String name, String type, Parser<T> parser, Function<T, String> printer) {
        return new Field<>(name, type, parser, printer, null, true, null, null, "", false);
    }

    /** A text, stripped of surrounding blanks; an empty text counts as absent. */
    public static Field<String> string(String name) {
        return of(name, "a text", text -> text, text -> text);
    }

    /** A whole number that fits an {@code int}. */
    public static Field<Integer> integer(String name) {
        return of(name, "a whole number", Integer::valueOf, String::valueOf);
    }

    /** A whole number that fits a {@code long}. */
    public static Field<Long> longValue(String name) {
        return of(name, "a whole number", Long::valueOf, String::valueOf);
    }

    /** {@code true} or {@code false}, in any case. */
    public static Field<Boolean> bool(String name) {
        return of(name, "true or false", text -> switch (text.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(text);
        }, String::valueOf);
    }

    /** A duration written as a whole number of milliseconds (the key's name should end in {@code .ms}). */
    public static Field<Duration> millis(String name) {
        return of(name, "a whole number of milliseconds", text -> Duration.ofMillis(Long.parseLong(text)),
                duration -> Long.toString(duration.toMillis()));
    }

    /** A duration written as a whole number of seconds (the key's name should end in {@code .seconds}). */
    public static Field<Duration> seconds(String name) {
        return of(name, "a whole number of seconds", text -> Duration.ofSeconds(Long.parseLong(text)),
                duration -> Long.toString(duration.toSeconds()));
    }

    /** A file system path. */
    public static Field<Path> path(String name) {
        return of(name, "a path", text -> {
            try {
                return Path.of(text);
            } catch (InvalidPathException e) {
                throw new IllegalArgumentException(e);
            }
        }, Path::toString);
    }

    /** A comma-separated list of texts, each stripped; empty entries dropped. */
    public static Field<List<String>> list(String name) {
        return of(name, "a comma-separated list",
                text -> Arrays.stream(text.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList(),
                values -> String.join(",", values));
    }

    /** One of the constants of {@code type}, written in lower case with {@code -} for {@code _}, in any case. */
    public static <E extends Enum<E>> Field<E> choice(String name, Class<E> type) {
        E[] constants = type.getEnumConstants();
        String spelled = Arrays.stream(constants).map(Field::spell).collect(Collectors.joining(", "));
        return of(name, "one of " + spelled, text -> Arrays.stream(constants)
                .filter(constant -> spell(constant).equalsIgnoreCase(text) || constant.name().equalsIgnoreCase(text))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(text)), Field::spell);
    }

    /** How {@link #choice} fields write a constant: {@code QUERY_TEXT} is {@code query-text}. */
    public static String spell(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** This field, optional, with {@code value} when absent. */
    public Field<T> withDefault(T value) {
        return new Field<>(name, type, parser, printer, Objects.requireNonNull(value, "default"), false,
                defaultDescription, check, documentation, secret);
    }

    /** This field, optional, with no value when absent ({@link Values#get} answers {@code null}). */
    public Field<T> optional() {
        return new Field<>(name, type, parser, printer, null, false, defaultDescription, check, documentation, secret);
    }

    /** This field, with its default described in words where it is computed, e.g. "`data/spool/<collector.id>`". */
    public Field<T> withDefaultDescribed(String description) {
        return new Field<>(name, type, parser, printer, defaultValue, required, description, check, documentation,
                secret);
    }

    /** This field, refusing values {@code rule} refuses (in addition to any rule it has). */
    @SuppressWarnings("unchecked")
    public Field<T> withCheck(Check<? super T> rule) {
        Check<? super T> combined = check == null ? rule : ((Check<T>) check).and(rule);
        return new Field<>(name, type, parser, printer, defaultValue, required, defaultDescription, combined,
                documentation, secret);
    }

    /** This field, documented: one sentence or phrase, Markdown allowed, as {@code docs/configuration.md} shows it. */
    public Field<T> withDoc(String text) {
        return new Field<>(name, type, parser, printer, defaultValue, required, defaultDescription, check, text,
                secret);
    }

    /** This field, holding a secret: its value is never shown, in errors, logs or {@code toString}. */
    public Field<T> secret() {
        return new Field<>(name, type, parser, printer, defaultValue, required, defaultDescription, check,
                documentation, true);
    }

    /**
     * The field of one concrete key: the first placeholders, in order, replaced by {@code parts}; placeholders
     * beyond the parts stay, e.g. {@code collector.targets[N].families.<family>.interval.ms} at 3 is
     * {@code collector.targets[3].families.<family>.interval.ms}.
     */
    public Field<T> at(Object... parts) {
        Matcher matcher = PLACEHOLDER.matcher(name);
        StringBuilder concrete = new StringBuilder();
        int next = 0;
        while (next < parts.length && matcher.find()) {
            String part = String.valueOf(parts[next++]);
            matcher.appendReplacement(concrete, Matcher.quoteReplacement(
                    matcher.group().equals("[N]") ? "[" + part + "]" : part));
        }
        matcher.appendTail(concrete);
        if (next != parts.length) {
            throw new IllegalArgumentException(name + ": " + parts.length + " parts for " + next + " placeholders");
        }
        return new Field<>(concrete.toString(), type, parser, printer, defaultValue, required, defaultDescription,
                check, documentation, secret);
    }

    /** The key, e.g. {@code collector.interval.ms}, placeholders included. */
    public String name() {
        return name;
    }

    /** What a value must look like, as errors say it: "a whole number". */
    public String type() {
        return type;
    }

    /** The value when the key is absent; {@code null} when required or without one. */
    public T defaultValue() {
        return defaultValue;
    }

    public boolean required() {
        return required;
    }

    public boolean isSecret() {
        return secret;
    }

    public String documentation() {
        return documentation;
    }

    /** Whether the name holds placeholders ({@code [N]}, {@code <word>}). */
    public boolean isTemplate() {
        return PLACEHOLDER.matcher(name).find();
    }

    /** The default as the documentation shows it: the value, its description, "required" or "none". */
    public String defaultShown() {
        if (defaultDescription != null) {
            return defaultDescription;
        }
        if (required) {
            return "required";
        }
        return defaultValue == null ? "none" : printer.apply(defaultValue);
    }

    /** The environment variable that overrides this key: {@code prefix} and the key upper-cased, runs of other characters as {@code _}. */
    public String environmentVariable(String prefix) {
        return environmentVariable(prefix, name);
    }

    static String environmentVariable(String prefix, String key) {
        return prefix + key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]+", "_").replaceAll("^_|_$", "");
    }

    /** A pattern matching the concrete keys of a template name, one group per placeholder. */
    Pattern keyPattern() {
        return Pattern.compile(quoteAround(name, "\\[(\\d+)]", "([a-z0-9_-]+)"));
    }

    /** A pattern matching the environment variables of a template name, one group per placeholder. */
    Pattern environmentPattern(String prefix) {
        // Placeholders become tokens that survive the upper-casing, then groups.
        String tokens = PLACEHOLDER.matcher(name).replaceAll(match ->
                match.group().equals("[N]") ? ".QQINDEXQQ." : ".QQWORDQQ.");
        String variable = environmentVariable(prefix, tokens);
        return Pattern.compile(quoteAround(variable.replace("QQINDEXQQ", "[N]").replace("QQWORDQQ", "<word>"),
                "(\\d+)", "([A-Z0-9_]+?)"));
    }

    private static String quoteAround(String template, String index, String word) {
        Matcher matcher = PLACEHOLDER.matcher(template);
        StringBuilder regex = new StringBuilder();
        int last = 0;
        while (matcher.find()) {
            regex.append(Pattern.quote(template.substring(last, matcher.start())));
            regex.append(matcher.group().equals("[N]") ? index : word);
            last = matcher.end();
        }
        regex.append(Pattern.quote(template.substring(last)));
        return regex.toString();
    }

    /**
     * Parses and checks {@code text} (never null) for this key; a refused value throws {@link InvalidValue}. For
     * surfaces that check one value at a time, e.g. a Kafka Connect validator; a role reads with {@link Fields#read}.
     */
    public T parse(String text) {
        T value;
        try {
            value = parser.parse(text);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new InvalidValue(name, "expected " + type + (secret ? "" : ", got '" + text + "'"));
        }
        problemWith(value).ifPresent(problem -> {
            throw new InvalidValue(List.of(problem));
        });
        return value;
    }

    /**
     * The problem {@code value} has under this field's rule, naming the key; empty when it is fine. For typed
     * configurations built in code, so that a value given in code follows the rule a value read from a file does.
     */
    public Optional<InvalidValue.Problem> problemWith(T value) {
        String problem = value == null || check == null ? null : check.problem(value);
        if (problem == null) {
            return Optional.empty();
        }
        return Optional.of(new InvalidValue.Problem(name, secret ? "refused (the value is secret and not shown)" : problem));
    }

    /** How the value is written in a properties file, for {@code value}'s type. */
    public String print(T value) {
        return printer.apply(value);
    }

    @Override
    public String toString() {
        return name;
    }
}
