// Turning case results into the table, the target verdicts and the JSON file.
import { SOAK_CASE, TARGETS } from './cases.mjs'

function ratio (result, base) {
  if (!result?.ok || !base?.ok || !(base.timed.reqPerSec > 0)) return null
  return result.timed.reqPerSec / base.timed.reqPerSec
}

// For every target: the ratio reached and PASS / MISS (or n/a when either side did not run cleanly).
export function judgeTargets (results) {
  const byId = new Map(results.map(r => [r.id, r]))
  return TARGETS.filter(t => byId.has(t.case)).map(t => {
    const value = ratio(byId.get(t.case), byId.get(t.base))
    return {
      ...t,
      ratio: value,
      verdict: value === null ? 'n/a' : value >= t.min ? 'PASS' : 'MISS'
    }
  })
}

function fixed (value, digits) {
  return value === null || value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits)
}

function renderTable (header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
  // Numbers right-aligned, the case name and verdicts left-aligned.
  const leftAligned = new Set([0, header.length - 1])
  const line = cells => cells.map((c, i) => (leftAligned.has(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
  return [line(header), widths.map(w => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

export function formatTable (results, verdicts) {
  const byId = new Map(results.map(r => [r.id, r]))
  const header = ['case', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'x ceiling', 'x reference', 'target']
  const rows = results.map(r => {
    const t = r.timed
    // A case may have several targets; show those whose base ran (all of them when none did).
    const targets = verdicts.filter(v => v.case === r.id)
    const judged = targets.filter(v => v.verdict !== 'n/a')
    const targetText = (judged.length > 0 ? judged : targets).map(v => `>= ${v.min.toFixed(2)} x ${v.base}: ${v.verdict}${v.ratio === null ? '' : ` (${v.ratio.toFixed(2)})`}`).join('; ')
    if (!t) return [r.id, '-', '-', '-', '-', '-', '-', '-', r.error ? `FAILED, see below` : targetText]
    const vsReference = r.id === 'create-pg' ? fixed(ratio(r, byId.get('reference')), 2) : ''
    return [
      r.id,
      fixed(t.reqPerSec, 0),
      fixed(t.latencyP50Ms, 0),
      fixed(t.latencyP99Ms, 0),
      String(t.non2xx),
      String(t.errors + t.timeouts),
      fixed(ratio(r, byId.get('ceiling')), 2),
      vsReference,
      targetText
    ]
  })
  return renderTable(header, rows)
}

export function formatMachine (machine, options) {
  return [
    `cpu:        ${machine.cpu} (${machine.cores} cores available, ${machine.memoryGiB} GiB)`,
    `node:       ${machine.node}`,
    `postgresql: ${machine.postgresql}`,
    options.soakS
      ? `load:       ${options.connections} connections spread over ${SOAK_CASE.processes} gateway processes, ${options.warmupS} s warm-up (not counted) + ${options.soakS} s soak, load generator in its own process`
      : `load:       ${options.connections} connections, ${options.warmupS} s warm-up (not counted) + ${options.durationS} s timed per case, load generator in its own process`
  ].join('\n')
}

// The webhook case's figures, each beside the baseline it is compared with.
export function webhookLines (w) {
  return [
    `deliveries: ${w.deliveriesPerSec.toFixed(0)}/s from the queue (${w.deliveries} events, ${w.concurrency} in flight) vs ${w.barePostsPerSec.toFixed(0)}/s bare POSTs from a loop = ${w.deliveryRatio.toFixed(2)} x bare`,
    `state changes: ${w.stateChangesPerSecWithEvent.toFixed(0)}/s with the event enqueued vs ${w.stateChangesPerSecWithoutEvent.toFixed(0)}/s without = enqueue costs ${(w.enqueueCost * 100).toFixed(0)} %`
  ]
}
