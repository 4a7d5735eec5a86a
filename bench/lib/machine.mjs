// The machine a result was measured on: numbers without it cannot be compared.
import { readdirSync, readFileSync } from 'node:fs'
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

// utime + stime of every process, in jiffies, by pid.
function processTimes () {
  const times = new Map()
  for (const pid of readdirSync('/proc').filter(name => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      // Fields after "(comm)": state is the 3rd field, utime the 14th, stime the 15th.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      times.set(pid, Number(rest[11]) + Number(rest[12]))
    } catch {
      // The process ended between readdir and read.
    }
  }
  return times
}

function commandOf (pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim().slice(0, 100) || `pid ${pid}`
  } catch {
    return `pid ${pid} (ended)`
  }
}

// Share of all cores busy over `ms` while the bench itself is quiet, and the
// processes that used it: anything well above zero is someone else's work,
// and it would be stolen from the case.
export async function sampleBusyCpu (ms = 1000) {
  let before, procsBefore
  try {
    before = cpuTimes()
    procsBefore = processTimes()
  } catch {
    return null
  }
  await new Promise(resolve => setTimeout(resolve, ms))
  const after = cpuTimes()
  const procsAfter = processTimes()
  const total = after.total - before.total
  if (!(total > 0)) return null
  const top = [...procsAfter]
    .map(([pid, t]) => ({ pid, jiffies: t - (procsBefore.get(pid) ?? t) }))
    .filter(p => p.jiffies > 0)
    .sort((a, b) => b.jiffies - a.jiffies)
    .slice(0, 3)
    .map(p => ({ pid: Number(p.pid), share: p.jiffies / total, command: commandOf(p.pid) }))
  return { busy: 1 - (after.idle - before.idle) / total, top }
}
