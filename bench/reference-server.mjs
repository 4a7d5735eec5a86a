// The reference: the gateway a team would write by hand in an afternoon.
// Fastify, the v1 HMAC check on the raw body, Fastify's schema validation,
// and ONE INSERT per order through postgres.js. No replay cache, no audit row,
// no idempotency: it is the floor the real gateway has to stay close to
// (create on PostgreSQL >= 0.90 x this), so it must be honest and lean, not a
// straw man. Its HMAC code is written out here on purpose, not imported from
// packages/signing, so the bench cannot share a bug with what it measures.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import Fastify from 'fastify'
import postgres from 'postgres'

function required (name) {
  const value = process.env[name]
  if (!value) {
    console.error(`reference-server: set ${name} (run it through bench/run.mjs, which sets every variable it needs)`)
    process.exit(2)
  }
  return value
}

const port = Number(required('PORT'))
const host = process.env.HOST ?? '127.0.0.1'
const databaseUrl = required('DATABASE_URL')
// One merchant, held in memory: the brief is one INSERT per request, and a
// hand-written gateway would cache its few keys rather than query them.
const merchants = new Map([
  [required('BENCH_REF_API_KEY'), {
    merchantId: required('BENCH_REF_MERCHANT_ID'),
    secretKey: Buffer.from(required('BENCH_REF_SECRET_KEY'), 'utf8')
  }]
])

// 300 s each way: the KwikPaisa v3 guide's ±5 minutes.
const TIMESTAMP_WINDOW_S = 300

// postgres.js defaults (10 connections), as a team would leave them.
const sql = postgres(databaseUrl, { onnotice: () => {} })

await sql`
  create table if not exists bench_reference_orders (
    id             text primary key,
    merchant_id    text not null,
    order_id       text not null,
    amount         numeric(14, 2) not null,
    currency       text not null,
    note           text,
    service_type   text not null,
    customer_name  text not null,
    customer_email text not null,
    customer_phone text not null,
    return_url     text,
    status         text not null default 'ACTIVE',
    created_at     timestamptz not null default now()
  )`
await sql`
  create unique index if not exists bench_reference_orders_merchant_order
    on bench_reference_orders (merchant_id, order_id)`

// The same log level the gateway is run with (TIJORI_LOG_LEVEL=warn).
const app = Fastify({ logger: { level: 'warn' } })

// The signature covers the exact bytes sent, so keep them: parse JSON ourselves.
app.removeContentTypeParser('application/json')
app.addContentTypeParser('application/json', { parseAs: 'buffer' }, function parseJsonKeepRaw (request, body, done) {
  request.rawBody = body
  try {
    done(null, JSON.parse(body.toString('utf8')))
  } catch {
    const error = new Error('Body is not valid JSON')
    error.statusCode = 400
    done(error, undefined)
  }
})

function verifyV1 (request) {
  const apiKey = request.headers['x-api-key']
  const timestamp = request.headers['x-timestamp']
  const signature = request.headers['x-signature']
  if (typeof apiKey !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string') {
    return { ok: false, message: 'X-API-KEY, X-TIMESTAMP and X-SIGNATURE are required' }
  }
  const merchant = merchants.get(apiKey)
  if (merchant === undefined) return { ok: false, message: 'Unknown API key' }
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(Math.floor(Date.now() / 1000) - Number(timestamp)) > TIMESTAMP_WINDOW_S) {
    return { ok: false, message: 'X-TIMESTAMP must be UNIX seconds within 300 s of now' }
  }
  const expected = createHmac('sha256', merchant.secretKey)
    .update(request.rawBody ?? Buffer.alloc(0))
    .update(timestamp)
    .digest()
  const given = Buffer.from(signature, 'hex')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, message: 'X-SIGNATURE does not match hex(HMAC_SHA256(secret, rawBody + timestamp))' }
  }
  return { ok: true, merchant }
}

const createOrderSchema = {
  body: {
    type: 'object',
    required: ['order_id', 'order_amount', 'order_currency', 'service_type', 'customer'],
    properties: {
      order_id: { type: 'string', minLength: 1, maxLength: 64 },
      order_amount: { type: 'string', pattern: '^[0-9]{1,10}(\\.[0-9]{1,2})?$' },
      order_currency: { type: 'string', pattern: '^[A-Z]{3}$' },
      order_note: { type: 'string', maxLength: 255 },
      service_type: { type: 'string', enum: ['DIGITAL', 'PHYSICAL'] },
      return_url: { type: 'string', maxLength: 2048 },
      customer: {
        type: 'object',
        required: ['name', 'email', 'phone'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 128 },
          email: { type: 'string', minLength: 3, maxLength: 254 },
          phone: { type: 'string', pattern: '^[0-9+]{6,16}$' }
        }
      }
    }
  }
}

app.post('/api/v3/pg/order/create', {
  // Authenticate before validating, as a gateway should: strangers learn nothing about the schema.
  preValidation: async function authenticate (request, reply) {
    const auth = verifyV1(request)
    if (!auth.ok) return reply.code(401).send({ status: 'error', message: auth.message })
    request.merchant = auth.merchant
  },
  schema: createOrderSchema
}, async function createOrder (request, reply) {
  const body = request.body
  const id = `ord_${randomBytes(12).toString('hex')}`
  let row
  try {
    [row] = await sql`
      insert into bench_reference_orders
        (id, merchant_id, order_id, amount, currency, note, service_type,
         customer_name, customer_email, customer_phone, return_url)
      values
        (${id}, ${request.merchant.merchantId}, ${body.order_id}, ${body.order_amount}, ${body.order_currency},
         ${body.order_note ?? null}, ${body.service_type}, ${body.customer.name}, ${body.customer.email},
         ${body.customer.phone}, ${body.return_url ?? null})
      returning created_at`
  } catch (error) {
    // 23505 unique_violation: this merchant already used this order_id.
    if (error.code === '23505') return reply.code(409).send({ status: 'error', message: 'order_id already exists' })
    throw error
  }
  return {
    status: 'success',
    message: 'Order created',
    data: {
      id,
      order_id: body.order_id,
      order_amount: body.order_amount,
      order_currency: body.order_currency,
      order_status: 'ACTIVE',
      created_at: row.created_at
    }
  }
})

app.get('/readyz', async function readyz () {
  await sql`select 1`
  return { status: 'ready' }
})

await app.listen({ port, host })

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, async () => {
    await app.close()
    await sql.end({ timeout: 5 })
    process.exit(0)
  })
}
