// What is measured, and what each result is compared with.

// The shared Redis of a multi-process deployment (replay store, rate limits).
export const REDIS_URL = 'redis://127.0.0.1:6379'

// server: which child process answers; workload: what the load generator sends;
// processes: how many gateway processes share the database (default 1).
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
  // Issue 8: the production shape, several processes on one PostgreSQL and one Redis. Its fair baseline is one
  // process with the same Redis (replay store and rate limits in Redis, not in memory), measured just before it.
  { id: 'create-pg-redis', title: 'gateway order/create on PostgreSQL + Redis, 1 process', server: 'gateway', store: 'postgres', workload: 'create', env: { REDIS_URL } },
  {
    id: 'create-pg-3proc',
    title: 'gateway order/create on PostgreSQL + Redis, 3 processes, connections spread over them',
    server: 'gateway',
    store: 'postgres',
    workload: 'create',
    processes: 3,
    env: { REDIS_URL }
  },
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
    env: { REDIS_URL },
    policy: { allowlist: ['10.0.0.0/8', '2001:db8::/32', '127.0.0.1'], perMinute: 1000000 }
  },
  // Issue 8: the same read path on 3 processes; the replay store being shared, one order list cycles across all three.
  {
    id: 'status-pg-3proc',
    title: 'gateway order/status on PostgreSQL + Redis, IP allowlist + rate limit (Redis), 3 processes',
    server: 'gateway',
    store: 'postgres',
    workload: 'status',
    processes: 3,
    env: { REDIS_URL },
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
  { case: 'status-pg-policy-redis', base: 'status-pg', min: 0.90 },
  // Issue 8: 3 processes must not be slower than 1 (on 2 cores the machine, not the process, is the limit).
  { case: 'create-pg-3proc', base: 'create-pg-redis', min: 1.0 },
  { case: 'status-pg-3proc', base: 'status-pg-policy-redis', min: 1.0 }
]

// The soak (--soak): the production-like configuration for a long run. Its own
// case, not in CASES: it reports over time instead of one table row.
export const SOAK_CASE = {
  id: 'soak',
  title: 'gateway order/create + order/status of just-created orders (1 in 5), PostgreSQL + Redis, 3 processes',
  server: 'gateway',
  store: 'postgres',
  workload: 'soak',
  processes: 3,
  env: { REDIS_URL }
}
