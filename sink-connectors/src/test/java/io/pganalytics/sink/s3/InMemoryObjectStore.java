package io.pganalytics.sink.s3;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** An {@link ObjectStore} in memory that can be told to fail the next uploads. */
final class InMemoryObjectStore implements ObjectStore {

    record Stored(byte[] content, Map<String, String> metadata) {
    }

    final Map<String, Stored> objects = new TreeMap<>();
    final List<String> puts = new ArrayList<>();
    int failNext;

    @Override
    public void put(String key, byte[] content, Map<String, String> metadata) {
        if (failNext > 0) {
            failNext--;
            throw new StoreUnavailable("store down (test)", null);
        }
        puts.add(key);
        objects.put(key, new Stored(content.clone(), Map.copyOf(metadata)));
    }

    @Override
    public void checkBucket() {
    }

    @Override
    public void close() {
    }
}
