// npm run bench: starts each system under test as a child process, drives it
// from a separate load-generator process, prints one table and writes
// bench/results/latest.json. Exits non-zero if any case answered anything but
// 2xx or had a socket error, so a "fast" run that was really failing never passes.
import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readArgs } from './lib/args.mjs'
import { CASES, SOAK_CASE } from './lib/cases.mjs'
import { forkProcess, installExitHandlers, liveCount, stopAll, stopProcess } from './lib/children.mjs'
import { describeMachine, sampleBusyCpu } from './lib/machine.mjs'
import { formatMachine, formatTable, judgeTargets, webhookLines } from './lib/report.mjs'
import { processLogFile, startCeiling, startGateway, startReference } from './lib/servers.mjs'
import { intervalLine, judgeMemory, RSS_SAMPLE_MS, rssBytes, summaryLines } from './lib/soak.mjs'

const benchDir = dirname(fileURLToPath(import.meta.url))
const repoRoot = resolve(benchDir, '..')
const resultsDir = join(benchDir, 'results')
const logsDir = join(resultsDir, 'logs')
// Above this share of the machine busy while the bench is idle, the numbers are suspect.
const QUIET_MACHINE_MAX_BUSY = 0.10

function startServer (benchCase, logFile) {
  switch (benchCase.server) {
    case 'ceiling': return startCeiling({ repoRoot, logFile })
    case 'reference': return startReference({ repoRoot, logFile })
    case 'gateway': return startGateway({ repoRoot, store: benchCase.store, logFile, env: benchCase.env, policy: benchCase.policy, processes: benchCase.processes })
    default: throw new Error(`no server called ${benchCase.server}`)
  }
}

// Forks the load generator, hands it the plan, waits for its result; the
// messages before it (phase changes, soak intervals) go to onProgress.
function runLoad (plan, timeoutMs, onProgress = () => {}) {
  const child = forkProcess({ name: 'load-generator', modulePath: join(benchDir, 'load.mjs'), cwd: repoRoot, env: process.env })
  const reply = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`load generator gave no result within ${timeoutMs / 1000} s`)), timeoutMs)
    child.on('message', message => {
      if (message.type === 'phase' || message.type === 'interval') return onProgress(message)
      clearTimeout(timer)
      if (message.type === 'result') resolve(message.result)
      else reject(new Error(`load generator failed: ${message.message}`))
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`load generator exited (code ${code}, signal ${signal}) without a result`))
    })
  })
  child.send(plan)
  return reply.finally(() => stopProcess(child))
}

function problemsOf (load, plan) {
  const problems = []
  if (load.error) problems.push(load.error)
  for (const phase of ['warmup', 'timed']) {
    const r = load[phase]
    if (!r) continue
    if (r.non2xx > 0) problems.push(`${phase}: ${r.non2xx} non-2xx (${JSON.stringify(r.statusCodes)})`)
    if (r.errors > 0 || r.timeouts > 0) problems.push(`${phase}: ${r.errors} socket errors, ${r.timeouts} timeouts`)
    if (r.requests === 0) problems.push(`${phase}: no request completed`)
  }
  // The same order asked twice in one second is a replay; that needs more than `statusOrders` req/s.
  const peak = Math.max(load.warmup?.reqPerSecMax ?? 0, load.timed?.reqPerSecMax ?? 0)
  if (plan.workload === 'status' && peak >= plan.statusOrders) {
    problems.push(`status peaked at ${peak} req/s, not below the ${plan.statusOrders} pre-created orders: raise --status-orders`)
  }
  return problems
}

// The webhook case measures inside its own process (queue, dispatcher, receiver), not through the HTTP load generator.
async function runWebhookCase (benchCase, logFile) {
  const outcome = { id: benchCase.id, title: benchCase.title, ok: false, logFile: relative(repoRoot, logFile) }
  outcome.busyCpuBefore = await sampleBusyCpu()
  const child = forkProcess({ name: 'webhooks', modulePath: join(benchDir, 'webhooks.mjs'), cwd: repoRoot, env: process.env })
  try {
    const result = await new Promise((resolve, reject) => {
      child.once('message', message => resolve(message.result))
      child.once('exit', code => reject(new Error(`webhook bench exited (code ${code}) without a result`)))
    })
    outcome.webhooks = result
    outcome.ok = result.ok && result.notDelivered === 0
    if (!result.ok) outcome.error = result.error
    else if (result.notDelivered > 0) outcome.error = `${result.notDelivered} deliveries not delivered`
  } catch (error) {
    outcome.error = error.message
  } finally {
    await stopProcess(child)
  }
  outcome.busyCpuAfter = await sampleBusyCpu()
  return outcome
}

// Log files of a case: one per server process.
function logFilesOf (benchCase) {
  const logFile = join(logsDir, `${benchCase.id}.log`)
  const count = benchCase.processes ?? 1
  const all = Array.from({ length: count }, (_, i) => processLogFile(logFile, i + 1, count))
  return { logFile, all }
}

