// The webhook half of `npm run bench`, in its own process: deliveries per
// second from the durable queue to a local receiver (against a bare baseline
// of the same POSTs sent straight from a loop), and what writing the event
// adds to a payment state change (against the same transaction without it).
// Runs on PostgreSQL; prints one JSON result on stdout's last line (or to the parent over IPC).
import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { performance } from 'node:perf_hooks'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { forkProcess, stopProcess } from './lib/children.mjs'
import { databaseUrl, recreateDatabase } from './lib/databases.mjs'

const benchDir = dirname(fileURLToPath(import.meta.url))
const dist = resolve(benchDir, '../packages/server/dist')
const load = path => import(join(dist, path))

const { openPostgresDb } = await load('store/postgres-db.js')
const { migrate } = await load('store/migrate.js')
const { Keyring } = await load('core/keyring.js')
const { Secret } = await load('lib/secret.js')
const { createMerchant } = await load('core/merchants.js')
const { createEndpoint } = await load('core/webhook-endpoints.js')
const { paymentEvent } = await load('core/webhook-events.js')
const { enqueueEvents } = await load('store/queries/webhook-deliveries.js')
const { insertOrdersIfAbsent } = await load('store/queries/orders.js')
const { applyPaymentOutcome } = await load('core/order-lifecycle.js')
const { lockOrderStatus, insertAttempt } = await load('store/queries/payment-attempts.js')
const { WebhookDispatcher } = await load('webhooks/webhook-dispatcher.js')
const { DEFAULT_RETRY_SCHEDULE_SECONDS } = await load('webhooks/retry-schedule.js')
const { systemClock } = await load('lib/clock.js')
const { createLogger } = await load('lib/logger.js')
const { ID_PREFIX, newId } = await load('lib/ids.js')

const DATABASE = 'tijori_bench_webhooks'
const CONCURRENCY = Number(process.env.BENCH_WEBHOOK_CONCURRENCY ?? 50)
const DELIVERIES = Number(process.env.BENCH_WEBHOOK_DELIVERIES ?? 20000)
const STATE_CHANGES = Number(process.env.BENCH_STATE_CHANGES ?? 4000)
const STATE_CONCURRENCY = 20

