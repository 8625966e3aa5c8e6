package io.pganalytics.sink.s3.restore;

/** Told how far a restore has got, e.g. to draw a progress bar. */
public interface RestoreProgress {

    /** Once, after listing: how many objects and records (by their metadata) the restore will read. */
    void planned(int objects, long records);

    /** After each object is replayed: totals so far, and how many of its records were in the time range. */
    void advanced(int objectsDone, long recordsRead, long recordsRestored);

    /** Reports nothing. */
    RestoreProgress NONE = new RestoreProgress() {
        @Override
        public void planned(int objects, long records) {
        }

        @Override
        public void advanced(int objectsDone, long recordsRead, long recordsRestored) {
        }
    };
}
