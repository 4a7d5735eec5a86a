// What is measured, and what each result is compared with.

// server: which child process answers; workload: what the load generator sends.
export const CASES = [
  { id: 'ceiling', title: 'ceiling: bare Fastify, parse JSON, reply', server: 'ceiling', workload: 'create' },
  { id: 'reference', title: 'reference: hand-rolled HMAC + 1 INSERT (PostgreSQL)', server: 'reference', workload: 'create' },
  { id: 'create-pglite', title: 'gateway order/create on PGlite', server: 'gateway', store: 'pglite', workload: 'create' },
  // Issue 5: the same without field encryption (a preload replaces the order's seal and blind indexes; no setting exists),
  // then without the audit log, both measured just before create-pg so they share the machine's mood.
  {
    id: 'create-pg-no-encryption',
    title: 'gateway order/create on PostgreSQL, customer fields not encrypted (bench preload)',
    server: 'gateway',
    store: 'postgres',
    workload: 'create',
    env: { NODE_OPTIONS: `--import=${new URL('./without-field-encryption.mjs', import.meta.url).href}` }
  },
  { id: 'create-pg-no-audit', title: 'gateway order/create on PostgreSQL, audit log off', server: 'gateway', store: 'postgres', workload: 'create', env: { TIJORI_AUDIT_ENABLED: 'false' } },
  { id: 'create-pg', title: 'gateway order/create on PostgreSQL', server: 'gateway', store: 'postgres', workload: 'create' },
  // The core case: no per-key rate limiting, no allowlist (the gateway of issue 2).
  { id: 'status-pg', title: 'gateway order/status on PostgreSQL', server: 'gateway', store: 'postgres', workload: 'status', env: { TIJORI_RATE_LIMITS_ENABLED: 'false' } },
  // The same, with the key's policy enforced: a 3-entry IP allowlist and its own rate limit (in-process budget).
  {
    id: 'status-pg-policy',
    title: 'gateway order/status on PostgreSQL, IP allowlist + rate limit (memory)',
    server: 'gateway',
    store: 'postgres',
    workload: 'status',
    policy: { allowlist: ['10.0.0.0/8', '2001:db8::/32', '127.0.0.1'], perMinute: 1000000 }
  },
  // And with the budget shared through Redis, as several processes would.
  {
    id: 'status-pg-policy-redis',
    title: 'gateway order/status on PostgreSQL, IP allowlist + rate limit (Redis)',
    server: 'gateway',
    store: 'postgres',
    workload: 'status',
    env: { REDIS_URL: 'redis://127.0.0.1:6379' },
    policy: { allowlist: ['10.0.0.0/8', '2001:db8::/32', '127.0.0.1'], perMinute: 1000000 }
  },
  // Issue 4: webhook deliveries per second from the queue (vs the same POSTs from a bare loop),
  // and what the transactional enqueue adds to a payment state change. Its own process (bench/webhooks.mjs).
  { id: 'webhooks', title: 'webhooks on PostgreSQL: queue to a local receiver; enqueue cost of a state change', server: 'webhooks' }
]

export const CASE_IDS = CASES.map(c => c.id)

// The targets the gateway is held to: req/s of `case` >= `min` x req/s of `base`.
export const TARGETS = [
  { case: 'create-pg', base: 'reference', min: 0.90 },
  // Issue 5: audit logging costs under 15 % of order create.
  { case: 'create-pg', base: 'create-pg-no-audit', min: 0.85 },
  // Issue 5: encrypting the customer's details (AES-256-GCM under the merchant's data key, two blind-index HMACs) costs under 15 %.
  { case: 'create-pg', base: 'create-pg-no-encryption', min: 0.85 },
  { case: 'status-pg', base: 'ceiling', min: 0.50 },
  { case: 'create-pglite', base: 'ceiling', min: 0.12 },
  // Issue 3: IP checks and rate limiting cost under 10% of the core status case.
  { case: 'status-pg-policy', base: 'status-pg', min: 0.90 },
  { case: 'status-pg-policy-redis', base: 'status-pg', min: 0.90 }
]
