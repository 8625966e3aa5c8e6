package io.pganalytics.collector.spool;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded write-ahead buffer on disk between sampling and Kafka: every record is appended here
 * first, in order, and the {@link Shipper} sends from here, so that Kafka being slow or away for a
 * while costs disk, not samples.
 *
 * <p>Records get consecutive sequence numbers and live in segment files {@code <first sequence>.seg}
 * under the spool directory, at most {@code maxBytes} in all. An append is one buffered write
 * into the page cache, no fsync: the page cache survives a {@code kill -9} of the JVM (not a power
 * loss). When the next append would pass {@code maxBytes}, the oldest segment is deleted and every
 * record in it that Kafka had not acknowledged is counted as dropped, per family, exactly.
 *
 * <p>Acknowledgements are tracked per record (they may arrive out of order across partitions): the
 * {@code watermark} is the first sequence not yet settled, and settled records above it are kept in
 * a set. The watermark and that set are written to a small checkpoint file every second, on every
 * segment roll and on close; a marker file present while the spool is open tells the next run
 * whether this one closed cleanly. The recent unacknowledged records are also kept in memory so
 * that shipping in steady state never reads the disk.
 */
public final class Spool implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);

    static final String SEGMENT_SUFFIX = ".seg";
    static final String CHECKPOINT = "checkpoint";
    static final String RUNNING_MARKER = "running";
    private static final int CHECKPOINT_MAGIC = 0x5350_4c31; // "SPL1"
    private static final long MIN_SEGMENT_BYTES = 64 << 10;
    private static final long MAX_SEGMENT_BYTES = 64 << 20;
    private static final long MAX_TAIL_BYTES = 16 << 20;
    private static final long CHECKPOINT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Path dir;
    private final long maxBytes;
    private final long segmentBytes;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition appended = lock.newCondition();
    private final ArrayDeque<Segment> segments = new ArrayDeque<>();
    private final TreeSet<Long> settledAbove = new TreeSet<>();
    /** Handed out, failed, not yet handed out again: below sendCursor but no longer in flight. */
    private final TreeSet<Long> awaitingResend = new TreeSet<>();
    private final Tail tail;
    private final Map<String, Integer> familyIds = new HashMap<>();
    private final List<String> familyNames = new ArrayList<>();
    private final Map<String, Long> dropped = new TreeMap<>();
    private final Map<String, Long> appendedByFamily = new TreeMap<>();
    private final List<DropListener> listeners = new CopyOnWriteArrayList<>();
    private final List<Map.Entry<String, Long>> undelivered = new ArrayList<>();
    private final Recovery recovery;
    private FileChannel head;
    private ByteBuffer buffer = ByteBuffer.allocate(64 << 10);
    private DiskCursor cursor;
    private long nextSequence;
    private long watermark;
    private long sendCursor;
    private long usedBytes;
    private long appendedRecords;
    private long droppedRecords;
    private long lastCheckpointNanos = System.nanoTime();
    private boolean closed;

    private Spool(Path dir, long maxBytes) {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.segmentBytes = Math.max(MIN_SEGMENT_BYTES, Math.min(MAX_SEGMENT_BYTES, maxBytes / 8));
        this.tail = new Tail(Math.min(MAX_TAIL_BYTES, maxBytes));
        this.recovery = recover();
    }

    /**
     * Opens the spool in {@code dir} (created if missing), keeping what a previous run left
     * unacknowledged; see {@link #recovery()}. At most {@code maxBytes} of segment files are kept.
     */
    public static Spool open(Path dir, long maxBytes) {
        if (maxBytes < 2 * MIN_SEGMENT_BYTES) {
            throw new IllegalArgumentException("spool size must be at least " + 2 * MIN_SEGMENT_BYTES + " bytes, got " + maxBytes);
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create spool directory " + dir + ": " + e.getMessage(), e);
        }
        return new Spool(dir, maxBytes);
    }

    /** What opening found: whether the previous run closed cleanly and what it left to replay. */
    public Recovery recovery() {
        return recovery;
    }

    /** The spool's directory. */
    public Path directory() {
        return dir;
    }

    /** Calls {@code listener} with every later drop of unacknowledged records. */
    public void addDropListener(DropListener listener) {
        listeners.add(listener);
    }

    /** Unacknowledged records dropped since open because the spool was full, per family; exact. */
    public Map<String, Long> droppedByFamily() {
        lock.lock();
        try {
            return Map.copyOf(dropped);
        } finally {
            lock.unlock();
        }
    }

    /** Records appended since open, per family (dropped ones included). */
    public Map<String, Long> appendedByFamily() {
        lock.lock();
        try {
            return Map.copyOf(appendedByFamily);
        } finally {
            lock.unlock();
        }
    }

    /** Bytes used, capacity and records waiting for Kafka. */
    public SpoolUsage usage() {
        lock.lock();
        try {
            return new SpoolUsage(usedBytes, maxBytes, pending(), appendedRecords, droppedRecords);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Appends records in order, as one write of one segment: either all of them are in the spool
     * afterwards, or none (the exception says why, e.g. a full disk). Drops the oldest segments when
     * needed to stay within the size. A batch may make its segment bigger than the usual eighth of
     * the spool (a first statements cycle of thousands of entries); one bigger than half the spool
     * is dropped itself, and counted.
     */
    public void append(List<SpoolRecord> records) {
        if (records.isEmpty()) {
            return;
        }
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("spool " + dir + " is closed");
            }
            int batchBytes = 0;
            for (SpoolRecord record : records) {
                batchBytes += record.encodedBytes();
            }
            if (batchBytes > maxBytes / 2) {
                for (SpoolRecord record : records) {
                    countAppended(record.family());
                    countDrop(record.family(), 1);
                }
                LOG.warn("spool {}: {} records of {} bytes in one read, more than half the spool: dropped", dir,
                        records.size(), batchBytes);
                return;
            }
            Segment segment = segments.peekLast();
            if (segment.bytes + batchBytes > segmentBytes && segment.count > 0) {
                segment = roll();
            }
            while (usedBytes + batchBytes > maxBytes && segments.size() > 1) {
                dropOldest();
            }
            if (buffer.capacity() < batchBytes) {
                buffer = ByteBuffer.allocate(Math.max(batchBytes, buffer.capacity() * 2));
            }
            long firstSequence = nextSequence;
            for (SpoolRecord record : records) {
                SegmentFormat.write(buffer, nextSequence++, record);
            }
            buffer.flip();
            try {
                while (buffer.hasRemaining()) {
                    head.write(buffer);
                }
            } catch (IOException e) {
                nextSequence = firstSequence;
                truncateQuietly(segment);
                throw new UncheckedIOException("spool " + dir + ": cannot append " + records.size() + " records: " + e.getMessage(), e);
            } finally {
                buffer.clear();
            }
            long sequence = firstSequence;
            for (SpoolRecord record : records) {
                int size = record.encodedBytes();
                segment.add(familyId(record.family()), size);
                tail.add(sequence++, record, size);
                countAppended(record.family());
            }
            usedBytes += batchBytes;
            appended.signalAll();
        } finally {
            lock.unlock();
            deliverDrops();
        }
    }

    /**
     * The next record to send, in sequence order, skipping records already settled; waits up to
     * {@code timeoutMillis} for one to be appended. Null on timeout or when closed.
     */
    public Spooled next(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lock();
        try {
            while (true) {
                if (closed) {
                    return null;
                }
                sendCursor = Math.max(sendCursor, Math.max(watermark, firstAvailable()));
                while (sendCursor < nextSequence && settledAbove.contains(sendCursor)) {
                    sendCursor++;
                }
                if (sendCursor < nextSequence) {
                    Spooled next = tail.get(sendCursor);
                    if (next == null) {
                        next = readFromDisk(sendCursor);
                    }
                    if (next != null) {
                        sendCursor = next.sequence() + 1;
                        return next;
                    }
                    sendCursor = nextSequence; // lost to corruption after open: nothing left to send
                    continue;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                appended.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Kafka acknowledged the record, or it was given up for good: never sent again. */
    public void settle(long sequence) {
        lock.lock();
        try {
            markSettled(sequence);
        } finally {
            lock.unlock();
        }
    }

    /**
     * A send failed. When the record's segment was dropped while it was in flight it is counted as
     * dropped now, settled, and true is returned; otherwise it stays pending for a resend after the
     * next {@link #rewind()} (and is counted if its segment is dropped before that).
     */
    public boolean failed(long sequence, String family) {
        lock.lock();
        try {
            if (isSettled(sequence)) {
                return false;
            }
            if (sequence >= firstAvailable()) {
                awaitingResend.add(sequence);
                return false;
            }
            countDrop(family, 1);
            markSettled(sequence);
            return true;
        } finally {
            lock.unlock();
            deliverDrops();
        }
    }

    /**
     * Makes {@link #next} start again from the oldest unsettled record. Only call it with nothing in
     * flight: a record handed out and not yet settled counts as in flight, and is not counted as
     * dropped if its segment goes meanwhile (its {@link #failed} call does that).
     */
    public void rewind() {
        lock.lock();
        try {
            sendCursor = Math.max(watermark, firstAvailable());
            awaitingResend.clear();
        } finally {
            lock.unlock();
        }
    }

    /** Writes the checkpoint if the last one is a second old; for the shipper's loop. */
    public void checkpointIfDue() {
        if (System.nanoTime() - lastCheckpointNanos < CHECKPOINT_INTERVAL_NANOS) {
            return;
        }
        lock.lock();
        try {
            if (!closed) {
                checkpoint();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Persists the acknowledged position, closes the files and marks the spool closed cleanly. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            checkpoint();
            closeQuietly(head);
            if (cursor != null) {
                cursor.close();
            }
            Files.deleteIfExists(dir.resolve(RUNNING_MARKER));
            appended.signalAll();
            LOG.info("spool {} closed: {} records pending, {} bytes", dir, pending(), usedBytes);
        } catch (IOException e) {
            LOG.warn("spool {}: cannot mark a clean close: {}", dir, e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    // ---- internals, all with the lock held ----

    private long pending() {
        return nextSequence - watermark - settledAbove.size();
    }

    private long firstAvailable() {
        return segments.peekFirst().firstSequence;
    }

    private boolean isSettled(long sequence) {
        return sequence < watermark || settledAbove.contains(sequence);
    }

    private void markSettled(long sequence) {
        if (sequence < watermark) {
            return;
        }
        if (!awaitingResend.isEmpty()) {
            awaitingResend.remove(sequence);
        }
        if (sequence != watermark) {
            settledAbove.add(sequence);
            return;
        }
        watermark++;
        while (!settledAbove.isEmpty() && settledAbove.first() == watermark) {
            settledAbove.pollFirst();
            watermark++;
        }
        tail.trimBelow(watermark);
    }

    private Segment roll() {
        Segment old = segments.peekLast();
        closeQuietly(head);
        Segment fresh = new Segment(nextSequence, dir.resolve(segmentName(nextSequence)));
        try {
            head = FileChannel.open(fresh.path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("spool " + dir + ": cannot create segment " + fresh.path + ": " + e.getMessage(), e);
        }
        segments.addLast(fresh);
        if (old != null) {
            checkpoint();
        }
        return fresh;
    }

    /** Deletes the oldest segment; its unsettled records that are not in flight are counted as dropped. */
    private void dropOldest() {
        Segment oldest = segments.pollFirst();
        int[] counts = new int[familyNames.size()];
        for (int i = 0; i < oldest.count; i++) {
            long sequence = oldest.firstSequence + i;
            if (isSettled(sequence) || (sequence < sendCursor && !awaitingResend.remove(sequence))) {
                continue; // acknowledged, or in flight: its callback settles or counts it
            }
            counts[oldest.families[i] & 0xff]++;
            markSettled(sequence);
        }
        for (int id = 0; id < counts.length; id++) {
            if (counts[id] > 0) {
                countDrop(familyNames.get(id), counts[id]);
            }
        }
        usedBytes -= oldest.bytes;
        if (cursor != null && cursor.segment == oldest) {
            cursor.close();
            cursor = null;
        }
        tail.trimBelow(firstAvailable());
        deleteQuietly(oldest.path);
    }

    private void countDrop(String family, long count) {
        dropped.merge(family, count, Long::sum);
        droppedRecords += count;
        undelivered.add(Map.entry(family, count));
    }

    private void countAppended(String family) {
        appendedByFamily.merge(family, 1L, Long::sum);
        appendedRecords++;
    }

    /** Tells the listeners outside the lock: a listener may well send to Kafka. */
    private void deliverDrops() {
        List<Map.Entry<String, Long>> drops;
        lock.lock();
        try {
            if (undelivered.isEmpty()) {
                return;
            }
            drops = List.copyOf(undelivered);
            undelivered.clear();
        } finally {
            lock.unlock();
        }
        Map<String, Long> byFamily = new TreeMap<>();
        drops.forEach(d -> byFamily.merge(d.getKey(), d.getValue(), Long::sum));
        byFamily.forEach((family, count) -> {
            LOG.warn("spool {} full: dropped {} unsent {} records", dir, count, family);
            for (DropListener listener : listeners) {
                try {
                    listener.dropped(family, count);
                } catch (RuntimeException e) {
                    LOG.warn("spool {}: drop listener failed: {}", dir, e.toString());
                }
            }
        });
    }

    private int familyId(String family) {
        Integer id = familyIds.get(family);
        if (id == null) {
            if (familyNames.size() == 256) {
                throw new IllegalStateException("spool " + dir + ": more than 256 families");
            }
            id = familyNames.size();
            familyIds.put(family, id);
            familyNames.add(family);
        }
        return id;
    }

    private Spooled readFromDisk(long sequence) {
        try {
            if (cursor == null || cursor.nextSequence != sequence || !segments.contains(cursor.segment)) {
                if (cursor != null) {
                    cursor.close();
                    cursor = null;
                }
                Segment segment = segments.stream().filter(s -> s.endSequence() > sequence).findFirst().orElse(null);
                if (segment == null) {
                    return null;
                }
                cursor = new DiskCursor(segment);
                while (cursor.nextSequence < sequence) {
                    cursor.skip();
                }
            }
            Spooled record = cursor.read();
            if (cursor.nextSequence >= cursor.segment.endSequence()) {
                cursor.close();
                cursor = null;
            }
            return record;
        } catch (IOException e) {
            LOG.warn("spool {}: cannot read record {}: {}", dir, sequence, e.getMessage());
            if (cursor != null) {
                cursor.close();
                cursor = null;
            }
            return null;
        }
    }

    private void checkpoint() {
        lastCheckpointNanos = System.nanoTime();
        while (segments.size() > 1 && segments.peekFirst().endSequence() <= watermark) {
            Segment done = segments.pollFirst();
            usedBytes -= done.bytes;
            if (cursor != null && cursor.segment == done) {
                cursor.close();
                cursor = null;
            }
            deleteQuietly(done.path);
        }
        ByteBuffer out = ByteBuffer.allocate(4 + 8 + 4 + 8 * settledAbove.size() + 4);
        out.putInt(CHECKPOINT_MAGIC).putLong(watermark).putInt(settledAbove.size());
        settledAbove.forEach(out::putLong);
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue());
        Path temporary = dir.resolve(CHECKPOINT + ".tmp");
        try {
            Files.write(temporary, out.array());
            Files.move(temporary, dir.resolve(CHECKPOINT), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.warn("spool {}: cannot write the checkpoint (records acknowledged since the last one will be sent again "
                    + "after a crash): {}", dir, e.getMessage());
        }
    }

    /** Reads checkpoint and segments, cuts a torn tail, opens a fresh head segment. */
    private Recovery recover() {
        boolean clean = !Files.exists(dir.resolve(RUNNING_MARKER));
        boolean fresh = clean && !Files.exists(dir.resolve(CHECKPOINT));
        readCheckpoint();
        long discarded = 0;
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(SEGMENT_SUFFIX)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list spool directory " + dir + ": " + e.getMessage(), e);
        }
        for (Path file : files) {
            long first;
            try {
                first = Long.parseLong(file.getFileName().toString().replace(SEGMENT_SUFFIX, ""));
            } catch (NumberFormatException e) {
                LOG.warn("spool {}: ignoring {}, not a segment name", dir, file.getFileName());
                continue;
            }
            Segment segment = new Segment(first, file);
            discarded += scan(segment);
            Segment previous = segments.peekLast();
            if (segment.count == 0 || (previous != null && segment.firstSequence < previous.endSequence())) {
                deleteQuietly(file);
                continue;
            }
            if (previous != null) {
                for (long lost = previous.endSequence(); lost < segment.firstSequence; lost++) {
                    settledAbove.add(lost); // cut off by corruption: nothing left to send
                }
            }
            segments.addLast(segment);
            usedBytes += segment.bytes;
        }
        if (!segments.isEmpty()) {
            watermark = Math.max(watermark, segments.peekFirst().firstSequence);
            nextSequence = Math.max(watermark, segments.peekLast().endSequence());
        } else {
            nextSequence = watermark;
        }
        settledAbove.headSet(watermark).clear();
        settledAbove.tailSet(nextSequence).clear();
        markSettledPrefix();
        roll();
        try {
            Files.writeString(dir.resolve(RUNNING_MARKER), ProcessHandle.current().pid() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("spool " + dir + ": cannot write " + RUNNING_MARKER + ": " + e.getMessage(), e);
        }
        sendCursor = watermark;
        checkpoint();
        while (usedBytes > maxBytes && segments.size() > 1) {
            dropOldest();
        }
        Recovery found = fresh ? Recovery.fresh() : new Recovery(clean, pending(), discarded);
        if (!clean) {
            LOG.warn("spool {}: the previous run did not close it (killed or crashed); {} unacknowledged records to replay, "
                    + "{} bytes of torn records discarded", dir, found.recoveredRecords(), discarded);
        } else if (found.recoveredRecords() > 0) {
            LOG.info("spool {}: {} unacknowledged records from the previous run to replay", dir, found.recoveredRecords());
        }
        return found;
    }

    private void markSettledPrefix() {
        while (!settledAbove.isEmpty() && settledAbove.first() == watermark) {
            settledAbove.pollFirst();
            watermark++;
        }
    }

    private void readCheckpoint() {
        Path file = dir.resolve(CHECKPOINT);
        if (!Files.exists(file)) {
            return;
        }
        try {
            byte[] bytes = Files.readAllBytes(file);
            ByteBuffer in = ByteBuffer.wrap(bytes);
            CRC32C crc = new CRC32C();
            crc.update(bytes, 0, bytes.length - 4);
            if (bytes.length < 20 || in.getInt() != CHECKPOINT_MAGIC || (int) crc.getValue() != in.getInt(bytes.length - 4)) {
                LOG.warn("spool {}: checkpoint unreadable, every record in the spool will be sent again", dir);
                return;
            }
            watermark = in.getLong();
            int settled = in.getInt();
            for (int i = 0; i < settled; i++) {
                settledAbove.add(in.getLong());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("spool {}: checkpoint unreadable ({}), every record in the spool will be sent again", dir, e.getMessage());
        }
    }

    /** Counts the whole records of a segment and cuts the file after the last one; returns the bytes cut. */
    private long scan(Segment segment) {
        long size;
        long valid = 0;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(segment.path), 64 << 10))) {
            size = Files.size(segment.path);
            byte[] payload = new byte[1024];
            while (valid + SegmentFormat.HEADER_BYTES <= size) {
                int length = in.readInt();
                int crc = in.readInt();
                if (length < 24 || length > size - valid - SegmentFormat.HEADER_BYTES) {
                    break;
                }
                if (payload.length < length) {
                    payload = new byte[Math.max(length, payload.length * 2)];
                }
                in.readFully(payload, 0, length);
                if (!SegmentFormat.intact(payload, length, crc)
                        || SegmentFormat.sequenceOf(payload) != segment.firstSequence + segment.count) {
                    break;
                }
                segment.add(familyId(SegmentFormat.familyOf(payload)), SegmentFormat.HEADER_BYTES + length);
                valid += SegmentFormat.HEADER_BYTES + length;
            }
        } catch (EOFException e) {
            size = sizeOrZero(segment.path);
        } catch (IOException e) {
            throw new UncheckedIOException("spool " + dir + ": cannot read " + segment.path + ": " + e.getMessage(), e);
        }
        if (valid < size) {
            LOG.warn("spool {}: {} ends with {} bytes of a torn or corrupt record (a crash while writing): cut off", dir,
                    segment.path.getFileName(), size - valid);
            try (FileChannel channel = FileChannel.open(segment.path, StandardOpenOption.WRITE)) {
                channel.truncate(valid);
            } catch (IOException e) {
                throw new UncheckedIOException("spool " + dir + ": cannot truncate " + segment.path + ": " + e.getMessage(), e);
            }
        }
        return size - valid;
    }

    private void truncateQuietly(Segment segment) {
        try {
            head.truncate(segment.bytes);
            head.position(segment.bytes);
        } catch (IOException e) {
            LOG.warn("spool {}: cannot truncate {} after a failed append: {}", dir, segment.path.getFileName(), e.getMessage());
        }
    }

    private static long sizeOrZero(Path path) {
        try {
            return Files.size(path);
        } catch (IOException e) {
            return 0;
        }
    }

    private static String segmentName(long firstSequence) {
        return String.format("%020d%s", firstSequence, SEGMENT_SUFFIX);
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("cannot delete spool segment {}: {}", path, e.getMessage());
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing was pending: every append wrote its bytes before returning
            }
        }
    }

    /** A record handed to the shipper with its sequence number, which the shipper settles with. */
    public record Spooled(long sequence, SpoolRecord record) {
    }

    /** One segment file: its first sequence, record count, size, and each record's family id. */
    private static final class Segment {

        final long firstSequence;
        final Path path;
        int count;
        long bytes;
        byte[] families = new byte[256];

        Segment(long firstSequence, Path path) {
            this.firstSequence = firstSequence;
            this.path = path;
        }

        long endSequence() {
            return firstSequence + count;
        }

        void add(int familyId, int size) {
            if (count == families.length) {
                families = Arrays.copyOf(families, count * 2);
            }
            families[count++] = (byte) familyId;
            bytes += size;
        }
    }

    /** Reads one segment forward, record by record. */
    private static final class DiskCursor {

        final Segment segment;
        final DataInputStream in;
        long nextSequence;
        byte[] payload = new byte[1024];

        DiskCursor(Segment segment) throws IOException {
            this.segment = segment;
            InputStream file = Files.newInputStream(segment.path);
            this.in = new DataInputStream(new BufferedInputStream(file, 64 << 10));
            this.nextSequence = segment.firstSequence;
        }

        void skip() throws IOException {
            int length = in.readInt();
            in.readInt();
            in.skipNBytes(length);
            nextSequence++;
        }

        Spooled read() throws IOException {
            int length = in.readInt();
            int crc = in.readInt();
            if (payload.length < length) {
                payload = new byte[length];
            }
            in.readFully(payload, 0, length);
            if (!SegmentFormat.intact(payload, length, crc)) {
                throw new IOException("record " + nextSequence + " of " + segment.path.getFileName() + " is corrupt");
            }
            SegmentFormat.Decoded decoded = SegmentFormat.decode(payload, length);
            nextSequence = decoded.sequence() + 1;
            return new Spooled(decoded.sequence(), decoded.record());
        }

        void close() {
            try {
                in.close();
            } catch (IOException e) {
                // read-only
            }
        }
    }

    /**
     * The most recent unsettled records, by sequence, in a ring: what the shipper sends in steady state,
     * without decoding from disk. Bounded in bytes; older records are read back from the segments.
     */
    private static final class Tail {

        private final long maxBytes;
        private Spooled[] ring = new Spooled[1024];
        private int[] sizes = new int[1024];
        private long first;
        private long end;
        private long bytes;

        Tail(long maxBytes) {
            this.maxBytes = maxBytes;
        }

        void add(long sequence, SpoolRecord record, int size) {
            if (sequence != end) {
                trimBelow(end);
                first = sequence;
                end = sequence;
            }
            if (end - first == ring.length) {
                grow();
            }
            int index = (int) (sequence & (ring.length - 1));
            ring[index] = new Spooled(sequence, record);
            sizes[index] = size;
            end++;
            bytes += size;
            while (bytes > maxBytes) {
                removeFirst();
            }
        }

        Spooled get(long sequence) {
            return sequence >= first && sequence < end ? ring[(int) (sequence & (ring.length - 1))] : null;
        }

        void trimBelow(long sequence) {
            long until = Math.min(sequence, end);
            while (first < until) {
                removeFirst();
            }
        }

        private void removeFirst() {
            int index = (int) (first & (ring.length - 1));
            ring[index] = null;
            bytes -= sizes[index];
            first++;
        }

        private void grow() {
            Spooled[] bigger = new Spooled[ring.length * 2];
            int[] biggerSizes = new int[ring.length * 2];
            for (long s = first; s < end; s++) {
                bigger[(int) (s & (bigger.length - 1))] = ring[(int) (s & (ring.length - 1))];
                biggerSizes[(int) (s & (bigger.length - 1))] = sizes[(int) (s & (ring.length - 1))];
            }
            ring = bigger;
            sizes = biggerSizes;
        }
    }
}
