// Command-line flags of bench/run.mjs, defaulted and checked in one place.
import { parseArgs } from 'node:util'
import { CASE_IDS } from './cases.mjs'

const USAGE = `usage: node bench/run.mjs [--duration 10] [--warmup 3] [--connections 50]
                         [--only ${CASE_IDS.join('|')}[,...]] [--status-orders 40000]
       node bench/run.mjs --soak [600] [--interval 30] [--warmup 30] [--connections 50]`

export const SOAK_DEFAULT_S = 600
// Long enough that pools, JIT and the heap have settled before memory is first sampled.
const SOAK_WARMUP_DEFAULT_S = 30

function positiveInteger (name, raw) {
  const value = Number(raw)
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`--${name} must be a positive whole number, got "${raw}"\n${USAGE}`)
  }
  return value
}

// `--soak` alone means the default length: parseArgs wants a value, so one is supplied.
function defaultSoakLength (argv) {
  return argv.flatMap((arg, i) => (arg === '--soak' && (i === argv.length - 1 || argv[i + 1].startsWith('-')) ? [arg, String(SOAK_DEFAULT_S)] : [arg]))
}

export function readArgs (argv) {
  const { values } = parseArgs({
    args: defaultSoakLength(argv),
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string' },
      soak: { type: 'string' },
      interval: { type: 'string', default: '30' },
      connections: { type: 'string', default: '50' },
      only: { type: 'string' },
      'status-orders': { type: 'string', default: '40000' },
      help: { type: 'boolean', short: 'h', default: false }
    },
    strict: true
  })
  if (values.help) return { help: USAGE }

  if (values.soak !== undefined) {
    if (values.only !== undefined || values['status-orders'] !== '40000' || values.duration !== '10') {
      throw new Error(`--soak runs its own configuration: --only, --duration and --status-orders do not apply\n${USAGE}`)
    }
    const soakS = positiveInteger('soak', values.soak)
    const intervalS = positiveInteger('interval', values.interval)
    if (intervalS > soakS) throw new Error(`--interval (${intervalS} s) must not be longer than the soak (${soakS} s)\n${USAGE}`)
    return {
      soakS,
      intervalS,
      warmupS: positiveInteger('warmup', values.warmup ?? String(SOAK_WARMUP_DEFAULT_S)),
      connections: positiveInteger('connections', values.connections)
    }
  }

  if (values.interval !== '30') throw new Error(`--interval applies to --soak only\n${USAGE}`)
  const only = values.only === undefined ? CASE_IDS : values.only.split(',').map(s => s.trim()).filter(Boolean)
  const unknown = only.filter(id => !CASE_IDS.includes(id))
  if (unknown.length > 0 || only.length === 0) {
    throw new Error(`--only takes case names from: ${CASE_IDS.join(', ')} (got "${values.only}")\n${USAGE}`)
  }
  return {
    durationS: positiveInteger('duration', values.duration),
    warmupS: positiveInteger('warmup', values.warmup ?? '3'),
    connections: positiveInteger('connections', values.connections),
    statusOrders: positiveInteger('status-orders', values['status-orders']),
    // Keep the documented order whatever order --only lists them in.
    caseIds: CASE_IDS.filter(id => only.includes(id))
  }
}
