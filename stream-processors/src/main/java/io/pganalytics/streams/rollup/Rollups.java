package io.pganalytics.streams.rollup;

import com.datadoghq.sketch.ddsketch.DDSketch;
import io.pganalytics.schemas.rollups.Aggregate;
import java.nio.ByteBuffer;

/** Building and merging {@link Aggregate}s: how a closed window reports a field, and how an hour merges its minutes. */
final class Rollups {

    private Rollups() {
    }

    /** The aggregate of {@code count} values; mean is sum/count, quantiles come from the sketch. */
    static Aggregate aggregate(long count, double min, double max, double sum, double last, DDSketch sketch) {
        return Aggregate.newBuilder()
                .setCount(count)
                .setMin(min)
                .setMax(max)
                .setSum(sum)
                .setMean(sum / count)
                .setLast(last)
                .setP50(sketch.getValueAtQuantile(0.50))
                .setP95(sketch.getValueAtQuantile(0.95))
                .setP99(sketch.getValueAtQuantile(0.99))
                .setSketch(ByteBuffer.wrap(QuantileSketches.encode(sketch)))
                .build();
    }

    /**
     * {@code earlier} merged with {@code later}, a window that ends no earlier: counts and sums add,
     * min and max of both, last from {@code later}, the sketches merge exactly.
     */
    static Aggregate merge(Aggregate earlier, Aggregate later) {
        if (earlier == null) {
            return later;
        }
        DDSketch sketch = QuantileSketches.decode(earlier.getSketch());
        sketch.mergeWith(QuantileSketches.decode(later.getSketch()));
        return aggregate(earlier.getCount() + later.getCount(), Math.min(earlier.getMin(), later.getMin()),
                Math.max(earlier.getMax(), later.getMax()), earlier.getSum() + later.getSum(), later.getLast(), sketch);
    }
}
