package io.pganalytics.platform.role;

import io.pganalytics.sink.s3.restore.RestoreProgress;
import java.io.PrintWriter;

/**
 * A restore's progress on standard error: on a terminal one line redrawn in place (at most ten times a second);
 * otherwise (a log, a pipe) a plain line at every tenth of the way, so that logs stay readable.
 */
final class ProgressBar implements RestoreProgress {

    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintWriter err;
    private final boolean terminal;
    private int objects;
    private long records;
    private long lastDrawNanos;
    private int lastTenth = -1;

    ProgressBar(PrintWriter err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    @Override
    public void planned(int objects, long records) {
        this.objects = objects;
        this.records = records;
        err.println("restore: " + objects + " objects, " + records + " records to read");
        err.flush();
    }

    @Override
    public void advanced(int objectsDone, long recordsRead, long recordsRestored) {
        double fraction = records == 0 ? 1.0 : Math.min(1.0, (double) recordsRead / records);
        boolean done = objectsDone == objects;
        String status = String.format("%3d%% %d/%d records read, %d restored, %d/%d objects",
                Math.round(fraction * 100), recordsRead, records, recordsRestored, objectsDone, objects);
        if (terminal) {
            long now = System.nanoTime();
            if (!done && now - lastDrawNanos < REDRAW_NANOS) {
                return;
            }
            lastDrawNanos = now;
            int filled = (int) Math.round(fraction * WIDTH);
            err.print("\r[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + status);
            if (done) {
                err.println();
            }
            err.flush();
            return;
        }
        int tenth = (int) Math.floor(fraction * 10);
        if (tenth > lastTenth || done) {
            lastTenth = tenth;
            err.println("restore: " + status);
            err.flush();
        }
    }
}
