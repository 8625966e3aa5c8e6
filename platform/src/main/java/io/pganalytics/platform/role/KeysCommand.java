package io.pganalytics.platform.role;

import io.pganalytics.fleet.admin.Accounts;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pganalytics keys}: the API's JWT signing keys in the control-plane database (docs/security.md, key rotation). */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = {"Lists, rotates and retires the EdDSA keys that sign the API's access tokens. A new key signs",
            "at once on every replica (they reload the ring within 5 s, and at once on an unknown kid); older keys",
            "verify until retired. Private keys are sealed with fleet.secret.keys."},
        subcommands = {KeysCommand.ListKeys.class, KeysCommand.Rotate.class, KeysCommand.Retire.class, KeysCommand.Reseal.class})
public final class KeysCommand extends CommandGroup {

    /** A keys subcommand on the accounts of the control-plane database: what it prints. */
    abstract static class OnAccounts implements Callable<Integer> {
        @Mixin
        AccountsConnection connection;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        abstract String run(Accounts accounts);

        @Override
        public Integer call() {
            try (Accounts accounts = connection.open()) {
                PrintWriter out = spec.commandLine().getOut();
                out.println(run(accounts));
                out.flush();
            }
            return 0;
        }
    }

    /** {@code keys list}. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the signing keys in force, newest (the signing one) first.")
    static final class ListKeys extends OnAccounts {
        @Override
        String run(Accounts accounts) {
            StringBuilder out = new StringBuilder();
            boolean first = true;
            for (Accounts.SigningKey key : accounts.signingKeys()) {
                out.append(first ? "" : "\n").append(key.kid()).append("  ").append(key.algorithm()).append("  created ")
                        .append(key.createdAt()).append(first ? "  (signs)" : "  (verifies)");
                first = false;
            }
            return out.toString();
        }
    }

    /** {@code keys rotate}. */
    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = "Makes a new signing key; the previous ones keep verifying until `keys retire`.")
    static final class Rotate extends OnAccounts {
        @Override
        String run(Accounts accounts) {
            Accounts.SigningKey key = accounts.rotateSigningKey(FleetCommand.actor());
            return "new signing key " + key.kid() + "; retire the old ones once their tokens have expired: "
                    + "pganalytics keys retire --older-than 1h";
        }
    }

    /** {@code keys retire}. */
    @Command(name = "retire", mixinStandardHelpOptions = true,
            description = "Retires every key but the signing one created longer ago than --older-than: tokens it signed stop verifying.")
    static final class Retire extends OnAccounts {
        @Option(names = "--older-than", required = true, paramLabel = "DURATION",
                description = "e.g. 1h (no access token lives longer), 30m, 7d.")
        String olderThan;

        @Override
        String run(Accounts accounts) {
            Duration age = parse(olderThan);
            return "retired " + accounts.retireSigningKeys(FleetCommand.actor(), Instant.now().minus(age)) + " signing key(s)";
        }

        static Duration parse(String text) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,6})(m|h|d)").matcher(text.strip());
            if (!m.matches()) {
                throw new io.pganalytics.config.InvalidValue("--older-than", "expected a duration like 30m, 1h or 7d, got '" + text + "'");
            }
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
    }

    /** {@code keys reseal}: re-encrypts every stored secret with the first key of {@code fleet.secret.keys}. */
    @Command(name = "reseal", mixinStandardHelpOptions = true,
            description = {"Re-encrypts every stored secret (targets' passwords, the signing keys, TOTP secrets) with the",
                "first key of fleet.secret.keys, in one transaction, and republishes the targets on pga.fleet.targets.",
                "Rotating fleet.secret.keys without downtime: 1. put the new key first everywhere (collectors, API,",
                "this command), the old one after it; 2. run this; 3. remove the old key. Safe to run again."})
    static final class Reseal implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        FleetConnection connection;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            FleetConnection.Settings settings = connection.settings();
            try (io.pganalytics.fleet.admin.ControlPlane plane = settings.open(settings.secrets("keys reseal"))) {
                io.pganalytics.fleet.admin.ControlPlane.ResealReport report = plane.resealSecrets(FleetCommand.actor());
                spec.commandLine().getOut().println("re-encrypted with key " + report.keyId() + ": " + report.targetPasswords()
                        + " target password(s), " + report.signingKeys() + " signing key(s), " + report.totpSecrets()
                        + " TOTP secret(s); keys no longer needed can be removed from fleet.secret.keys once every process has "
                        + "the new one first");
                spec.commandLine().getOut().flush();
            }
            return 0;
        }
    }
}
