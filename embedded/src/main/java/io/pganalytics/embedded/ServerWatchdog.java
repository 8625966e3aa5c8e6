package io.pganalytics.embedded;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops a PostgreSQL server when the JVM that started it dies, however it dies. Zonky starts postgres through
 * {@code pg_ctl}, so the server is not our child: after a {@code kill -9} of the JVM it would keep running, holding
 * its port and data directory, until the next start on that directory stops it.
 *
 * <p>The watchdog is a shell reading its standard input (with the {@code read} builtin, so no other process), a
 * pipe whose only writer is this JVM. The kernel closes the pipe when the JVM exits, the read ends, and the shell
 * sends PostgreSQL's fast shutdown (SIGINT) to the postmaster. It checks first that the postmaster is still the one it watches: its pid must still be in
 * {@code postmaster.pid}, and the process must still be postgres. Ctrl-C in a terminal reaches the whole process
 * group, so the shell ignores INT, TERM and HUP. {@link #close()} kills the watchdog before a clean stop.
 */
final class ServerWatchdog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ServerWatchdog.class);

    private static final String SCRIPT = "trap '' INT TERM HUP; while read -r line; do :; done; "
            + "[ \"$(head -n 1 \"$1/postmaster.pid\" 2>/dev/null)\" = \"$2\" ] || exit 0; "
            + "case \"$(ps -p \"$2\" -o comm= 2>/dev/null)\" in *postgres*) kill -INT \"$2\";; esac";

    private final Process process;

    private ServerWatchdog(Process process) {
        this.process = process;
    }

    /**
     * Starts watching; empty when no POSIX shell can be started (the server then outlives a killed JVM, and the
     * next start on its directory stops it).
     */
    static Optional<ServerWatchdog> watch(Path dataDir, long postmasterPid) {
        try {
            Process process = new ProcessBuilder("/bin/sh", "-c", SCRIPT, "pganalytics-postgres-watchdog",
                    dataDir.toString(), Long.toString(postmasterPid))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return Optional.of(new ServerWatchdog(process));
        } catch (IOException e) {
            LOG.warn("PostgreSQL (pid {}) will outlive this JVM if it is killed: cannot start its watchdog ({})",
                    postmasterPid, e.getMessage());
            return Optional.empty();
        }
    }

    /** Stops watching without touching the server (SIGKILL: the shell ignores the polite signals). */
    @Override
    public void close() {
        process.destroyForcibly();
    }
}