// Starts the case's server(s); on failure stops whatever did start before rethrowing.
async function startServers (benchCase, logFile) {
  try {
    return await startServer(benchCase, logFile)
  } catch (error) {
    await stopServers(error.startedProcesses ?? [])
    throw error
  }
}

async function stopServers (processes) {
  await Promise.all(processes.filter(p => p.child).map(p => stopProcess(p.child)))
  for (const p of processes) if (p.dataDir) rmSync(p.dataDir, { recursive: true, force: true })
}

async function runCase (benchCase, options, runTag) {
  const { logFile, all: logFiles } = logFilesOf(benchCase)
  if (benchCase.server === 'webhooks') return runWebhookCase(benchCase, logFile)
  for (const f of logFiles) rmSync(f, { force: true })
  const outcome = { id: benchCase.id, title: benchCase.title, ok: false, logFile: logFiles.map(f => relative(repoRoot, f)).join(', ') }
  let server
  try {
    outcome.busyCpuBefore = await sampleBusyCpu()
    server = await startServers(benchCase, logFile)
    const plan = loadPlan(benchCase, server, options, runTag, { durationS: options.durationS, statusOrders: options.statusOrders })
    const load = await runLoad(plan, (options.warmupS + options.durationS) * 1000 + 900_000)
    Object.assign(outcome, load)
    const problems = problemsOf(load, plan)
    if (problems.length > 0) outcome.error = problems.join('; ')
    outcome.ok = problems.length === 0
  } catch (error) {
    outcome.error = error.message
  } finally {
    if (server) await stopServers(server.processes)
  }
  outcome.busyCpuAfter = await sampleBusyCpu()
  return outcome
}

// --soak: the production-like configuration under steady load for a long run,
// one line per interval, then the verdicts; results in bench/results/soak-latest.json.
async function runSoak (options, runTag) {
  const benchCase = SOAK_CASE
  const { logFile, all: logFiles } = logFilesOf(benchCase)
  for (const f of logFiles) rmSync(f, { force: true })
  const soak = { id: benchCase.id, title: benchCase.title, ok: false, logFile: logFiles.map(f => relative(repoRoot, f)).join(', '), rssSamples: [] }
  let server
  let sampler
  try {
    soak.busyCpuBefore = await sampleBusyCpu()
    server = await startServers(benchCase, logFile)
    const pids = server.processes.map(p => p.child.pid)
    const rssNow = () => pids.map(rssBytes)
    const plan = loadPlan(benchCase, server, options, runTag, { durationS: options.soakS, intervalS: options.intervalS })
    let timedStartMs
    // Each interval's RSS as printed, joined to the load generator's figures for the JSON.
    const intervalRss = new Map()
    const sample = () => soak.rssSamples.push({ atS: (Date.now() - timedStartMs) / 1000, rss: rssNow() })
    const onProgress = message => {
      if (message.type === 'phase' && message.phase === 'timed') {
        timedStartMs = Date.now()
        soak.rssStart = rssNow()
        console.log(`  warm-up done (${options.warmupS} s); timed run of ${options.soakS} s, a line every ${options.intervalS} s:`)
        sample()
        sampler = setInterval(sample, RSS_SAMPLE_MS)
      } else if (message.type === 'interval') {
        const rss = rssNow()
        intervalRss.set(message.interval.index, rss)
        console.log(intervalLine(message.interval, rss))
      }
    }
    const load = await runLoad(plan, (options.warmupS + options.soakS) * 1000 + 900_000, onProgress)
    clearInterval(sampler)
    Object.assign(soak, load)
    for (const interval of soak.timed?.intervals ?? []) interval.rss = intervalRss.get(interval.index) ?? null
    if (timedStartMs !== undefined) {
      sample()
      soak.rssEnd = soak.rssSamples.at(-1).rss
      soak.memory = judgeMemory(soak.rssSamples, pids.length)
    }
    const problems = problemsOf(load, plan)
    const exited = server.processes.filter(p => p.child.exitCode !== null || p.child.signalCode !== null)
    if (exited.length > 0) problems.push(`${exited.length} gateway process(es) exited during the soak; see ${soak.logFile}`)
    soak.errorVerdict = problems.length === 0 ? 'PASS' : 'MISS'
    if (problems.length > 0) soak.error = problems.join('; ')
    soak.ok = problems.length === 0
  } catch (error) {
    soak.error = error.message
  } finally {
    clearInterval(sampler)
    if (server) await stopServers(server.processes)
  }
  soak.busyCpuAfter = await sampleBusyCpu()
  return soak
}

async function soakMain (options, runTag, machine) {
  console.log(`${SOAK_CASE.id}: ${SOAK_CASE.title}`)
  const soak = await runSoak(options, runTag)
  console.log('')
  for (const line of summaryLines(soak)) console.log(line)
  for (const line of noisyNeighbours([soak])) console.log(line)
  console.log('')
  console.log(formatMachine(machine, options))
  if (!soak.ok) printFailure('soak', soak)
  const file = join(resultsDir, 'soak-latest.json')
  writeReport(file, { runTag, machine, options, soak, ok: soak.ok })
  console.log(`\nresults: ${relative(process.cwd(), file)}`)
  // As for the cases: errors fail the run; a memory MISS is reported, like any target.
  return soak.ok ? 0 : 1
}

