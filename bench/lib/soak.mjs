// The soak's own figures: each server's memory over time, the verdicts, and the lines printed as it runs.
import { readFileSync } from 'node:fs'

// Resident memory may drift this much between the first and the last third of
// the run before it counts as growing: a heap settling is not a leak, and a
// leak of one small object per request grows far faster than this over 10 min.
export const RSS_GROWTH_MAX = 0.10
// RSS is sampled this often, whatever the report interval, so a short soak still has thirds to compare.
export const RSS_SAMPLE_MS = 5000

const MIB = 2 ** 20

// VmRSS of one process in bytes, or null once it has gone.
export function rssBytes (pid) {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find(l => l.startsWith('VmRSS:'))
    return line ? Number(line.split(/\s+/)[1]) * 1024 : null
  } catch {
    return null
  }
}

function mean (values) {
  return values.reduce((a, b) => a + b, 0) / values.length
}

// Per process: mean RSS over the first third of the samples against the last third.
export function judgeMemory (samples, processCount) {
  const third = Math.floor(samples.length / 3)
  if (third < 1) return { verdict: 'n/a', reason: `${samples.length} RSS samples, too few to compare thirds`, processes: [] }
  const processes = Array.from({ length: processCount }, (_, i) => {
    const first = samples.slice(0, third).map(s => s.rss[i])
    const last = samples.slice(-third).map(s => s.rss[i])
    if ([...first, ...last].some(v => v === null)) return { process: i + 1, growth: null }
    const firstMean = mean(first)
    const lastMean = mean(last)
    return { process: i + 1, firstThirdMeanBytes: Math.round(firstMean), lastThirdMeanBytes: Math.round(lastMean), growth: lastMean / firstMean - 1 }
  })
  const gone = processes.some(p => p.growth === null)
  const verdict = gone ? 'MISS' : processes.every(p => p.growth <= RSS_GROWTH_MAX) ? 'PASS' : 'MISS'
  return { verdict, samplesPerThird: third, max: RSS_GROWTH_MAX, ...(gone ? { reason: 'a process was gone before the end' } : {}), processes }
}

export function mib (bytes) {
  return bytes === null || bytes === undefined ? 'gone' : `${(bytes / MIB).toFixed(0)}`
}

function pad (value, width) {
  return String(value ?? '-').padStart(width)
}

export function intervalLine (interval, rss) {
  const span = `${interval.fromS.toFixed(0)}-${interval.toS.toFixed(0)} s`
  const errors = interval.non2xx + interval.errors
  return `  ${span.padStart(11)}  ${pad(interval.reqPerSec.toFixed(0), 6)} req/s  p50 ${pad(interval.latencyP50Ms, 4)} ms  p99 ${pad(interval.latencyP99Ms, 5)} ms  max ${pad(interval.latencyMaxMs, 5)} ms  errors ${pad(errors, 4)}  rss MiB ${rss.map(mib).join(' / ')}`
}

export function summaryLines (soak) {
  const t = soak.timed
  const lines = []
  if (t) {
    const errors = t.non2xx + t.errors
    const kinds = Object.entries(t.responsesByKind ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => `${n} ${kind}`).join(', ')
    lines.push(`requests:  ${t.requests} in ${t.durationS} s = ${t.reqPerSec.toFixed(0)} req/s (autocannon's per-second mean); ${kinds}${t.responsesByPort ? `; by process ${Object.values(t.responsesByPort).join(' / ')}` : ''}`)
    lines.push(`latency:   p50 ${t.latencyP50Ms} ms, p99 ${t.latencyP99Ms} ms over the whole run (2xx only)`)
    lines.push(`errors:    ${errors} (${t.non2xx} non-2xx ${JSON.stringify(t.statusCodes)}, ${t.errors - t.timeouts} socket errors, ${t.timeouts} timeouts): ${soak.errorVerdict}`)
  }
  if (soak.rssStart) {
    lines.push(`rss start: ${soak.rssStart.map(mib).join(' / ')} MiB (after the warm-up)`)
    lines.push(`rss end:   ${soak.rssEnd.map(mib).join(' / ')} MiB`)
  }
  const m = soak.memory
  if (m) {
    const detail = m.processes.map(p => (p.growth === null ? 'gone' : `${p.growth >= 0 ? '+' : ''}${(p.growth * 100).toFixed(1)} %`)).join(' / ')
    lines.push(`memory:    last third vs first third of ${soak.rssSamples.length} RSS samples: ${detail || m.reason}; target <= +${(RSS_GROWTH_MAX * 100).toFixed(0)} % each: ${m.verdict}`)
  }
  return lines
}
