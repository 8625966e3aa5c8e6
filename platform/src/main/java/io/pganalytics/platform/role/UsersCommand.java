package io.pganalytics.platform.role;

import io.pganalytics.config.InvalidValue;
import io.pganalytics.fleet.admin.Accounts;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pganalytics users}: the local accounts of the API, through the same {@link Accounts} the API's user routes
 * call (docs/security.md). Every change is made as the operating-system user on this host.
 */
@Command(name = "users", mixinStandardHelpOptions = true,
        description = {"Adds, lists, disables and enables the API's local users, resets passwords, changes roles",
            "and ends sessions, in the control-plane database (control.database.url). Roles: admin, user, viewer,",
            "auditor. Passwords: at least 12 characters; given by --password-file or --password-env, or generated",
            "and printed once (--generate-password)."},
        subcommands = {UsersCommand.Add.class, UsersCommand.ListUsers.class, UsersCommand.ResetPassword.class,
            UsersCommand.Disable.class, UsersCommand.Enable.class, UsersCommand.SetRole.class, UsersCommand.RevokeSessions.class, UsersCommand.Unlock.class})
public final class UsersCommand extends CommandGroup {

    /** Where a password comes from: a file, a variable, or made here. */
    static final class PasswordSource {
        @Option(names = "--password-file", paramLabel = "FILE", description = "Read the password from this file (one line).")
        Path file;

        @Option(names = "--password-env", paramLabel = "VAR", description = "Read the password from this environment variable.")
        String env;

        @Option(names = "--generate-password", description = "Make a random password and print it once.")
        boolean generate;

        /** Prints {@code secret} once when it was made here: nobody else ever sees it. */
        void printIfGenerated(CommandLine.Model.CommandSpec spec, String secret) {
            if (generate) {
                printed(spec, "password (shown once): " + secret);
            }
        }

        /** The password, and whether it was made here (then it is printed). */
        String read() {
            if (generate) {
                return Accounts.PasswordPolicy.generate();
            }
            if (file != null) {
                try {
                    String text = Files.readString(file).strip();
                    if (text.isEmpty()) {
                        throw new InvalidValue("--password-file", file + " is empty");
                    }
                    return text;
                } catch (IOException e) {
                    throw new InvalidValue("--password-file", "cannot read " + file + " (" + e.getClass().getSimpleName() + ")", e);
                }
            }
            String value = System.getenv(env);
            if (value == null || value.isEmpty()) {
                throw new InvalidValue("--password-env", "variable " + env + " is not set");
            }
            return value;
        }
    }

    /** A change of one named user: what it says when done. */
    abstract static class OnUser implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Mixin
        AccountsConnection connection;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        abstract String change(Accounts accounts);

        @Override
        public Integer call() {
            try (Accounts accounts = connection.open()) {
                printed(spec, change(accounts));
            }
            return 0;
        }
    }

    private static void printed(CommandLine.Model.CommandSpec spec, String line) {
        PrintWriter out = spec.commandLine().getOut();
        out.println(line);
        out.flush();
    }

    private static String describe(Accounts.User user) {
        return user.name() + " (" + user.role() + (user.disabled() ? ", disabled" : "") + ")";
    }

    /** {@code users add}. */
    @Command(name = "add", mixinStandardHelpOptions = true, description = "Creates a local user.")
    static final class Add implements Callable<Integer> {
        @Parameters(paramLabel = "NAME", description = "Lower-case letters, digits, '.', '_', '-' or '@'; up to 64.")
        String name;

        @Option(names = "--role", required = true, paramLabel = "ROLE", description = "admin, user, viewer or auditor.")
        String role;

        @ArgGroup(exclusive = true, multiplicity = "1")
        PasswordSource password;

        @Mixin
        AccountsConnection connection;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            String secret = password.read();
            Accounts.NewUser user = new Accounts.NewUser(name, role, secret);
            try (Accounts accounts = connection.open()) {
                Accounts.User created = accounts.createUser(FleetCommand.actor(), user);
                printed(spec, "created user " + describe(created));
            }
            password.printIfGenerated(spec, secret);
            return 0;
        }
    }

    /** {@code users list}. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the local users.")
    static final class ListUsers implements Callable<Integer> {
        @Mixin
        AccountsConnection connection;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            try (Accounts accounts = connection.open()) {
                PrintWriter out = spec.commandLine().getOut();
                out.printf("%-32s %-8s %-9s %-22s %s%n", "NAME", "ROLE", "STATE", "PASSWORD CHANGED", "CREATED BY");
                for (Accounts.User u : accounts.users()) {
                    out.printf("%-32s %-8s %-9s %-22s %s%n", u.name(), u.role(), u.disabled() ? "disabled" : "enabled",
                            u.passwordChangedAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS), u.createdBy());
                }
                out.flush();
            }
            return 0;
        }
    }

    /** {@code users reset-password}. */
    @Command(name = "reset-password", mixinStandardHelpOptions = true,
            description = "Sets a new password for a user; every session of theirs ends.")
    static final class ResetPassword implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @ArgGroup(exclusive = true, multiplicity = "1")
        PasswordSource password;

        @Mixin
        AccountsConnection connection;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            String secret = password.read();
            try (Accounts accounts = connection.open()) {
                printed(spec, "password of " + describe(accounts.resetPassword(FleetCommand.actor(), name, secret))
                        + " reset; their sessions ended");
            }
            password.printIfGenerated(spec, secret);
            return 0;
        }
    }

    /** {@code users disable}. */
    @Command(name = "disable", mixinStandardHelpOptions = true, description = "Disables a user: no login, every session ends.")
    static final class Disable extends OnUser {
        @Override
        String change(Accounts accounts) {
            return "disabled " + describe(accounts.setDisabled(FleetCommand.actor(), name, true));
        }
    }

    /** {@code users enable}. */
    @Command(name = "enable", mixinStandardHelpOptions = true, description = "Enables a disabled user.")
    static final class Enable extends OnUser {
        @Override
        String change(Accounts accounts) {
            return "enabled " + describe(accounts.setDisabled(FleetCommand.actor(), name, false));
        }
    }

    /** {@code users set-role}. */
    @Command(name = "set-role", mixinStandardHelpOptions = true,
            description = "Changes a user's role; tokens already issued follow within a second.")
    static final class SetRole extends OnUser {
        @Parameters(index = "1", paramLabel = "ROLE", description = "admin, user, viewer or auditor.")
        String role;

        @Override
        String change(Accounts accounts) {
            return "user " + describe(accounts.setRole(FleetCommand.actor(), name, role));
        }
    }

    /** {@code users revoke-sessions}. */
    @Command(name = "revoke-sessions", mixinStandardHelpOptions = true,
            description = "Ends every session of a user (refresh tokens revoked, access tokens refused within a second).")
    static final class RevokeSessions extends OnUser {
        @Override
        String change(Accounts accounts) {
            return "every session of " + describe(accounts.revokeSessions(FleetCommand.actor(), name)) + " ended";
        }
    }

    /** {@code users unlock}. */
    @Command(name = "unlock", mixinStandardHelpOptions = true,
            description = "Lifts the lockout of a name after failed logins (every 5th failure locks it, 1 min doubling up to 1 h).")
    static final class Unlock extends OnUser {
        @Override
        String change(Accounts accounts) {
            return accounts.unlock(FleetCommand.actor(), name) ? "lockout of " + name + " lifted" : name + " is not locked";
        }
    }
}
