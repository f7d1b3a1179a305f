import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Deps } from '../app/deps.ts';
import type { AuditEntry } from '../audit/audit-log.ts';
import { auditChainLengths, countByStatus, lastHeadsPublished, tablesWithStatus } from './store.ts';

/**
 * The Prometheus metrics of one server (KIMAUTH_METRICS=true): one Registry per Deps, never prom-client's global
 * default registry. Hot paths only increment: requests are observed in one onResponse hook, sign-ins and refresh
 * reuse are counted from the audit entries they append anyway (AuditLog.observe), and the database gauges are
 * read at scrape time; second-factor checks likewise (`user.signed_in` with its `mfa` method, `user.mfa_failed`).
 * Labels are route patterns, methods, statuses, outcomes, grant types and tenant slugs —
 * never a user id, an email or a URL as requested.
 */
export interface Metrics {
  registry: Registry;
  /** One HTTP exchange; `route` is the route pattern (`/t/:slug/audit/head`), never the URL. */
  observeRequest(request: ObservedRequest): void;
  /** The Prometheus text exposition. */
  render(): Promise<string>;
  contentType: string;
  /** Stops the audit observer and the event-loop monitor. */
  close(): void;
}

export interface ObservedRequest {
  method: string;
  /** Route pattern; undefined for requests that matched no route. */
  route: string | undefined;
  status: number;
  seconds: number;
  /** The `grant_type` of a token endpoint body, when there is one. */
  grantType?: unknown;
}

/** Grant types a label may carry; anything else counts as `other`, so a client cannot mint label values. */
const KNOWN_GRANT_TYPES = new Set([
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'password',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
]);

/** Routes that grant tokens without a grant_type in their body. */
const IMPLICIT_GRANTS: Record<string, string> = {
  'POST /auth/login': 'password',
  'POST /auth/refresh': 'refresh_token',
};

const REASON = /"reason":"([a-z_]{1,40})"/;
/** The second factor a sign-in was completed with (`user.signed_in`), or a wrong code was given for (`user.mfa_failed`). */
const MFA_PROVEN = /"mfa":"(totp|recovery_code)"/;
const MFA_METHOD = /"method":"(totp|recovery_code)"/;

/** Outbox tables counted by status: the mail outbox and any webhook outbox or delivery table that exists. */
const OUTBOX_TABLE_PATTERNS = ['%outbox%', '%webhook%deliver%'];

export function createMetrics(deps: Deps): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({});
  // Process memory, CPU, handles and event-loop lag (nodejs_eventloop_lag_seconds and its percentiles).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const labels = ['method', 'route', 'status'] as const;
  const requests = new Counter({ name: 'kimauth_http_requests_total', help: 'HTTP requests by route pattern, method and status', labelNames: labels, registers: [registry] });
  const latency = new Histogram({
    name: 'kimauth_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern, method and status',
    labelNames: labels,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const signIns = new Counter({ name: 'kimauth_sign_ins_total', help: 'Password sign-ins by outcome (success or the failure reason)', labelNames: ['outcome'], registers: [registry] });
  const grants = new Counter({ name: 'kimauth_token_grants_total', help: 'Tokens granted, by grant type', labelNames: ['grant_type'], registers: [registry] });
  const reuse = new Counter({ name: 'kimauth_refresh_reuse_detections_total', help: 'Refresh tokens presented again after rotation (the session was revoked)', registers: [registry] });
  const rateLimited = new Counter({ name: 'kimauth_rate_limit_rejections_total', help: 'Requests refused with 429, by route pattern', labelNames: ['route'], registers: [registry] });
  const mfa = new Counter({
    name: 'kimauth_mfa_verifications_total',
    help: 'Second-factor checks by method and outcome: sign-ins completed with the factor (success), wrong codes (failure, also while enrolling or changing settings)',
    labelNames: ['method', 'outcome'],
    registers: [registry],
  });
  const auditAppended = new Counter({ name: 'kimauth_audit_entries_appended_total', help: 'Audit entries appended by this process, by event type', labelNames: ['type'], registers: [registry] });

  new Gauge({
    name: 'kimauth_outbox_messages',
    help: 'Outbox rows by table and status (mail_outbox; a webhook outbox when one exists): pending = depth, failed = failures',
    labelNames: ['outbox', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      const tables = new Set(OUTBOX_TABLE_PATTERNS.flatMap((p) => tablesWithStatus(deps, p)));
      for (const table of tables) for (const row of countByStatus(deps, table)) this.set({ outbox: table, status: row.status }, row.count);
    },
  });
  new Gauge({
    name: 'kimauth_audit_chain_length',
    help: "Entries in each tenant's audit chain (its last seq)",
    labelNames: ['tenant'],
    registers: [registry],
    collect() {
      this.reset();
      for (const row of auditChainLengths(deps)) this.set({ tenant: row.slug }, row.length);
    },
  });
  new Gauge({
    name: 'kimauth_audit_head_last_published_timestamp_seconds',
    help: "When each tenant's newest audit head was published (Unix seconds)",
    labelNames: ['tenant'],
    registers: [registry],
    collect() {
      this.reset();
      for (const row of lastHeadsPublished(deps)) this.set({ tenant: row.slug }, row.publishedAt / 1000);
    },
  });

  const stopObserving = deps.audit.subscribe((entry: AuditEntry) => {
    auditAppended.inc({ type: entry.eventType });
    if (entry.eventType === 'user.signed_in') {
      signIns.inc({ outcome: 'success' });
      const proven = MFA_PROVEN.exec(entry.payload)?.[1];
      if (proven) mfa.inc({ method: proven, outcome: 'success' });
    } else if (entry.eventType === 'user.mfa_failed') {
      // A wrong code while enrolling or changing settings is always a TOTP code.
      mfa.inc({ method: MFA_METHOD.exec(entry.payload)?.[1] ?? 'totp', outcome: 'failure' });
    } else if (entry.eventType === 'user.sign_in_failed') signIns.inc({ outcome: REASON.exec(entry.payload)?.[1] ?? 'other' });
    else if (entry.eventType === 'session.revoked' && entry.payload.includes('"reason":"refresh_token_reuse"')) reuse.inc();
  });

  return {
    registry,
    contentType: registry.contentType,
    observeRequest({ method, route, status, seconds, grantType }) {
      const pattern = route ?? 'unmatched';
      const values = { method, route: pattern, status: String(status) };
      requests.inc(values);
      latency.observe(values, seconds);
      if (status === 429) rateLimited.inc({ route: pattern });
      if (status >= 200 && status < 300) {
        const implicit = IMPLICIT_GRANTS[`${method} ${pattern}`];
        if (implicit) grants.inc({ grant_type: implicit });
        else if (grantType !== undefined) grants.inc({ grant_type: typeof grantType === 'string' && KNOWN_GRANT_TYPES.has(grantType) ? grantType : 'other' });
      }
    },
    render: () => registry.metrics(),
    close() {
      stopObserving();
      registry.clear();
    },
  };
}
