package io.pganalytics.testkit;

import io.pganalytics.embedded.EmbeddedConnect;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.embedded.EmbeddedS3;
import java.util.Set;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Runs {@link EmbeddedStack}: starts the declared stack before the class's {@code @BeforeAll} methods and keeps it in
 * the class's store, which closes it (an {@link AutoCloseable}) after the {@code @AfterAll} methods and after static
 * {@code @AutoClose} fields; hands its parts to parameters. {@code @Nested} classes share their outer class's stack.
 */
public final class EmbeddedStackExtension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(EmbeddedStackExtension.class);
    private static final Set<Class<?>> PARTS = Set.of(TestStack.class, EmbeddedKafka.class, EmbeddedRegistry.class,
            EmbeddedPostgres.class, EmbeddedConnect.class, EmbeddedS3.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        stack(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return PARTS.contains(parameter.getParameter().getType());
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        try {
            return stack(context).part(parameter.getParameter().getType());
        } catch (IllegalStateException e) {
            throw new ParameterResolutionException(e.getMessage(), e);
        }
    }

    /**
     * The class's stack, started on first use: in {@link #beforeAll}, or earlier when a per-class test instance's
     * constructor asks for a part. Found in an outer class's store first, so a nested class starts none of its own.
     */
    private static TestStack stack(ExtensionContext context) {
        Class<?> testClass = context.getRequiredTestClass();
        return context.getStore(NAMESPACE).getOrComputeIfAbsent(TestStack.class, key -> TestStack.start(testClass,
                AnnotationSupport.findAnnotation(testClass, EmbeddedStack.class).orElseThrow(() -> new IllegalStateException(
                        testClass.getName() + " uses " + EmbeddedStackExtension.class.getSimpleName() + " without @EmbeddedStack")),
                AnnotationSupport.findRepeatableAnnotations(testClass, ContractTopics.class)), TestStack.class);
    }
}
