package io.pganalytics.streams.rollup;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;
import com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput;
import com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput;
import com.datadoghq.sketch.ddsketch.store.UnboundedSizeDenseStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * The quantile sketch of the rollups: DDSketch with a logarithmic index mapping and unbounded dense
 * stores, so that every quantile it returns is within {@link #RELATIVE_ACCURACY} (1%) of the exact
 * value of that rank, for positive, zero and negative values alike, and sketches merge without
 * losing that guarantee (a 1-hour sketch is the exact merge of its 1-minute ones).
 *
 * <p>Serialized with DDSketch's own binary encoding ({@code encode}/{@code decode}, no protobuf on the
 * classpath), which carries the index mapping, so a reader needs no configuration to decode it.
 */
public final class QuantileSketches {

    /** Relative accuracy of every quantile: |returned − exact| ≤ 1% × |exact|. */
    public static final double RELATIVE_ACCURACY = 0.01;

    private QuantileSketches() {
    }

    public static DDSketch empty() {
        return DDSketches.logarithmicUnboundedDense(RELATIVE_ACCURACY);
    }

    public static byte[] encode(DDSketch sketch) {
        GrowingByteArrayOutput output = GrowingByteArrayOutput.withInitialCapacity(64);
        try {
            sketch.encode(output, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a DDSketch: " + e.getMessage(), e);
        }
        return output.trimmedCopy();
    }

    public static DDSketch decode(ByteBuffer bytes) {
        byte[] copy = new byte[bytes.remaining()];
        bytes.duplicate().get(copy);
        try {
            return DDSketch.decode(ByteArrayInput.wrap(copy), UnboundedSizeDenseStore::new);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot decode a DDSketch: " + e.getMessage(), e);
        }
    }
}
