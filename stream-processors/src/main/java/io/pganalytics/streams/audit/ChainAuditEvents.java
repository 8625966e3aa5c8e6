package io.pganalytics.streams.audit;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.audit.AuditChain;
import io.pganalytics.schemas.audit.AuditEntry;
import io.pganalytics.schemas.audit.AuditEvent;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Appends each new event to the chain: the next seq, the hash over the one before; a redelivered event is dropped. */
final class ChainAuditEvents implements Processor<String, AuditEvent, String, AuditEntry> {

    private static final Logger LOG = LoggerFactory.getLogger(ChainAuditEvents.class);

    private ProcessorContext<String, AuditEntry> context;
    private KeyValueStore<String, AuditEntry> head;
    private KeyValueStore<Long, Long> chained;

    @Override
    public void init(ProcessorContext<String, AuditEntry> context) {
        if (context.taskId().partition() != 0) {
            // A second partition would be a second chain, numbered from 1 on its own: refuse rather than fork.
            throw new IllegalStateException(Topics.AUDIT_EVENTS + " has more than one partition: the audit chain needs exactly one"
                    + " (recreate it with one partition before any event is chained)");
        }
        this.context = context;
        this.head = context.getStateStore(AuditChainTopology.HEAD_STORE);
        this.chained = context.getStateStore(AuditChainTopology.CHAINED_STORE);
    }

    @Override
    public void process(Record<String, AuditEvent> record) {
        AuditEvent event = record.value();
        if (event == null) {
            return; // a tombstone: the outbox is append-only, nothing to chain
        }
        Long already = chained.get(event.getOutboxId());
        if (already != null) {
            LOG.debug("audit event {} delivered again: chained as entry {} already", event.getOutboxId(), already);
            return;
        }
        AuditEntry next = AuditChain.append(head.get(AuditChainTopology.HEAD_KEY), event);
        head.put(AuditChainTopology.HEAD_KEY, next);
        chained.put(event.getOutboxId(), next.getSeq());
        context.forward(new Record<>(Long.toString(next.getSeq()), next, record.timestamp()));
    }
}
