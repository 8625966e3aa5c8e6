package io.pganalytics.schemas.serde;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;

/**
 * A per-thread scratch buffer that frames one record at a time: the 5-byte header, then the Avro
 * body through an encoder bound to this buffer once, so that the warm path allocates only the result.
 *
 * <p>Unlike {@code ByteArrayOutputStream} it is unsynchronized (one thread owns it) and is reused.
 */
final class FrameBuffer extends OutputStream {

    /** A buffer that grew past this for one large record is dropped rather than kept for the thread's life. */
    private static final int RETAINED_BYTES = 1 << 20;
    private static final ThreadLocal<FrameBuffer> PER_THREAD = ThreadLocal.withInitial(FrameBuffer::new);

    private byte[] bytes = new byte[512];
    private int count;
    private BinaryEncoder encoder;

    static FrameBuffer get() {
        return PER_THREAD.get();
    }

    /** The framed bytes of {@code datum}: magic byte, schema id, Avro binary. */
    byte[] frame(int schemaId, DatumWriter<Object> writer, Object datum) throws IOException {
        count = 0;
        ensure(WireFormat.HEADER_BYTES);
        bytes[0] = WireFormat.MAGIC_BYTE;
        bytes[1] = (byte) (schemaId >>> 24);
        bytes[2] = (byte) (schemaId >>> 16);
        bytes[3] = (byte) (schemaId >>> 8);
        bytes[4] = (byte) schemaId;
        count = WireFormat.HEADER_BYTES;
        BinaryEncoder out = encoder;
        if (out == null) {
            out = EncoderFactory.get().binaryEncoder(this, null);
        }
        encoder = null; // a write that fails half-way leaves bytes in the encoder: never reuse it then
        writer.write(datum, out);
        out.flush();
        encoder = out;
        byte[] framed = Arrays.copyOf(bytes, count);
        if (bytes.length > RETAINED_BYTES) {
            bytes = new byte[512];
        }
        return framed;
    }

    @Override
    public void write(int b) {
        ensure(1);
        bytes[count++] = (byte) b;
    }

    @Override
    public void write(byte[] source, int offset, int length) {
        ensure(length);
        System.arraycopy(source, offset, bytes, count, length);
        count += length;
    }

    private void ensure(int more) {
        if (count + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, count + more));
        }
    }
}
