package io.pganalytics.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Topics of the contract ({@code io.pganalytics.schemas.contract.TopicContract.all()}) that an {@link EmbeddedStack}'s broker
 * creates before the class's {@code @BeforeAll} methods run, with the contract's cleanup policy. Repeatable; where
 * several match a topic, the last one sets its partitions:
 *
 * <pre>{@code
 * @ContractTopics(value = "pga.*", partitions = 1)
 * @ContractTopics(Topics.FLEET_TARGETS) // the contract's 12: the unit collectors of a fleet share
 * }</pre>
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Repeatable(ContractTopics.List.class)
public @interface ContractTopics {

    /** {@link #partitions()} that takes each topic's count from the contract. */
    int AS_DECLARED = 0;

    /**
     * Topic names, exact or with {@code *} standing for any characters: {@code "pga.*"} (every topic),
     * {@code "pga.fleet.*"}. Each must match a topic of the contract.
     */
    String[] value();

    /** Partitions of each topic matched; {@link #AS_DECLARED} by default. */
    int partitions() default AS_DECLARED;

    /** Holds repeated {@link ContractTopics}. */
    @Target(ElementType.TYPE)
    @Retention(RetentionPolicy.RUNTIME)
    @Documented
    @interface List {
        ContractTopics[] value();
    }
}
