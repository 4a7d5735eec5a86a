// The load generator: a child process of its own, so it never shares an event
// loop with a server it measures. bench/run.mjs forks it with an IPC channel,
// sends one plan, and gets back one result (or one error), after progress
// messages: the start of the timed run, and in a soak each interval's figures.
import autocannon from 'autocannon'
import { LatencyHistogram } from './lib/latency-histogram.mjs'
import { createAndStatus, createOrders, orderStatus } from './lib/workloads.mjs'

// Enough of the failing replies to see why, without flooding the report.
const FAILURE_SAMPLES = 5
const PRECREATE_CONNECTIONS = 100
// The soak's share of status reads: one request in this many.
const SOAK_STATUS_EVERY = 5

// `url` may list several servers: autocannon then gives connection i to
// url[i % n], so the connections spread evenly (50 over 3: 17, 17, 16) and one
// histogram holds every latency, its percentiles those of the whole load.
// `hooks(instance)` may listen to the run's events before it starts.
function fire (options, hooks = () => {}) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ pipelining: 1, timeout: 10, ...options }, (error, result) => {
      if (error) reject(error)
      else resolve(result)
    })
    process.once('disconnect', () => instance.stop())
    hooks(instance)
  })
}

// Responses per server port, in the order the servers were started, to show how the load actually spread.
function countByServer (instance, urls) {
  const byPort = Object.fromEntries(urls.map(url => [new URL(url).port, 0]))
  instance.on('response', client => {
    const port = String(client.opts.port)
    byPort[port] = (byPort[port] ?? 0) + 1
  })
  return byPort
}

function summarize (result, byPort) {
  return {
    ...(byPort && Object.keys(byPort).length > 1 ? { responsesByPort: byPort } : {}),
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
    url: plan.urls,
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

// One autocannon run of `durationS`, reporting every `intervalS` seconds over
// IPC: responses, 2xx latency percentiles and failures of that interval only.
// The first interval report goes out intervalS after the start; the last
// covers what is left, including autocannon's own stop (up to a second).
async function timedWithIntervals ({ urls, connections, durationS, intervalS, requests }) {
  const overall = new LatencyHistogram()
  let current
  let startedAt
  let sinceMs
  let index = 0
  const intervals = []
  const fresh = () => ({ latencies: new LatencyHistogram(), responses: 0, non2xx: 0, errors: 0, timeouts: 0 })
  const flush = () => {
    const now = Date.now()
    const c = current
    const seconds = (now - sinceMs) / 1000
    const interval = {
      index: index++,
      fromS: (sinceMs - startedAt) / 1000,
      toS: (now - startedAt) / 1000,
      responses: c.responses,
      reqPerSec: c.responses / seconds,
      latencyP50Ms: c.latencies.percentile(50),
      latencyP99Ms: c.latencies.percentile(99),
      latencyMaxMs: c.latencies.total > 0 ? c.latencies.max : null,
      non2xx: c.non2xx,
      errors: c.errors,
      timeouts: c.timeouts
    }
    overall.add(c.latencies)
    intervals.push(interval)
    process.send({ type: 'interval', interval })
    current = fresh()
    sinceMs = now
  }
  let timer
  let byPort
  const result = await fire({ url: urls, connections, duration: durationS, requests }, instance => {
    byPort = countByServer(instance, urls)
    // autocannon starts its duration timer as it is called, just before this hook runs.
    startedAt = sinceMs = Date.now()
    current = fresh()
    const ticks = Math.ceil(durationS / intervalS) - 1
    // Scheduled from the start, not from the last tick, so intervals do not drift.
    const schedule = k => {
      if (k > ticks) return
      timer = setTimeout(() => { flush(); schedule(k + 1) }, startedAt + k * intervalS * 1000 - Date.now())
    }
    schedule(1)
    instance.on('response', (client, status, bytes, ms) => {
      current.responses++
      // As autocannon: only 2xx latencies count, so a fast refusal cannot flatter the figure.
      if (status >= 200 && status <= 299) current.latencies.record(ms)
      else current.non2xx++
    })
    instance.on('reqError', error => {
      current.errors++
      if (error.message === 'request timed out') current.timeouts++
    })
  })
  clearTimeout(timer)
  flush()
  return {
    ...summarize(result, byPort),
    // From the per-interval histograms merged; equals autocannon's own figures, recorded to show it.
    overallFromIntervals: { latencyP50Ms: overall.percentile(50), latencyP99Ms: overall.percentile(99), latencyMaxMs: overall.max },
    intervals
  }
}

async function runPlan (plan) {
  const { urls, credentials, connections, warmupS, durationS, idPrefix, workload } = plan
  const failures = []
  const recorder = failureRecorder(failures)
  // Answers of the timed run by kind (the soak mixes creates and status reads).
  const byKind = {}
  const onResponse = (status, body, orderId, kind) => {
    if (kind && recorder.phase === 'timed') byKind[kind] = (byKind[kind] ?? 0) + 1
    recorder.record(status, body, orderId)
  }
  const out = { failures }

  // One request generator for warm-up and timed run, so its counter never restarts.
  let requests
  if (workload === 'create') {
    requests = createOrders({ credentials, idPrefix, onResponse })
  } else if (workload === 'soak') {
    requests = createAndStatus({ credentials, idPrefix, statusEvery: SOAK_STATUS_EVERY, onResponse })
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
  let byPort
  out.warmup = summarize(await fire({ url: urls, connections, duration: warmupS, requests }, i => { byPort = countByServer(i, urls) }), byPort)
  recorder.phase = 'timed'
  process.send({ type: 'phase', phase: 'timed' })
  if (plan.intervalS) {
    out.timed = { ...await timedWithIntervals({ urls, connections, durationS, intervalS: plan.intervalS, requests }), responsesByKind: byKind }
  } else {
    out.timed = summarize(await fire({ url: urls, connections, duration: durationS, requests }, i => { byPort = countByServer(i, urls) }), byPort)
  }
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