function post (port, body) {
  return new Promise((resolve, reject) => {
    // agent: false, as the dispatcher does: one connection per attempt.
    const req = request({ host: '127.0.0.1', port, path: '/hook', method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, res => {
      res.resume()
      res.on('end', () => (res.statusCode < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))))
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function pool (count, concurrency, task) {
  let next = 0
  const workers = Array.from({ length: concurrency }, async () => {
    while (next < count) await task(next++)
  })
  await Promise.all(workers)
}

function countOf (receiver) {
  return new Promise(resolve => {
    receiver.once('message', m => resolve(m.received))
    receiver.send('count')
  })
}

function orderRow (merchantId, i, now) {
  return {
    id: newId(ID_PREFIX.order),
    merchantId,
    mode: 'test',
    orderRef: `wh-bench-${i}`,
    orderRefNumeric: false,
    amountMinor: 10500,
    currency: 'INR',
    note: null,
    serviceType: 'DIGITAL',
    customerEnc: Buffer.from('x'),
    returnUrl: null,
    status: 'UN_PAID',
    createdAt: now,
    updatedAt: now,
    expiresAt: new Date(now.getTime() + 3600_000)
  }
}

// The statements of applyPaymentOutcome('success') on an UN_PAID order minus the event (a plain status
// UPDATE where the gateway's UPDATE also writes the event and its deliveries): the baseline for the enqueue cost.
async function payWithoutEvent (db, orderId) {
  await db.transaction(async tx => {
    const now = new Date()
    await lockOrderStatus(tx, orderId)
    await insertAttempt(tx, { id: newId(ID_PREFIX.paymentAttempt), orderId, method: 'UPI', status: 'PAID', bankReference: 'SBXBENCH', startedAt: now, completedAt: now })
    await tx.query('UPDATE orders SET status = $2, updated_at = $3 WHERE id = $1', [orderId, 'PAID', now])
  })
}

async function timeStateChanges (ids, change) {
  const started = performance.now()
  await pool(ids.length, STATE_CONCURRENCY, async i => change(ids[i]))
  return ids.length / ((performance.now() - started) / 1000)
}

async function main () {
  await recreateDatabase(DATABASE)
  const db = await openPostgresDb({ url: databaseUrl(DATABASE), poolMax: 10 })
  const receiver = forkProcess({ name: 'webhook-receiver', modulePath: join(benchDir, 'webhook-receiver.mjs'), cwd: benchDir, env: process.env })
  try {
    const { port } = await new Promise(resolve => receiver.once('message', resolve))
    await migrate(db)
    const keyring = new Keyring(new Secret(randomBytes(32)))
    await keyring.assertMatches(db)
    const merchant = await createMerchant(db, keyring, systemClock, { name: 'Bench', mode: 'test' })
    const created = await createEndpoint(db, keyring, systemClock, 'sandbox', { merchantId: merchant.merchantId, mode: 'test', url: `http://127.0.0.1:${port}/hook` })
    if (!created.ok) throw new Error(created.message)

    // Orders to hang events and state changes on.
    const now = new Date()
    const rows = Array.from({ length: DELIVERIES + 2 * STATE_CHANGES }, (_, i) => orderRow(merchant.merchantId, i, now))
    for (let i = 0; i < rows.length; i += 500) await insertOrdersIfAbsent(db, rows.slice(i, i + 500))

    // 1. The enqueue cost: half the orders paid with their event, half by the same statements without it.
    const withEvent = rows.slice(DELIVERIES, DELIVERIES + STATE_CHANGES).map(r => r.id)
    const withoutEvent = rows.slice(DELIVERIES + STATE_CHANGES).map(r => r.id)
    // Alternate short rounds so that drift on a noisy machine hits both sides alike.
    const rounds = 4
    let withRate = 0
    let withoutRate = 0
    const per = Math.floor(STATE_CHANGES / rounds)
    for (let r = 0; r < rounds; r++) {
      withoutRate += await timeStateChanges(withoutEvent.slice(r * per, (r + 1) * per), id => payWithoutEvent(db, id)) / rounds
      withRate += await timeStateChanges(withEvent.slice(r * per, (r + 1) * per), id => applyPaymentOutcome(db, systemClock, id, 'success', 'UPI')) / rounds
    }
    // Those state changes queued deliveries: send them before measuring the queue from empty.
    const logger = createLogger('warn')
    const options = { timeoutMs: 10000, scheduleSeconds: DEFAULT_RETRY_SCHEDULE_SECONDS, concurrency: CONCURRENCY, pollIntervalMs: 1000, policy: 'sandbox', disableAfterFailingMs: 5 * 86400_000 }
    await new WebhookDispatcher(db, keyring, systemClock, logger, options).drain()

    // 2. Bare baseline: the same number of POSTs of an event-sized body straight from a loop.
    const sample = paymentEvent({ id: rows[0].id, merchantId: merchant.merchantId, mode: 'test', orderRef: 'x', orderRefNumeric: false, amountMinor: 10500, currency: 'INR' }, 'PAID', null, now).payload
    const bareStarted = performance.now()
    await pool(DELIVERIES, CONCURRENCY, () => post(port, sample))
    const bareRate = DELIVERIES / ((performance.now() - bareStarted) / 1000)

    // 3. Deliveries from the queue: enqueue, then let a running dispatcher empty it.
    const before = await countOf(receiver)
    const events = rows.slice(0, DELIVERIES).map(r => paymentEvent(r, 'PAID', null, now))
    for (let i = 0; i < events.length; i += 500) await enqueueEvents(db, events.slice(i, i + 500))
    const dispatcher = new WebhookDispatcher(db, keyring, systemClock, logger, options)
    const started = performance.now()
    dispatcher.start()
    while ((await countOf(receiver)) - before < DELIVERIES) await new Promise(resolve => setTimeout(resolve, 20))
    const deliveryRate = DELIVERIES / ((performance.now() - started) / 1000)
    await dispatcher.stop()
    const [{ n: pending }] = await db.query("select count(*)::int as n from webhook_deliveries where status <> 'delivered'")

    return {
      deliveries: DELIVERIES,
      concurrency: CONCURRENCY,
      deliveriesPerSec: deliveryRate,
      barePostsPerSec: bareRate,
      deliveryRatio: deliveryRate / bareRate,
      notDelivered: pending,
      stateChanges: STATE_CHANGES,
      stateChangesPerSecWithEvent: withRate,
      stateChangesPerSecWithoutEvent: withoutRate,
      enqueueCost: 1 - withRate / withoutRate
    }
  } finally {
    await stopProcess(receiver)
    await db.close()
  }
}

const result = await main().then(r => ({ ok: true, ...r }), error => ({ ok: false, error: error.stack ?? String(error) }))
if (process.send) process.send({ type: 'result', result })
else console.log(JSON.stringify(result, null, 2))
process.exit(result.ok ? 0 : 1)
