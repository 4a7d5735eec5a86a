// What is measured, and what each result is compared with.

// server: which child process answers; workload: what the load generator sends.
export const CASES = [
  { id: 'ceiling', title: 'ceiling: bare Fastify, parse JSON, reply', server: 'ceiling', workload: 'create' },
  { id: 'reference', title: 'reference: hand-rolled HMAC + 1 INSERT (PostgreSQL)', server: 'reference', workload: 'create' },
  { id: 'create-pglite', title: 'gateway order/create on PGlite', server: 'gateway', store: 'pglite', workload: 'create' },
  { id: 'create-pg', title: 'gateway order/create on PostgreSQL', server: 'gateway', store: 'postgres', workload: 'create' },
  { id: 'status-pg', title: 'gateway order/status on PostgreSQL', server: 'gateway', store: 'postgres', workload: 'status' }
]

export const CASE_IDS = CASES.map(c => c.id)

// The targets the gateway is held to: req/s of `case` >= `min` x req/s of `base`.
export const TARGETS = [
  { case: 'create-pg', base: 'reference', min: 0.90 },
  { case: 'status-pg', base: 'ceiling', min: 0.50 },
  { case: 'create-pglite', base: 'ceiling', min: 0.12 }
]
