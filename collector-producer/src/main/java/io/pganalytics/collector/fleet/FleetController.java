package io.pganalytics.collector.fleet;

import java.util.Map;
import java.util.function.Consumer;

/**
 * What {@link ControlChannel} does to the collector it runs in, one method per remote action; each maps
 * onto one method of the collector (and {@link #setLogLevel} onto the logging backend), so that the
 * channel can be tested without a collector. A method that throws makes the command's outcome {@code failed}.
 */
public interface FleetController {

    /** Samples nothing from now on; connections and heartbeats stay. */
    void pause();

    /** Samples again after {@link #pause}. */
    void resume();

    /** Reconnects every target and starts its schedule over. */
    void restart();

    /** Reads every target's families now, whatever their schedule. */
    void collectNow();

    /** Family interval overrides in ms for every target (0: off); empty: the collector's own configuration. */
    void reconfigure(Map<String, Long> familyIntervalMillis);

    /** Sets the level of the collector's loggers: TRACE, DEBUG, INFO, WARN or ERROR; null: the level it started with. */
    void setLogLevel(String level);

    /**
     * Archived (the collector was unregistered: {@code DesiredState.ARCHIVED}): samples nothing and leaves its fleet
     * group, so that the others take its targets at once; {@code false}: back in the group (then {@link #resume} or
     * {@link #pause} as the desired state says).
     */
    void setArchived(boolean archived);

    /** A controller from method references that cannot be archived ({@link #setArchived} fails). */
    static FleetController of(Runnable pause, Runnable resume, Runnable restart, Runnable collectNow,
                              Consumer<Map<String, Long>> reconfigure, Consumer<String> setLogLevel) {
        return of(pause, resume, restart, collectNow, reconfigure, setLogLevel, archived -> {
            throw new UnsupportedOperationException("this collector cannot be archived");
        });
    }

    /** A controller from method references, e.g. {@code FleetController.of(collector::pause, collector::resume, ...)}. */
    static FleetController of(Runnable pause, Runnable resume, Runnable restart, Runnable collectNow,
                              Consumer<Map<String, Long>> reconfigure, Consumer<String> setLogLevel,
                              Consumer<Boolean> setArchived) {
        return new FleetController() {
            @Override
            public void pause() {
                pause.run();
            }

            @Override
            public void resume() {
                resume.run();
            }

            @Override
            public void restart() {
                restart.run();
            }

            @Override
            public void collectNow() {
                collectNow.run();
            }

            @Override
            public void reconfigure(Map<String, Long> familyIntervalMillis) {
                reconfigure.accept(familyIntervalMillis);
            }

            @Override
            public void setLogLevel(String level) {
                setLogLevel.accept(level);
            }

            @Override
            public void setArchived(boolean archived) {
                setArchived.accept(archived);
            }
        };
    }
}
