package io.pganalytics.collector.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How the collector registers itself with the control-plane API ({@code collector.api.*}).
 *
 * @param url          {@code collector.api.url}: {@code http(s)://host:port}
 * @param secret       {@code collector.api.registration.secret}: what the first start registers with; null when an
 *                     identity file already exists; never logged
 * @param name         the name it registers with: {@code collector.id} when configured, else the host name
 * @param identityFile {@code collector.api.identity.file}: where the id and token the API gave are kept
 */
public record ApiRegistration(String url, String secret, String name, Path identityFile) {

    public ApiRegistration {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(identityFile, "identityFile");
        url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    /** {@code identity.json} next to the spool directory, so that one data directory holds all of a collector's state. */
    public static Path defaultIdentityFile(Path spoolDir) {
        Path parent = spoolDir.toAbsolutePath().getParent();
        return parent == null ? Path.of("identity.json") : parent.resolve("identity.json");
    }

    /** This host's name (the {@code HOSTNAME} environment variable when the resolver does not know it). */
    public static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            String env = System.getenv("HOSTNAME");
            return env == null || env.isBlank() ? "localhost" : env;
        }
    }

    @Override
    public String toString() {
        return "ApiRegistration[url=" + url + ", secret=" + (secret == null ? "none" : "***") + ", name=" + name
                + ", identityFile=" + identityFile + "]";
    }
}
