package io.pganalytics.api.auth;

import io.pganalytics.fleet.admin.Accounts;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This replica's view of what decides whether a valid access token is still honoured: revoked token ids and refresh
 * families, and every user's role, session epoch and disabled flag. Polled from the control-plane database every
 * {@link #POLL} (so every replica refuses a revoked token within a second, with no query per request), and updated
 * at once by the changes this replica makes itself. A poll that fails keeps the last view and is retried.
 */
public final class SessionCache implements AutoCloseable {

    /** How often the database is asked what changed. */
    public static final Duration POLL = Duration.ofMillis(250);
    /**
     * Each poll reads again what changed this long before the newest change it saw: a transaction that took its
     * timestamp earlier but committed later is not missed.
     */
    static final Duration OVERLAP = Duration.ofSeconds(5);
    private static final Duration KEYS_EVERY = Duration.ofSeconds(5);
    private static final Duration PURGE_EVERY = Duration.ofMinutes(10);
    private static final Logger LOG = LoggerFactory.getLogger(SessionCache.class);

    private final Accounts accounts;
    private final TokenAuthority.Reloading keys;
    private final Map<String, Instant> revoked = new ConcurrentHashMap<>();
    private final Map<String, Accounts.User> users = new ConcurrentHashMap<>();
    private final ScheduledExecutorService poller;
    private volatile Instant revocationsSeen;
    private volatile Instant usersSeen;
    private Instant keysLoaded = Instant.now();
    private Instant purged = Instant.now();
    private final ScheduledExecutorService directorySync;
    private boolean failing;

    /** Loads every user and the revocations still in force, then polls. */
    public SessionCache(Accounts accounts, TokenAuthority.Reloading keys) {
        this.accounts = accounts;
        this.keys = keys;
        // Watermarks in the database's clock, never this machine's: the two may disagree by more than the overlap.
        Instant usersMax = Instant.EPOCH;
        for (Accounts.User u : accounts.usersChangedSince(Instant.EPOCH)) {
            users.put(u.name(), u);
            usersMax = u.changedAt().isAfter(usersMax) ? u.changedAt() : usersMax;
        }
        Instant revocationsMax = Instant.EPOCH;
        for (Accounts.Revocation r : accounts.revocationsSince(Instant.EPOCH)) {
            revoked.put(r.id(), r.revokedAt());
            revocationsMax = r.revokedAt().isAfter(revocationsMax) ? r.revokedAt() : revocationsMax;
        }
        this.usersSeen = usersMax;
        this.revocationsSeen = revocationsMax;
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "pga-session-cache");
            thread.setDaemon(true);
            return thread;
        });
        poller.scheduleWithFixedDelay(this::poll, POLL.toMillis(), POLL.toMillis(), TimeUnit.MILLISECONDS);
        // The directory sync gets its own thread: a slow directory must not delay revocations.
        this.directorySync = accounts.directorySyncInterval().map(every -> {
            ScheduledExecutorService sync = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread thread = new Thread(r, "pga-directory-sync");
                thread.setDaemon(true);
                return thread;
            });
            sync.scheduleWithFixedDelay(this::syncDirectory, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
            return sync;
        }).orElse(null);
    }

    private void syncDirectory() {
        try {
            accounts.syncDirectory();
        } catch (RuntimeException e) {
            LOG.warn("directory sync failed: {}; next round in {}", e.getMessage(), accounts.directorySyncInterval().orElseThrow());
        }
    }

    /** Whether an access token's id or its session's family was revoked. */
    public boolean revoked(String id) {
        return revoked.containsKey(id);
    }

    /**
     * The user as of the last poll (or this replica's last change of it); one created on another replica since the
     * last poll is read from the database (only names from verified tokens come here).
     */
    public Optional<Accounts.User> user(String name) {
        Accounts.User user = users.get(name);
        if (user != null) {
            return Optional.of(user);
        }
        Optional<Accounts.User> loaded = accounts.user(name);
        loaded.ifPresent(u -> users.putIfAbsent(u.name(), u));
        return loaded;
    }

    /** A revocation this replica just committed: in force here at once. */
    public void revokedHere(String id) {
        revoked.put(id, Instant.now());
    }

    /** A user this replica just changed: in force here at once. */
    public void changedHere(Accounts.User user) {
        users.put(user.name(), user);
    }

    void poll() {
        try {
            Instant revocationsFrom = revocationsSeen.minus(OVERLAP);
            for (Accounts.Revocation r : accounts.revocationsSince(revocationsFrom)) {
                revoked.put(r.id(), r.revokedAt());
                if (r.revokedAt().isAfter(revocationsSeen)) {
                    revocationsSeen = r.revokedAt();
                }
            }
            Instant usersFrom = usersSeen.minus(OVERLAP);
            for (Accounts.User u : accounts.usersChangedSince(usersFrom)) {
                users.merge(u.name(), u, (old, now) -> now.changedAt().isBefore(old.changedAt()) ? old : now);
                if (u.changedAt().isAfter(usersSeen)) {
                    usersSeen = u.changedAt();
                }
            }
            Instant now = Instant.now();
            if (now.isAfter(keysLoaded.plus(KEYS_EVERY))) {
                keysLoaded = now;
                keys.reload();
            }
            if (now.isAfter(purged.plus(PURGE_EVERY))) {
                purged = now;
                // No access token lives longer than an hour: older revocations protect nothing.
                revoked.values().removeIf(at -> at.isBefore(now.minus(Duration.ofHours(1)).minus(OVERLAP)));
                accounts.purgeExpired();
            }
            if (failing) {
                LOG.info("session cache: the control-plane database answers again");
                failing = false;
            }
        } catch (RuntimeException e) {
            if (!failing) {
                LOG.warn("session cache: could not poll the control-plane database ({}); keeping the last view", e.getMessage());
                failing = true;
            }
        }
    }

    @Override
    public void close() {
        poller.shutdownNow();
        if (directorySync != null) {
            directorySync.shutdownNow();
        }
    }
}
