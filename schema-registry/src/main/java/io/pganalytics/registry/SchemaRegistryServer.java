package io.pganalytics.registry;

import io.javalin.Javalin;
import io.pganalytics.registry.internal.Authenticator;
import io.pganalytics.registry.internal.Forwarder;
import io.pganalytics.registry.internal.InFlightRequests;
import io.pganalytics.registry.internal.LeaderElection;
import io.pganalytics.registry.internal.Leadership;
import io.pganalytics.registry.internal.Registry;
import io.pganalytics.registry.internal.RegistryState;
import io.pganalytics.registry.internal.RestApi;
import io.pganalytics.registry.internal.SchemasTopic;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A schema registry server speaking Confluent Schema Registry's REST API (Avro), whose only state is a
 * single-partition compacted Kafka topic: stop it, start it again on the same cluster, and every id and version is
 * still there. Several instances may share the topic: they elect one leader through a Kafka consumer group, and the
 * others forward writes to it over HTTP.
 */
public final class SchemaRegistryServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryServer.class);
    /** How long stopping waits for requests being handled: a forwarded write's whole deadline, plus a little. */
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(35);

    private final RegistryConfig config;
    private final SchemasTopic topic;
    private final LeaderElection election;
    private final Javalin http;
    private final InFlightRequests inFlight;
    private final String url;
    private boolean closed;

    private SchemaRegistryServer(RegistryConfig config, SchemasTopic topic, LeaderElection election, Javalin http,
                                 InFlightRequests inFlight, String url) {
        this.config = config;
        this.topic = topic;
        this.election = election;
        this.http = http;
        this.inFlight = inFlight;
        this.url = url;
    }

    /**
     * Creates the topic if it is missing, reads it to its end, then starts answering HTTP; returns once it does.
     *
     * @throws IllegalStateException when Kafka cannot be reached or the topic read within
     *                               {@link RegistryConfig#startupTimeout()}, the topic is not a single-partition
     *                               compacted one, or the port cannot be bound
     */
    public static SchemaRegistryServer start(RegistryConfig config) {
        long started = System.nanoTime();
        SSLContext trust = config.tls() == null ? null : trustContext(config.tls());
        RegistryState state = new RegistryState();
        SchemasTopic topic = SchemasTopic.open(config.bootstrapServers(), config.topic(), state,
                config.startupTimeout());
        AtomicReference<LeaderElection> electionRef = new AtomicReference<>();
        InFlightRequests inFlight = new InFlightRequests();
        Javalin http = null;
        LeaderElection election = null;
        String url;
        try {
            Registry registry = new Registry(state, topic);
            Leadership leadership = new Leadership() {
                @Override
                public boolean isLeader() {
                    return electionRef.get() != null && electionRef.get().isLeader();
                }

                @Override
                public Optional<String> awaitLeader(Duration timeout) {
                    return electionRef.get() == null ? Optional.empty() : electionRef.get().awaitLeader(timeout);
                }

                @Override
                public void awaitApplied(long offset) {
                    topic.awaitApplied(offset);
                }

                @Override
                public long appliedOffset() {
                    return topic.appliedOffset();
                }
            };
            Authenticator authenticator = config.basicAuthUsers().isEmpty() ? null
                    : new BasicAuthenticator(config.basicAuthUsers());
            Forwarder forwarder = new Forwarder(trust);
            InFlightRequests counted = inFlight;
            http = Javalin.create(javalin -> {
                javalin.jetty.modifyServer(server -> server.insertHandler(counted));
                javalin.startup.showJavalinBanner = false;
                javalin.startup.showOldJavalinVersionWarning = false;
                javalin.jetty.host = config.host();
                javalin.jetty.port = config.port();
                javalin.http.maxRequestSize = config.requestMaxBytes();
                if (config.tls() != null) {
                    javalin.jetty.addConnector((server, httpConfiguration) -> {
                        httpConfiguration.addCustomizer(new SecureRequestCustomizer(false));
                        ServerConnector connector = new ServerConnector(server,
                                new SslConnectionFactory(serverContext(config.tls()), "http/1.1"),
                                new HttpConnectionFactory(httpConfiguration));
                        connector.setHost(config.host());
                        connector.setPort(config.port());
                        return connector;
                    });
                }
                RestApi.configure(javalin, registry, leadership, forwarder, authenticator);
            });
            http.start();
            url = (config.tls() == null ? "http" : "https") + "://"
                    + urlHost(config.advertisedHost() != null ? config.advertisedHost() : config.host()) + ":"
                    + boundPort(http);
            election = new LeaderElection(config.bootstrapServers(), config.groupId(), config.topic(), url,
                    config.leaderEligible(), new LeaderElection.Listener() {
                        @Override
                        public void elected() {
                            topic.becomeLeader();
                        }

                        @Override
                        public void deposed() {
                            topic.resign();
                        }

                        @Override
                        public boolean writing() {
                            return topic.writing();
                        }
                    });
            electionRef.set(election);
            election.start();
        } catch (RuntimeException e) {
            if (election != null) {
                election.close();
            }
            stopQuietly(http, e);
            topic.close();
            throw new IllegalStateException("cannot start the schema registry HTTP listener on " + config.host() + ":"
                    + config.port() + ": " + e.getMessage(), e);
        }
        // Writes wait for an election anyway; waiting here makes the first write after start() as fast as any.
        Optional<String> leader = election.awaitLeader(Duration.ofSeconds(10));
        SchemaRegistryServer server = new SchemaRegistryServer(config, topic, election, http, inFlight, url);
        LOG.info("schema registry listening on {} (topic {}, {} schemas loaded, leader {}) in {} ms", server.url(),
                config.topic(), state.schemaCount(), leader.map(l -> l.equals(url) ? "this instance" : l)
                        .orElse("not yet elected"), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return server;
    }

    /** True while this instance is the one that writes to the topic. */
    public boolean isLeader() {
        return election.isLeader();
    }

    private static int boundPort(Javalin http) {
        for (org.eclipse.jetty.server.Connector connector : http.jettyServer().server().getConnectors()) {
            if (connector instanceof ServerConnector serverConnector && serverConnector.getLocalPort() > 0) {
                return serverConnector.getLocalPort();
            }
        }
        return http.port();
    }

    private static SslContextFactory.Server serverContext(RegistryConfig.Tls tls) {
        SslContextFactory.Server factory = new SslContextFactory.Server();
        factory.setKeyStorePath(tls.keystore().toAbsolutePath().toString());
        factory.setKeyStoreType(tls.keystoreType());
        factory.setKeyStorePassword(tls.keystorePassword());
        factory.setKeyManagerPassword(tls.keyPassword());
        return factory;
    }

    /** Trusts the trust store, or else the key store: what a follower needs to forward to a leader over HTTPS. */
    private static SSLContext trustContext(RegistryConfig.Tls tls) {
        boolean own = tls.truststore() == null;
        try (InputStream in = Files.newInputStream(own ? tls.keystore() : tls.truststore())) {
            KeyStore store = KeyStore.getInstance(own ? tls.keystoreType() : KeyStore.getDefaultType());
            String password = own ? tls.keystorePassword() : tls.truststorePassword();
            store.load(in, password == null ? null : password.toCharArray());
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot read " + (own ? RegistryConfig.SSL_KEYSTORE_LOCATION
                    : RegistryConfig.SSL_TRUSTSTORE_LOCATION) + ": " + e.getMessage(), e);
        }
    }

    /** The port the server listens on; the one picked by the system when the configuration asked for 0. */
    public int port() {
        return boundPort(http);
    }

    /** The base URL clients use, e.g. {@code http://127.0.0.1:8081}. */
    public String url() {
        return url;
    }

    /**
     * Stops the way a leader change needs it to: first no new connections (clients and forwarding instances go
     * elsewhere) and every answer closes its connection, then the requests being handled finish, still as leader when
     * this instance leads, so that every write made here is answered; only then does it stop HTTP, leave the election
     * (another instance takes over) and stop reading the topic. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (org.eclipse.jetty.server.Connector connector : http.jettyServer().server().getConnectors()) {
            // Closes the listening socket at once, and makes every later answer close its connection. The future
            // completes when the last connection closes, which a client holding an idle one may never do: not waited.
            connector.shutdown();
        }
        if (!inFlight.awaitIdle(DRAIN_TIMEOUT)) {
            LOG.warn("schema registry on {}: requests still running after {} s; stopping anyway", url,
                    DRAIN_TIMEOUT.toSeconds());
        }
        // HTTP stops before the instance leaves the election: a request arriving on a kept-alive connection after
        // the drain would otherwise find the election closed and answer 50004 (leader unknown), which clients do
        // not retry; stopped first, it gets no answer, and clients and forwarding instances try another instance.
        try {
            // The requests were drained above: what is left is idle kept-alive connections, closed at once rather
            // than waited for (Jetty's graceful stop would hold the leadership for its whole stop timeout).
            http.jettyServer().server().setStopTimeout(0);
            http.stop();
        } finally {
            try {
                election.close();
            } finally {
                topic.close();
            }
        }
        LOG.info("schema registry on {} (topic {}) stopped", url, config.topic());
    }

    private static void stopQuietly(Javalin http, RuntimeException failure) {
        if (http == null) {
            return;
        }
        try {
            http.stop();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** The host clients use: a wildcard bind address is reached through the loopback address. */
    private static String urlHost(String host) {
        if (host.equals("0.0.0.0")) {
            return "127.0.0.1";
        }
        if (host.equals("::") || host.equals("[::]")) {
            return "[::1]";
        }
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
