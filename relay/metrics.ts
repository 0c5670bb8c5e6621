// Prometheus metrics of one relay instance (own registry, so several relays can
// run in one process, as in tests). Never labelled with user ids or content.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class RelayMetrics {
  readonly registry = new Registry();
  readonly connectedDevices = new Gauge({
    name: 'relay_connected_devices',
    help: 'Authenticated device sockets open now.',
    registers: [this.registry],
  });
  readonly openSockets = new Gauge({
    name: 'relay_open_sockets',
    help: 'WebSocket connections open now, authenticated or not.',
    registers: [this.registry],
  });
  readonly tlsCertificateExpiry = new Gauge({
    name: 'relay_tls_certificate_expiry_timestamp_seconds',
    help: 'When the TLS certificate in service expires (Unix time); 0 without TLS.',
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'relay_queue_depth',
    help: 'Envelopes stored and not yet acknowledged, all devices.',
    registers: [this.registry],
  });
  readonly queueBytes = new Gauge({
    name: 'relay_queue_bytes',
    help: 'Ciphertext bytes queued, counted once per recipient device.',
    registers: [this.registry],
  });
  readonly envelopesIn = new Counter({
    name: 'relay_envelopes_in_total',
    help: 'Envelopes accepted (committed), counted per recipient device.',
    registers: [this.registry],
  });
  readonly envelopesOut = new Counter({
    name: 'relay_envelopes_out_total',
    help: 'Envelopes pushed to a device socket (redeliveries included).',
    registers: [this.registry],
  });
  readonly envelopesAcked = new Counter({
    name: 'relay_envelopes_acked_total',
    help: 'Envelopes deleted after the recipient device acknowledged them.',
    registers: [this.registry],
  });
  readonly envelopesHandedOff = new Counter({
    name: 'relay_envelopes_handed_off_total',
    help: 'Envelopes the recipient device acknowledged before their commit: never written to disk.',
    registers: [this.registry],
  });
  readonly envelopesExpired = new Counter({
    name: 'relay_envelopes_expired_total',
    help: 'Envelopes deleted because they outlived the TTL.',
    registers: [this.registry],
  });
  readonly deliveryLatency = new Histogram({
    name: 'relay_delivery_latency_seconds',
    help: 'Time from a submission arriving to its envelope being pushed to an online device.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 3600],
    registers: [this.registry],
  });
  readonly commitBatchSize = new Histogram({
    name: 'relay_commit_batch_operations',
    help: 'Submissions and acks per committed transaction (one fsync each).',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: 'relay_commit_seconds',
    help: 'Duration of one batched transaction, fsync included.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly blobBytes = new Counter({
    name: 'relay_blob_bytes_total',
    help: 'Blob bytes received and sent.',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'relay_errors_total',
    help: 'Errors reported to clients, by code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  constructor(withProcessMetrics = true) {
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
