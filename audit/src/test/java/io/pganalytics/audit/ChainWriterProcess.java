package io.pganalytics.audit;

import io.pganalytics.streams.audit.AuditChainStreamsRole;
import io.pganalytics.streams.runtime.StreamsSettings;
import java.nio.file.Path;

/** The chain's writer alone in a JVM of its own, for {@link AuditTrailIT} to kill (-9) while it writes. */
public final class ChainWriterProcess {

    private ChainWriterProcess() {
    }

    /** Arguments: bootstrap servers, registry URL, state directory. Runs until killed. */
    public static void main(String[] args) throws InterruptedException {
        new StreamsSettings(args[0], args[1], Path.of(args[2]), 1).start(new AuditChainStreamsRole());
        System.out.println("chain writer started");
        Thread.sleep(Long.MAX_VALUE);
    }
}
