// The machine a result was measured on: numbers without it cannot be compared.
import { readFileSync } from 'node:fs'
import { availableParallelism, totalmem } from 'node:os'
import { postgresVersion } from './databases.mjs'

function cpuModel () {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find(l => l.startsWith('model name'))
    return line ? line.split(':').slice(1).join(':').trim() : 'unknown'
  } catch {
    return 'unknown (no /proc/cpuinfo)'
  }
}

export async function describeMachine () {
  let postgresql
  try {
    postgresql = await postgresVersion()
  } catch (error) {
    postgresql = `unreachable (${error.message})`
  }
  return {
    cpu: cpuModel(),
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
    node: process.version,
    postgresql
  }
}

function cpuTimes () {
  // First line of /proc/stat: aggregate jiffies per state; idle + iowait are "not busy".
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const total = fields.reduce((a, b) => a + b, 0)
  return { total, idle: fields[3] + (fields[4] ?? 0) }
}

// Share of all cores busy over `ms` while the bench itself is quiet: anything
// well above zero is someone else's work, and it would be stolen from the case.
export async function sampleBusyCpu (ms = 1000) {
  let before
  try {
    before = cpuTimes()
  } catch {
    return null
  }
  await new Promise(resolve => setTimeout(resolve, ms))
  const after = cpuTimes()
  const total = after.total - before.total
  return total > 0 ? 1 - (after.idle - before.idle) / total : null
}
