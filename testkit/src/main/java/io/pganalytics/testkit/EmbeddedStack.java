package io.pganalytics.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives an integration test class the real infrastructure it declares, from {@code embedded}, started once before
 * its {@code @BeforeAll} methods and closed after its {@code @AfterAll} methods, in reverse order of start:
 *
 * <pre>{@code
 * @EmbeddedStack(registry = true, postgres = true, extensions = "pg_stat_statements")
 * @ContractTopics(value = "pga.*", partitions = 2)
 * class CollectorIT {
 *     @BeforeAll
 *     static void start(EmbeddedKafka kafka, EmbeddedRegistry registry, EmbeddedPostgres postgres) { ... }
 * }
 * }</pre>
 *
 * <p>Lifecycle methods, constructors and test methods receive the parts as parameters ({@link TestStack},
 * {@code EmbeddedKafka}, {@code EmbeddedRegistry}, {@code EmbeddedPostgres}, {@code EmbeddedConnect},
 * {@code EmbeddedS3}). Data lives in a directory of the stack's own, deleted when it closes. Settings are
 * {@code "key=value"} strings, applied after embedded's defaults.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(EmbeddedStackExtension.class)
public @interface EmbeddedStack {

    /** A single-node KRaft broker; the registry, Connect and {@link ContractTopics} need it. */
    boolean kafka() default true;

    /** Our schema registry, with its state on the broker. */
    boolean registry() default false;

    /** PostgreSQL 17 (started beside the broker, not after it), {@code pg_stat_statements} preloaded. */
    boolean postgres() default false;

    /** PostgreSQL server settings beyond embedded's, e.g. {@code "max_connections=200"}. */
    String[] postgresSettings() default {};

    /** Databases to create besides {@code postgres}. */
    String[] databases() default {};

    /** Extensions to create in the {@code postgres} database, e.g. {@code "pg_stat_statements"}. */
    String[] extensions() default {};

    /** A distributed Connect worker on the broker. */
    boolean connect() default false;

    /** Connect worker properties beyond embedded's, e.g. {@code "offset.flush.interval.ms=500"}. */
    String[] connectSettings() default {};

    /** An S3-compatible store (s3proxy on the file system), with embedded's default credentials. */
    boolean s3() default false;
}
