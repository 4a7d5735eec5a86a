// Command-line flags of bench/run.mjs, defaulted and checked in one place.
import { parseArgs } from 'node:util'
import { CASE_IDS } from './cases.mjs'

const USAGE = `usage: node bench/run.mjs [--duration 10] [--warmup 3] [--connections 50]
                         [--only ${CASE_IDS.join('|')}[,...]] [--status-orders 40000]`

function positiveInteger (name, raw) {
  const value = Number(raw)
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`--${name} must be a positive whole number, got "${raw}"\n${USAGE}`)
  }
  return value
}

export function readArgs (argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      connections: { type: 'string', default: '50' },
      only: { type: 'string' },
      'status-orders': { type: 'string', default: '40000' },
      help: { type: 'boolean', short: 'h', default: false }
    },
    strict: true
  })
  if (values.help) return { help: USAGE }

  const only = values.only === undefined ? CASE_IDS : values.only.split(',').map(s => s.trim()).filter(Boolean)
  const unknown = only.filter(id => !CASE_IDS.includes(id))
  if (unknown.length > 0 || only.length === 0) {
    throw new Error(`--only takes case names from: ${CASE_IDS.join(', ')} (got "${values.only}")\n${USAGE}`)
  }
  return {
    durationS: positiveInteger('duration', values.duration),
    warmupS: positiveInteger('warmup', values.warmup),
    connections: positiveInteger('connections', values.connections),
    statusOrders: positiveInteger('status-orders', values['status-orders']),
    // Keep the documented order whatever order --only lists them in.
    caseIds: CASE_IDS.filter(id => only.includes(id))
  }
}
