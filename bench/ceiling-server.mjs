// The ceiling: the fastest this machine answers a JSON POST through Fastify
// with nothing else in the way. Every other case is read as a fraction of it.
// Same route, same body, same reply size class as the gateway; no auth, no
// database, no logger, so whatever the gateway costs beyond this is its own.
import Fastify from 'fastify'

const port = Number(process.env.PORT)
const host = process.env.HOST ?? '127.0.0.1'
if (!Number.isInteger(port) || port <= 0) {
  console.error('ceiling-server: set PORT to the port to listen on (run it through bench/run.mjs)')
  process.exit(2)
}

const app = Fastify({ logger: false })

// Fastify's own JSON parser: the body is parsed exactly as the gateway's is.
app.post('/api/v3/pg/order/create', async function createOrderCeiling (request) {
  return { status: 'success', order_id: request.body.order_id }
})

app.get('/readyz', async function readyz () {
  return { status: 'ready' }
})

await app.listen({ port, host })

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, async () => {
    await app.close()
    process.exit(0)
  })
}
