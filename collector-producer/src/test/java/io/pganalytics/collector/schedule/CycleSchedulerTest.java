package io.pganalytics.collector.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class CycleSchedulerTest {

    static final long INTERVAL = 10_000;

    /** A clock and a worker pool the test drives: tasks run only when the test says so. */
    final AtomicLong clock = new AtomicLong(1_700_000_000_000L);
    final Deque<Runnable> queued = new ArrayDeque<>();
    final Executor workers = queued::add;
    final List<String> ran = new ArrayList<>();
    final List<String> ranEveryJob = new ArrayList<>();
    final CycleScheduler scheduler = new CycleScheduler(INTERVAL, workers, clock::get, (target, everyJob) -> {
        (everyJob ? ranEveryJob : ran).add(target);
        clock.addAndGet(7); // a cycle takes 7 ms
    });

    void runQueued() {
        while (!queued.isEmpty()) {
            queued.poll().run();
        }
    }

    /** Advances the clock in ticker-sized steps, ticking and running what the workers got at each. */
    void advance(long millis) {
        long until = clock.get() + millis;
        while (clock.get() < until) {
            clock.set(Math.min(until, clock.get() + 100));
            scheduler.tick();
            runQueued();
        }
    }

    @Test
    void phaseIsStableAndSpreadsTargetsOverTheInterval() {
        assertThat(CycleScheduler.phaseMillis("db-1", INTERVAL)).isEqualTo(CycleScheduler.phaseMillis("db-1", INTERVAL));
        int[] perSecond = new int[10];
        IntStream.range(0, 10_000).forEach(i -> perSecond[(int) (CycleScheduler.phaseMillis("db-" + i, INTERVAL) / 1000)]++);
        // Evenly spread, ids that differ in one digit included: each tenth of the interval gets about 1,000.
        assertThat(java.util.Arrays.stream(perSecond).boxed()).allSatisfy(count -> assertThat(count).isBetween(850, 1150));
    }

    @Test
    void eachTargetCyclesOncePerIntervalAtItsPhase() {
        scheduler.add("a");
        scheduler.add("b");
        advance(INTERVAL);
        assertThat(ran).containsExactlyInAnyOrder("a", "b");
        long phaseA = CycleScheduler.phaseMillis("a", INTERVAL);
        ran.clear();
        // Stop just after a's slot: a ran at it, exactly once per interval.
        long untilJustAfterA = Math.floorMod(phaseA - clock.get(), INTERVAL) + 150;
        advance(untilJustAfterA);
        assertThat(Math.floorMod(clock.get() - phaseA, INTERVAL)).isLessThan(200);
        assertThat(ran).contains("a");
        ran.clear();
        advance(INTERVAL * 5);
        assertThat(ran.stream().filter("a"::equals)).hasSize(5);
        assertThat(ran.stream().filter("b"::equals)).hasSize(5);
        assertThat(scheduler.cyclesRun()).isBetween(13L, 14L); // 2, then a (and maybe b), then 10
        assertThat(scheduler.cyclesSkipped()).isZero();
        assertThat(scheduler.lastCycleMillis("a")).isEqualTo(7);
    }

    @Test
    void aCycleThatWaitedForAWorkerUntilItsNextSlotIsSkippedAndCounted() {
        scheduler.add("a");
        // The workers run nothing for two and a half intervals: a's first cycle waits in the queue.
        long until = clock.get() + INTERVAL * 5 / 2;
        while (clock.get() < until) {
            clock.addAndGet(100);
            scheduler.tick();
        }
        assertThat(queued).hasSize(1); // one per target at most, never piled up
        runQueued();
        assertThat(ran).isEmpty();
        assertThat(scheduler.cyclesOverdue()).isEqualTo(1);
        assertThat(scheduler.cyclesBusy()).isEqualTo(1); // the slot that came while it waited
        assertThat(scheduler.cyclesSkipped()).isEqualTo(2);
        advance(INTERVAL);
        assertThat(ran).containsExactly("a");
    }

    @Test
    void aTargetWhosePreviousCycleStillRunsIsSkippedAndCountedWhileOthersKeepTheirCadence() {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger inFlight = new AtomicInteger();
        List<String> seen = new CopyOnWriteArrayList<>();
        // A thread per cycle, so that "slow" can hang on to one while the test goes on.
        Executor threads = task -> {
            inFlight.incrementAndGet();
            new Thread(() -> {
                try {
                    task.run();
                } finally {
                    inFlight.decrementAndGet();
                }
            }).start();
        };
        CycleScheduler busy = new CycleScheduler(INTERVAL, threads, clock::get, (target, everyJob) -> {
            seen.add(target);
            if (target.equals("slow")) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        busy.add("slow");
        busy.add("fast");
        for (int i = 0; i < 3 * 100; i++) { // three intervals of 100 ms ticks
            clock.addAndGet(100);
            busy.tick();
            // Every cycle but slow's ends before the clock moves on.
            await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).atMost(Duration.ofSeconds(10)).until(() -> inFlight.get() == (seen.contains("slow") ? 1 : 0));
        }
        assertThat(seen.stream().filter("fast"::equals)).hasSize(3);
        assertThat(seen.stream().filter("slow"::equals)).hasSize(1);
        assertThat(busy.cyclesBusy()).isEqualTo(2);
        assertThat(busy.cyclesSkipped()).isEqualTo(2);
        release.countDown();
        await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).atMost(Duration.ofSeconds(10)).until(() -> inFlight.get() == 0);
        assertThat(busy.cyclesRun()).isEqualTo(4);
        for (int i = 0; i < 100; i++) {
            clock.addAndGet(100);
            busy.tick();
            await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).atMost(Duration.ofSeconds(10)).until(() -> inFlight.get() == 0);
        }
        assertThat(seen.stream().filter("slow"::equals)).as("cycles again once its cycle ended").hasSize(2);
    }

    @Test
    void pausedSchedulerStartsNothingAndResumesAtTheNextSlot() {
        scheduler.add("a");
        scheduler.pause();
        assertThat(scheduler.paused()).isTrue();
        advance(INTERVAL * 3);
        assertThat(ran).isEmpty();
        assertThat(scheduler.cyclesSkipped()).as("a paused slot is not a skipped cycle").isZero();
        scheduler.resume();
        advance(INTERVAL);
        assertThat(ran).containsExactly("a");
    }

    @Test
    void aCycleQueuedBeforePauseDoesNotRun() {
        scheduler.add("a");
        long until = clock.get() + INTERVAL;
        while (clock.get() < until) {
            clock.addAndGet(100);
            scheduler.tick();
        }
        assertThat(queued).hasSize(1);
        scheduler.pause();
        runQueued();
        assertThat(ran).isEmpty();
    }

    @Test
    void collectNowRunsEveryTargetOnceAtOnceEvenWhilePaused() {
        scheduler.add("a");
        scheduler.add("b");
        scheduler.pause();
        assertThat(scheduler.collectNow()).isEqualTo(2);
        runQueued();
        assertThat(ranEveryJob).containsExactlyInAnyOrder("a", "b");
        assertThat(ran).isEmpty();
    }

    @Test
    void collectNowForABusyTargetRunsRightAfterItsCycle() {
        scheduler.add("a");
        long until = clock.get() + INTERVAL;
        while (clock.get() < until) {
            clock.addAndGet(100);
            scheduler.tick();
        }
        assertThat(queued).hasSize(1); // a's cycle handed over, not yet run
        scheduler.collectNow();
        assertThat(queued).hasSize(1);
        runQueued();
        assertThat(ran).containsExactly("a");
        assertThat(ranEveryJob).containsExactly("a");
    }

    @Test
    void aRemovedTargetIsNoLongerScheduledAndItsQueuedCycleDoesNotRun() {
        scheduler.add("a");
        scheduler.add("b");
        long until = clock.get() + INTERVAL;
        while (clock.get() < until) {
            clock.addAndGet(100);
            scheduler.tick();
        }
        scheduler.remove("a");
        assertThat(scheduler.targetIds()).containsExactly("b");
        runQueued();
        advance(INTERVAL * 2);
        assertThat(ran).doesNotContain("a").contains("b");
    }

    @Test
    void tenThousandTargetsNeedOneTickerAndQueueAtMostOneCycleEach() {
        IntStream.range(0, 10_000).forEach(i -> scheduler.add("db-" + i));
        long until = clock.get() + INTERVAL * 3;
        int ticks = 0;
        while (clock.get() < until) {
            clock.addAndGet(100);
            scheduler.tick();
            ticks++;
        }
        assertThat(ticks).isEqualTo(300);
        assertThat(queued).hasSize(10_000);
        assertThat(scheduler.cyclesBusy()).isEqualTo(20_000);
    }
}
