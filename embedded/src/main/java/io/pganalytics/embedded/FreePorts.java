package io.pganalytics.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Picks free TCP ports on 127.0.0.1 for servers that must know their port before they bind it. */
final class FreePorts {

    private FreePorts() {
    }

    /**
     * Returns a port the OS just reported free. Someone else may take it before our server binds it, so callers
     * that picked a port this way retry on a bind failure.
     */
    static int pick() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot find a free port on 127.0.0.1", e);
        }
    }

    /** Like {@link #pick()}, but never returns {@code taken} (a port picked a moment ago and not bound yet). */
    static int pickOtherThan(int taken) {
        int port = pick();
        while (port == taken) {
            port = pick();
        }
        return port;
    }

    /** Validates a port a caller asked for; 0 means "pick one". */
    static int check(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: expected 0..65535, got " + port);
        }
        return port;
    }
}
