package io.pganalytics.platform.role;

import io.pganalytics.sink.s3.restore.RestoreConfig;
import io.pganalytics.sink.s3.restore.RestoreException;
import io.pganalytics.sink.s3.restore.RestoreRequest;
import io.pganalytics.sink.s3.restore.Rewrap;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pganalytics backup}: maintenance of the S3 backups the backup sink writes (docs/backup-restore.md). */
@Command(name = "backup", mixinStandardHelpOptions = true,
        description = "Maintains the S3 backups written by the backup sink.",
        subcommands = {BackupCommand.RewrapCommand.class})
public final class BackupCommand extends CommandGroup {

    /** {@code backup rewrap}. */
    @Command(name = "rewrap", mixinStandardHelpOptions = true,
            description = "Seals the data key of every encrypted object under --from with the first key of s3.encryption.keys "
                    + "(the older keys that sealed them must still be in the ring). The data is not re-encrypted or "
                    + "downloaded: each object is copied onto itself with new metadata. Afterwards the older keys can leave"
                    + " the ring. Exit 1, naming the object and key, when a data key cannot be opened.")
    static final class RewrapCommand implements Callable<Integer> {
        @Option(names = "--from", required = true, paramLabel = "s3://BUCKET[/PREFIX]", description = "The backups.")
        String from;

        @Option(names = {"-c", "--config"}, paramLabel = "FILE",
                description = "Properties file with the s3.* keys (as for restore). Optional when PGA_* variables say it all.")
        Path config;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            String[] location = RestoreRequest.parseLocation(from);
            RestoreConfig restoreConfig = ConfigFile.load(config, RestoreConfig.FIELDS, RestoreConfig::from);
            PrintWriter out = spec.commandLine().getOut();
            try {
                Rewrap.Report report = new Rewrap(restoreConfig.s3()).run(location[0], location[1]);
                out.println("examined " + report.examined() + " object(s) of " + from + ": " + report.rewrapped() + " rewrapped with key '"
                        + restoreConfig.s3().encryption().encryptingKeyId() + "', " + report.current() + " already sealed with it, "
                        + report.plaintext() + " not encrypted");
                out.flush();
                return 0;
            } catch (RestoreException e) {
                PrintWriter err = spec.commandLine().getErr();
                err.println("pganalytics backup rewrap: " + e.getMessage());
                err.flush();
                return 1;
            }
        }
    }
}
