package io.pganalytics.platform.role;

import io.pganalytics.audit.AuditConfig;
import io.pganalytics.audit.AuditRole;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pganalytics audit-capture}: the audit role (Debezium capture, the chain's store, signed checkpoints). */
@Command(name = "audit-capture",
        mixinStandardHelpOptions = true,
        description = "Captures every change of the control-plane database from its write-ahead log (Debezium, pgoutput): "
                + "audit_outbox -> pga.audit.events, each control-plane table -> pga.control.cdc.<table>; stores the "
                + "hash chain the stream processors write (pga.audit.log) in audit_log, and signs a checkpoint every "
                + "audit.checkpoint.every.entries entries or .seconds into the database and audit.checkpoint.bucket. "
                + "Configuration: the control plane's keys (control.database.*, kafka.bootstrap.servers, "
                + "schema.registry.url) and audit.* (docs/audit.md), each overridable by PGA_<KEY>. Run one; stops "
                + "cleanly on Ctrl-C or TERM (Debezium commits its position on the way out).")
public final class AuditCaptureCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Properties file. Optional when PGA_* variables say it all.")
    Path config;

    @Override
    public Integer call() throws Exception {
        AuditConfig audit = ConfigFile.load(config, AuditConfig.FIELDS, AuditConfig::from);
        StopSignal stop = StopSignal.install();
        try (AuditRole role = AuditRole.start(audit)) {
            stop.await();
        }
        return 0;
    }
}
