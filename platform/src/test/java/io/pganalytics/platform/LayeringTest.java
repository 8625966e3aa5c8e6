package io.pganalytics.platform;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The layering of ARCHITECTURE.md §3, checked on the compiled classes of every module (platform depends
 * on all of them, so its test class path holds them all; the modules' tests are not checked). Like
 * Kafka's {@code import-control.xml}: what a module may import is stated here and, in words, on the
 * "May import:" line of its README; the two agree.
 */
@AnalyzeClasses(packages = "io.pganalytics", importOptions = ImportOption.DoNotIncludeTests.class)
class LayeringTest {

    /** Dependencies between packages go one way: no package, through any path, depends on itself. */
    @ArchTest
    static final ArchRule noPackageCycles = slices().matching("io.pganalytics.(**)").should().beFreeOfCycles();

    /**
     * An {@code internal} package is implementation detail of the package that holds it: only that
     * package and its sub-packages use it ({@code registry.internal} only from {@code registry..},
     * {@code fleet.admin.internal} only from {@code fleet.admin..}).
     */
    @ArchTest
    static final ArchRule internalPackagesAreUsedOnlyByTheirOwner = classes().that().resideInAPackage("..internal..")
            .should(beUsedOnlyFromTheirOwner());

    /**
     * Modules talk through the topic contract ({@code schemas}) and {@code config}, never by importing
     * each other: one module per role, each may import only what is listed here. Only the command line
     * ({@code platform}) sees every module; {@code bench} is outside this test (nothing depends on it,
     * so its classes are not on this class path).
     */
    @ArchTest
    static final ArchRule modulesTalkThroughTheContract = layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer("config").definedBy("io.pganalytics.config..")
            .layer("schemas").definedBy("io.pganalytics.schemas..")
            .layer("schema-registry").definedBy("io.pganalytics.registry..")
            .layer("embedded").definedBy("io.pganalytics.embedded..")
            .layer("collector-producer").definedBy("io.pganalytics.collector..")
            .layer("stream-processors").definedBy("io.pganalytics.streams..")
            .layer("sink-connectors").definedBy("io.pganalytics.sink..")
            .layer("fleet-admin").definedBy("io.pganalytics.fleet..")
            .layer("api").definedBy("io.pganalytics.api..")
            .layer("audit").definedBy("io.pganalytics.audit..")
            .layer("platform").definedBy("io.pganalytics.platform..")
            .layer("testkit").definedBy("io.pganalytics.testkit..")

            .whereLayer("config").mayNotAccessAnyLayer()
            .whereLayer("schemas").mayOnlyAccessLayers("config")
            .whereLayer("schema-registry").mayOnlyAccessLayers("schemas", "config")
            // Exception by design (ARCHITECTURE.md §3): embedded runs our registry in-process for the
            // quickstart and the tests, so it imports schema-registry's server.
            .whereLayer("embedded").mayOnlyAccessLayers("schema-registry", "schemas", "config")
            .whereLayer("collector-producer").mayOnlyAccessLayers("schemas", "config")
            .whereLayer("stream-processors").mayOnlyAccessLayers("schemas", "config")
            .whereLayer("sink-connectors").mayOnlyAccessLayers("schemas", "config")
            .whereLayer("fleet-admin").mayOnlyAccessLayers("schemas", "config")
            // Exception by design (ARCHITECTURE.md §3, §8): the API changes the fleet through
            // fleet-admin, the one write path it shares with the command line.
            .whereLayer("api").mayOnlyAccessLayers("fleet-admin", "schemas", "config")
            // Exception by design: the audit role stores the chain through fleet-admin (the control-plane database's
            // one owner) and reaches the backup bucket with the S3 connection the backup sink and restore share.
            .whereLayer("audit").mayOnlyAccessLayers("fleet-admin", "sink-connectors", "schemas", "config")
            .whereLayer("platform").mayNotBeAccessedByAnyLayer()
            // Test scaffolding (its classes are on this class path as a test dependency): it starts the embedded
            // components and the contract's topics, and no product code may use it.
            .whereLayer("testkit").mayOnlyAccessLayers("embedded", "schemas", "config")
            .whereLayer("testkit").mayNotBeAccessedByAnyLayer();

    private static final Pattern INTERNAL = Pattern.compile("(.*)\\.internal(\\..*)?");

    private static ArchCondition<JavaClass> beUsedOnlyFromTheirOwner() {
        return new ArchCondition<>("be used only from the package that holds their internal package") {
            @Override
            public void check(JavaClass internal, ConditionEvents events) {
                Matcher matcher = INTERNAL.matcher(internal.getPackageName());
                if (!matcher.matches()) {
                    return;
                }
                String owner = matcher.group(1);
                for (Dependency dependency : internal.getDirectDependenciesToSelf()) {
                    String from = dependency.getOriginClass().getPackageName();
                    if (!from.equals(owner) && !from.startsWith(owner + ".")) {
                        events.add(SimpleConditionEvent.violated(dependency, dependency.getDescription()
                                + ", outside " + owner));
                    }
                }
            }
        };
    }
}
