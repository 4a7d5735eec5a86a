// The load generator: a child process of its own, so it never shares an event
// loop with a server it measures. bench/run.mjs forks it with an IPC channel,
// sends one plan, and gets back one result (or one error).
import autocannon from 'autocannon'
import { createOrders, orderStatus } from './lib/workloads.mjs'

// Enough of the failing replies to see why, without flooding the report.
const FAILURE_SAMPLES = 5
const PRECREATE_CONNECTIONS = 100

function fire (options) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ pipelining: 1, timeout: 10, ...options }, (error, result) => {
      if (error) reject(error)
      else resolve(result)
    })
    process.once('disconnect', () => instance.stop())
  })
}

function summarize (result) {
  return {
    requests: result.requests.total,
    reqPerSec: result.requests.average,
    reqPerSecMax: result.requests.max,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyAvgMs: result.latency.average,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
    durationS: result.duration
  }
}

// Keeps the first few non-2xx replies, tagged with the phase they came from.
function failureRecorder (samples) {
  return {
    phase: 'warm-up',
    record (status, body, orderId) {
      if ((status < 200 || status > 299) && samples.length < FAILURE_SAMPLES) {
        samples.push({ phase: this.phase, status, orderId, body: String(body).slice(0, 1000) })
      }
    }
  }
}

// Not timed: create the orders the status requests will ask about, through the API itself.
async function preCreateOrders (plan, recorder) {
  const created = []
  const started = Date.now()
  recorder.phase = 'pre-create'
  const result = await fire({
    url: plan.baseUrl,
    connections: PRECREATE_CONNECTIONS,
    amount: plan.statusOrders,
    requests: createOrders({
      credentials: plan.credentials,
      idPrefix: `${plan.idPrefix}pre`,
      onResponse: (status, body, orderId) => {
        if (status === 200) created.push(orderId)
        else recorder.record(status, body, orderId)
      }
    })
  })
  return { created, summary: { ...summarize(result), created: created.length, wallS: (Date.now() - started) / 1000 } }
}

async function runPlan (plan) {
  const { baseUrl, credentials, connections, warmupS, durationS, idPrefix, workload } = plan
  const failures = []
  const recorder = failureRecorder(failures)
  const onResponse = (status, body, orderId) => recorder.record(status, body, orderId)
  const out = { failures }

  // One request generator for warm-up and timed run, so its counter never restarts.
  let requests
  if (workload === 'create') {
    requests = createOrders({ credentials, idPrefix, onResponse })
  } else if (workload === 'status') {
    const { created, summary } = await preCreateOrders(plan, recorder)
    out.preCreate = summary
    if (summary.non2xx > 0 || summary.errors > 0 || created.length < plan.statusOrders) {
      out.error = `pre-creating ${plan.statusOrders} orders failed: ${created.length} created, ${summary.non2xx} non-2xx, ${summary.errors} errors`
      return out
    }
    requests = orderStatus({ credentials, orderIds: created, onResponse })
  } else {
    throw new Error(`unknown workload ${workload}`)
  }

  recorder.phase = 'warm-up'
  out.warmup = summarize(await fire({ url: baseUrl, connections, duration: warmupS, requests }))
  recorder.phase = 'timed'
  out.timed = summarize(await fire({ url: baseUrl, connections, duration: durationS, requests }))
  return out
}

process.once('message', async plan => {
  let reply
  try {
    reply = { type: 'result', result: await runPlan(plan) }
  } catch (error) {
    reply = { type: 'error', message: error.stack ?? String(error) }
  }
  process.send(reply, () => process.exit(0))
})
