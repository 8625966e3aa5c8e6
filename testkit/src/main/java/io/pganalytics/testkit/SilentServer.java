package io.pganalytics.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A server on 127.0.0.1 that accepts connections and never answers: a hung PostgreSQL, the worst kind of target. */
public final class SilentServer implements AutoCloseable {

    private final ServerSocket socket;
    /** Held, not just accepted: a socket nobody references may be closed by the garbage collector. */
    private final List<Socket> held = new CopyOnWriteArrayList<>();

    private SilentServer(ServerSocket socket) {
        this.socket = socket;
    }

    /** Binds a free port and accepts on a daemon thread until closed. */
    public static SilentServer start() throws IOException {
        SilentServer server = new SilentServer(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        Thread acceptor = new Thread(server::accept, "silent-server");
        acceptor.setDaemon(true);
        acceptor.start();
        return server;
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                held.add(socket.accept());
            } catch (IOException closed) {
                return;
            }
        }
    }

    public int port() {
        return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket connection : held) {
            connection.close();
        }
    }
}
