package io.pganalytics.platform.quickstart;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Checks, before anything starts, that each chosen port is free on 127.0.0.1, so that a taken port
 * is one clear line naming the flag rather than a failure halfway through start-up.
 */
final class PortCheck {

    private PortCheck() {
    }

    /** Throws {@link PortTakenException} for the first of {@code port, flag} pairs that is taken. */
    static void requireFree(Object... portsAndFlags) {
        for (int i = 0; i < portsAndFlags.length; i += 2) {
            int port = (Integer) portsAndFlags[i];
            String flag = (String) portsAndFlags[i + 1];
            if (port == 0) {
                continue;
            }
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(true);
                socket.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            } catch (IOException e) {
                throw new PortTakenException("port " + port + " is already in use; choose another with " + flag);
            }
        }
    }

    /** A port the quickstart needs is taken. */
    static final class PortTakenException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PortTakenException(String message) {
            super(message);
        }
    }
}