function progressLine (outcome) {
  if (outcome.webhooks?.ok) return `  ${outcome.ok ? 'ok  ' : 'FAIL'} ${webhookLines(outcome.webhooks).join('\n       ')}`
  const t = outcome.timed
  const pre = outcome.preCreate ? ` (pre-created ${outcome.preCreate.created} orders in ${outcome.preCreate.wallS.toFixed(1)} s)` : ''
  const spread = t?.responsesByPort ? `, by process ${Object.values(t.responsesByPort).join(' / ')}` : ''
  const numbers = t ? `${t.reqPerSec.toFixed(0)} req/s, p50 ${t.latencyP50Ms} ms, p99 ${t.latencyP99Ms} ms, ${t.non2xx} non-2xx${spread}${pre}` : ''
  return `  ${outcome.ok ? 'ok  ' : 'FAIL'} ${numbers}${outcome.error ? `\n       ${outcome.error}` : ''}`
}

// Other work on the machine just before or after a case: its numbers are stolen from.
function noisyNeighbours (results) {
  const lines = []
  for (const r of results) {
    const worst = [r.busyCpuBefore, r.busyCpuAfter].filter(Boolean).sort((a, b) => b.busy - a.busy)[0]
    if (!worst || worst.busy <= QUIET_MACHINE_MAX_BUSY) continue
    lines.push(`warning: ${r.id}: the machine was ${(worst.busy * 100).toFixed(0)} % busy with other work around this case (bench idle); its numbers are suspect, re-run on a quiet machine`)
    for (const p of worst.top) lines.push(`           ${(p.share * 100).toFixed(0).padStart(3)} %  ${p.command}`)
  }
  return lines
}

async function main () {
  installExitHandlers()
  let options
  try {
    options = readArgs(process.argv.slice(2))
  } catch (error) {
    console.error(error.message)
    return 2
  }
  if (options.help) {
    console.log(options.help)
    return 0
  }
  mkdirSync(logsDir, { recursive: true })
  const runTag = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`
  const machine = await describeMachine()
  console.log(formatMachine(machine, options))
  console.log('')
  if (options.soakS) return soakMain(options, runTag, machine)

  const results = []
  for (const benchCase of CASES.filter(c => options.caseIds.includes(c.id))) {
    console.log(`${benchCase.id}: ${benchCase.title}`)
    const outcome = await runCase(benchCase, options, runTag)
    console.log(progressLine(outcome))
    results.push(outcome)
  }

  const verdicts = judgeTargets(results)
  console.log('')
  const httpResults = results.filter(r => !r.webhooks)
  if (httpResults.length > 0) console.log(formatTable(httpResults, verdicts))
  for (const r of results.filter(r => r.webhooks?.ok)) console.log(`\n${r.id}:\n  ${webhookLines(r.webhooks).join('\n  ')}`)
  for (const line of noisyNeighbours(results)) console.log(line)
  console.log('')
  console.log(formatMachine(machine, options))

  const failed = results.filter(r => !r.ok)
  for (const r of failed) printFailure(r.id, r)
  writeReport(join(resultsDir, 'latest.json'), { runTag, machine, options, results, targets: verdicts, ok: failed.length === 0 })
  console.log(`\nresults: ${relative(process.cwd(), join(resultsDir, 'latest.json'))}`)
  return failed.length === 0 ? 0 : 1
}

let code
try {
  code = await main()
} catch (error) {
  console.error(error.stack ?? error)
  code = 1
}
await stopAll()
if (liveCount() > 0) console.error(`bench: ${liveCount()} child process(es) still running`)
process.exit(code)

/** A failed case (or soak): why, its first failing replies, and where its server log is. */
function printFailure (label, result) {
  console.log(`\n${label} FAILED: ${result.error}`)
  for (const f of result.failures ?? []) console.log(`  [${f.phase}] HTTP ${f.status} for order ${f.orderId}: ${f.body}`)
  console.log(`  server log: ${result.logFile}`)
}

/** The run's full results as JSON, stamped with when it started (the run tag encodes it). */
function writeReport (file, { runTag, options, ...rest }) {
  const report = { startedAt: new Date(parseInt(runTag.slice(0, -4), 36)).toISOString(), runTag, ...rest, options: { ...options } }
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n')
}

/** What the load generator is told: the case's workload against every process of the case, with this run's options. */
function loadPlan (benchCase, server, options, runTag, extra) {
  return {
    workload: benchCase.workload,
    urls: server.processes.map(p => p.baseUrl),
    credentials: server.credentials,
    connections: options.connections,
    warmupS: options.warmupS,
    // Per run and per case, so a re-run never meets an order id it already used.
    idPrefix: `bench-${runTag}-${benchCase.id}-`,
    ...extra
  }
}
