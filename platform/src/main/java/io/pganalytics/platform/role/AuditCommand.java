package io.pganalytics.platform.role;

import io.pganalytics.audit.AuditConfig;
import io.pganalytics.audit.AuditVerification;
import io.pganalytics.audit.CheckpointStore;
import io.pganalytics.fleet.admin.AuditTrail;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.schemas.audit.AuditChain;
import io.pganalytics.schemas.audit.CheckpointKeys;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pganalytics audit}: verifies the audit trail, makes checkpoint keys (docs/audit.md). */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Verifies the hash chain of the audit trail against its signed checkpoints, and makes the Ed25519 key"
                + " pair that signs them.",
        subcommands = {AuditCommand.Verify.class, AuditCommand.Keygen.class})
public final class AuditCommand extends CommandGroup {

    /** {@code audit verify}. */
    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Recomputes every link of the chain in the control-plane database and checks it against the "
                    + "checkpoints in audit.checkpoint.bucket (the database's own without one), their signatures against "
                    + "the pinned public key. Exit 0 when intact; 1 with the first bad seq and why.")
    static final class Verify implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, paramLabel = "FILE",
                description = "Properties file of the audit role. Optional when PGA_* variables say it all.")
        Path config;

        @Option(names = "--public-key", paramLabel = "FILE", required = true,
                description = "The pinned Ed25519 public key (PEM) checkpoints are signed with.")
        Path publicKey;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            AuditConfig audit = ConfigFile.load(config, AuditConfig.FIELDS, AuditConfig::from);
            PublicKey key;
            try {
                key = CheckpointKeys.readPublic(publicKey);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--public-key: " + e.getMessage());
            }
            PrintWriter out = spec.commandLine().getOut();
            try (AuditTrail trail = ControlPlanes.openAuditTrail(audit.control());
                 CheckpointStore bucket = audit.bucket() == null ? null : new CheckpointStore(audit.s3(), audit.bucket())) {
                AuditChain.Verification result = AuditVerification.verify(trail, bucket, key);
                String where = bucket == null ? "the database (no audit.checkpoint.bucket)" : "s3://" + audit.bucket() + "/" + CheckpointStore.PREFIX;
                if (result.intact()) {
                    out.println("intact: " + result.entries() + " entries" + (result.entries() == 0 ? "" : ", head " + result.headHash())
                            + "; " + result.checkpoints() + " checkpoint(s) from " + where + ", signatures verified");
                    out.flush();
                    return 0;
                }
                AuditChain.Problem problem = result.problem().orElseThrow();
                PrintWriter err = spec.commandLine().getErr();
                err.println("NOT intact at seq " + problem.seq() + ": " + problem.reason());
                err.println("(" + result.checkpoints() + " checkpoint(s) from " + where + ")");
                err.flush();
                return 1;
            }
        }
    }

    /** {@code audit keygen}. */
    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = "Writes a new Ed25519 key pair for audit checkpoints: <dir>/audit-checkpoint.key (owner-only; "
                    + "audit.checkpoint.private.key of the audit role) and <dir>/audit-checkpoint.pub (pin it wherever the "
                    + "chain is verified: audit.checkpoint.public.key of the API, --public-key of `audit verify`).")
    static final class Keygen implements Callable<Integer> {
        @Option(names = "--out", paramLabel = "DIR", required = true, description = "Where to write the two files.")
        Path dir;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Path privateKey = dir.resolve("audit-checkpoint.key");
            Path publicKey = dir.resolve("audit-checkpoint.pub");
            if (Files.exists(privateKey) || Files.exists(publicKey)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--out: " + dir + " holds a checkpoint key already;"
                        + " a new one would not verify the checkpoints the old one signed");
            }
            var keys = CheckpointKeys.generate();
            CheckpointKeys.write(keys, privateKey, publicKey);
            PrintWriter out = spec.commandLine().getOut();
            out.println("wrote " + privateKey + " (key id " + AuditChain.keyId(keys.getPublic()) + ") and " + publicKey);
            out.flush();
            return 0;
        }
    }
}
