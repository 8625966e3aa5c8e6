package io.pganalytics.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FieldsTest {

    enum Mode { NORMALIZED, NONE }

    static final Field<String> ID = Field.string("collector.id").withCheck(Check.without("/", "it separates keys"))
            .withDoc("this collector's name");
    static final Field<Duration> INTERVAL = Field.millis("collector.interval.ms").withDefault(Duration.ofSeconds(10))
            .withCheck(duration -> duration.toMillis() >= 1000 ? null : "must be at least 1000, got " + duration.toMillis())
            .withDoc("the base interval");
    static final Field<Integer> PORT = Field.integer("collector.http.port").withDefault(-1)
            .withCheck(Check.between(-1, 65535)).withDoc("`-1` off");
    static final Field<Mode> MODE = Field.choice("collector.query.text.mode", Mode.class).withDefault(Mode.NORMALIZED);
    static final Field<String> PASSWORD = Field.string("collector.targets[N].password").optional().secret()
            .withCheck(Check.matching("[a-z]+", "lower case letters"));
    static final Field<String> TARGET_URL = Field.string("collector.targets[N].url");
    static final Field<Long> FAMILY_INTERVAL = Field.longValue("collector.families.<family>.interval.ms").optional();
    static final Field<Long> TARGET_FAMILY = Field.longValue("collector.targets[N].families.<family>.interval.ms")
            .optional();

    static final Fields FIELDS = Fields.of("PGA_", ID, INTERVAL, PORT, MODE, PASSWORD, TARGET_URL, FAMILY_INTERVAL,
            TARGET_FAMILY);

    @Test
    void absentKeysTakeTheirDefaultAndGivenOnesAreParsed() {
        Values values = FIELDS.read(Map.of("collector.id", " eu-1 ", "collector.http.port", "9187",
                "collector.query.text.mode", "NONE"));
        values.validate();
        assertThat(values.get(ID)).isEqualTo("eu-1");
        assertThat(values.get(INTERVAL)).isEqualTo(Duration.ofSeconds(10));
        assertThat(values.get(PORT)).isEqualTo(9187);
        assertThat(values.get(MODE)).isEqualTo(Mode.NONE);
    }

    @Test
    void everyProblemIsReportedAtOnceEachNamingItsKey() {
        Values values = FIELDS.read(Map.of("collector.interval.ms", "10s", "collector.http.port", "70000",
                "collector.query.text.mode", "full"));
        assertThatThrownBy(values::validate)
                .isInstanceOfSatisfying(InvalidValue.class, e -> assertThat(e.problems()).extracting(Object::toString)
                        .containsExactlyInAnyOrder(
                                "collector.interval.ms: expected a whole number of milliseconds, got '10s'",
                                "collector.http.port: must be -1 to 65535, got 70000",
                                "collector.query.text.mode: expected one of normalized, none, got 'full'",
                                "collector.id: required: this collector's name"));
    }

    @Test
    void aMisspeltKeyIsRefusedWithTheKeyItProbablyMeant() {
        assertThatThrownBy(() -> FIELDS.read(Map.of("collector.id", "a", "collector.intervall.ms", "1000")).validate())
                .isInstanceOf(InvalidValue.class)
                .hasMessage("collector.intervall.ms: unknown key; did you mean collector.interval.ms?");
        assertThatThrownBy(() -> FIELDS.read(Map.of("collector.id", "a", "totally.different", "1")).validate())
                .hasMessage("totally.different: unknown key; the keys are listed in docs/configuration.md");
    }

    @Test
    void keysUnderAnAllowedPrefixPassUnchecked() {
        Values values = FIELDS.allowing("kafka.").read(Map.of("collector.id", "a", "kafka.linger.ms", "5"));
        values.validate();
        assertThat(values.get(ID)).isEqualTo("a");
    }

    @Test
    void environmentVariablesOverrideTheFileIncludingIndexedAndNamedKeys() {
        Values values = FIELDS.read(Map.of("collector.id", "file", "collector.targets[0].url", "jdbc:postgresql://a/b"),
                Map.of("PGA_COLLECTOR_ID", "env", "PGA_COLLECTOR_TARGETS_0_PASSWORD", "secret",
                        "PGA_COLLECTOR_FAMILIES_PG_STAT_IO_INTERVAL_MS", "60000",
                        "PGA_COLLECTOR_TARGETS_0_FAMILIES_TABLES_INTERVAL_MS", "0", "HOME", "/root"));
        values.validate();
        assertThat(values.get(ID)).isEqualTo("env");
        assertThat(values.get(PASSWORD.at(0))).isEqualTo("secret");
        assertThat(values.get(FAMILY_INTERVAL.at("pg_stat_io"))).isEqualTo(60_000L);
        assertThat(values.words(FAMILY_INTERVAL)).containsExactly("pg_stat_io");
        assertThat(values.words(TARGET_FAMILY.at(0))).containsExactly("tables");
        assertThat(values.get(TARGET_FAMILY.at(0, "tables"))).isZero();
        assertThat(PASSWORD.at(0).environmentVariable("PGA_")).isEqualTo("PGA_COLLECTOR_TARGETS_0_PASSWORD");
    }

    @Test
    void indexedKeysCountFromZeroWithoutGaps() {
        Values values = FIELDS.read(Map.of("collector.id", "a", "collector.targets[0].url", "u0",
                "collector.targets[2].url", "u2"));
        assertThat(values.indexes("collector.targets")).containsExactly(0, 2);
        assertThatThrownBy(values::validate)
                .hasMessage("collector.targets[2]: indexes must count up from 0 without gaps");
    }

    @Test
    void aRequiredKeyOfAnIndexedEntryIsReportedWhenRead() {
        Values values = FIELDS.read(Map.of("collector.id", "a", "collector.targets[0].password", "abc"));
        assertThat(values.get(TARGET_URL.at(0))).isNull();
        assertThatThrownBy(values::validate).hasMessage("collector.targets[0].url: required");
    }

    @Test
    void aSecretIsNeverRepeatedInAnError() {
        Values values = FIELDS.read(Map.of("collector.id", "a", "collector.targets[0].password", "Hunter2"));
        assertThatThrownBy(values::validate)
                .hasMessage("collector.targets[0].password: refused (the value is secret and not shown)")
                .hasMessageNotContaining("Hunter2");
    }

    @Test
    void anEmptyValueCountsAsAbsent() {
        Values values = FIELDS.read(Map.of("collector.id", "a", "collector.http.port", ""));
        values.validate();
        assertThat(values.get(PORT)).isEqualTo(-1);
        assertThat(values.has(PORT)).isFalse();
    }

    @Test
    void theDocumentationTableListsEveryKeyWithItsDefault() {
        assertThat(Fields.of("PGA_", ID, INTERVAL, PORT, PASSWORD.withDefaultDescribed("never logged")).markdownTable())
                .isEqualTo("""
                        | key | default | meaning |
                        |---|---|---|
                        | `collector.id` | required | this collector's name |
                        | `collector.interval.ms` | 10000 | the base interval |
                        | `collector.http.port` | -1 | `-1` off |
                        | `collector.targets[N].password` | never logged |  |
                        """);
    }

    @Test
    void durationsAreWrittenInTheUnitTheirKeyNames() {
        Field<Duration> grace = Field.seconds("streams.rollups.grace.seconds").withDefault(Duration.ofSeconds(30));
        Fields fields = Fields.of("PGA_", grace);
        assertThat(fields.read(Map.of("streams.rollups.grace.seconds", "90")).get(grace)).isEqualTo(Duration.ofSeconds(90));
        assertThat(grace.defaultShown()).isEqualTo("30");
        assertThatThrownBy(() -> fields.read(Map.of("streams.rollups.grace.seconds", "30s")).validate())
                .hasMessage("streams.rollups.grace.seconds: expected a whole number of seconds, got '30s'");
    }

    @Test
    void aKeyDeclaredTwiceIsAProgrammingError() {
        assertThatThrownBy(() -> Fields.of("PGA_", List.of(ID, ID))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aValueGivenInCodeIsCheckedByTheSameRuleNamingTheKey() {
        assertThat(PORT.problemWith(70_000)).get().hasToString("collector.http.port: must be -1 to 65535, got 70000");
        assertThat(PORT.problemWith(8080)).isEmpty();
        assertThat(PASSWORD.at(1).problemWith("Hunter2")).get()
                .hasToString("collector.targets[1].password: refused (the value is secret and not shown)");
    }

    @Test
    void oneValueIsParsedAndCheckedOnItsOwnNamingTheKey() {
        assertThat(PORT.parse(" 8080".strip())).isEqualTo(8080);
        assertThatThrownBy(() -> PORT.parse("http"))
                .isInstanceOf(InvalidValue.class).hasMessage("collector.http.port: expected a whole number, got 'http'");
        assertThatThrownBy(() -> PORT.parse("70000")).hasMessage("collector.http.port: must be -1 to 65535, got 70000");
    }

    @Test
    void keysUnderAnAllowedPrefixAreHandedOnWithoutIt() {
        Values values = FIELDS.allowing("kafka.").read(Map.of("collector.id", "a", "kafka.linger.ms", " 5 "));
        assertThat(values.under("kafka.")).containsExactly(Map.entry("linger.ms", "5"));
    }
}
