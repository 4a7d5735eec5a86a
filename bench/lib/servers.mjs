// Starting each system under test as its own child process, and knowing when it is ready.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { hasExited, startProcess } from './children.mjs'
import { databaseUrl, recreateDatabase } from './databases.mjs'
import { freePort } from './free-port.mjs'

const HOST = '127.0.0.1'
// Generous: the gateway runs its migrations (and PGlite its WASM start) before /readyz.
const READY_TIMEOUT_MS = 120_000

export const GATEWAY_DATABASE = 'tijori_bench'
export const REFERENCE_DATABASE = 'tijori_bench_ref'

// The parent's environment without anything that would steer a server:
// a DATABASE_URL left in the shell must not turn the PGlite case into PostgreSQL.
function cleanEnv (extra) {
  const env = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'DATABASE_URL' || key.startsWith('TIJORI_') || key.startsWith('BENCH_') || key === 'PORT' || key === 'HOST') continue
    env[key] = value
  }
  return { ...env, ...extra }
}

async function waitReady (child, baseUrl) {
  const deadline = Date.now() + READY_TIMEOUT_MS
  let last = 'no answer yet'
  while (Date.now() < deadline) {
    if (hasExited(child)) {
      throw new Error(`${child.benchName} exited (code ${child.exitCode}, signal ${child.signalCode}) before ${baseUrl}/readyz answered 200; see ${child.logFile}`)
    }
    try {
      const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2000) })
      if (response.status === 200) return
      last = `HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`
    } catch (error) {
      last = error.cause?.code ?? error.message
    }
    await sleep(200)
  }
  throw new Error(`${child.benchName}: ${baseUrl}/readyz did not answer 200 within ${READY_TIMEOUT_MS / 1000} s (last: ${last}); see ${child.logFile}`)
}

async function startNodeServer ({ name, script, args = [], env, cwd, logFile, onSpawn = () => {} }) {
  const port = await freePort(HOST)
  const baseUrl = `http://${HOST}:${port}`
  const child = startProcess({
    name,
    command: process.execPath,
    // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the servers (not the load generator).
    args: [...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), script, ...args],
    env: cleanEnv({ ...env, PORT: String(port), HOST }),
    cwd,
    logFile
  })
  onSpawn(child)
  await waitReady(child, baseUrl)
  return { child, baseUrl }
}

export async function startCeiling ({ repoRoot, logFile }) {
  const ceiling = await startNodeServer({
    name: 'ceiling-server', script: join(repoRoot, 'bench/ceiling-server.mjs'), cwd: repoRoot, env: {}, logFile
  })
  // The ceiling checks nothing; the load generator signs anyway, so its own cost is the same in every case.
  const credentials = { merchant_id: 'mer_ceiling', api_key: 'pk_test_ceiling', secret_key: randomBytes(32).toString('hex') }
  return { processes: [ceiling], credentials }
}

export async function startReference ({ repoRoot, logFile }) {
  await recreateDatabase(REFERENCE_DATABASE)
  const credentials = {
    merchant_id: `mer_${randomBytes(8).toString('hex')}`,
    api_key: `pk_test_${randomBytes(16).toString('hex')}`,
    secret_key: `sk_test_${randomBytes(32).toString('hex')}`
  }
  const reference = await startNodeServer({
    name: 'reference-server',
    script: join(repoRoot, 'bench/reference-server.mjs'),
    cwd: repoRoot,
    env: {
      DATABASE_URL: databaseUrl(REFERENCE_DATABASE),
      BENCH_REF_MERCHANT_ID: credentials.merchant_id,
      BENCH_REF_API_KEY: credentials.api_key,
      BENCH_REF_SECRET_KEY: credentials.secret_key
    },
    logFile
  })
  return { processes: [reference], credentials }
}

const ADMIN_TOKEN = `tja_bench_${randomBytes(16).toString('hex')}`

// `<case>.log` for a lone process; `<case>.1.log`, `<case>.2.log`, … when several share a case.
export function processLogFile (logFile, n, count) {
  return count > 1 ? logFile.replace(/\.log$/, `.${n}.log`) : logFile
}

// One process, or `processes` sharing one database (and whatever Redis caseEnv names), as behind a load
// balancer: the same master key and admin token, each its own port, data directory and log file.
// The first starts alone on the fresh database (migrations, the sandbox merchant, its credentials file,
// the key's policy); the others start after it, so they meet a migrated database with the policy in place.
export async function startGateway ({ repoRoot, store, logFile, env: caseEnv = {}, policy, processes: count = 1 }) {
  const cli = join(repoRoot, 'packages/server/dist/cli.js')
  if (!existsSync(cli)) throw new Error(`${cli} does not exist: the gateway is not built (npm run build)`)
  if (count > 1 && store !== 'postgres') throw new Error('several gateway processes need PostgreSQL: PGlite is one process\'s database')
  // One key sends thousands of requests a second here: lift its budget so the bench measures the limiter's cost, not its refusals.
  const env = { TIJORI_LOG_LEVEL: 'warn', TIJORI_RATE_LIMIT_PER_MINUTE: '100000000', TIJORI_ADMIN_TOKEN: ADMIN_TOKEN, ...caseEnv }
  // BENCH_GATEWAY_ENV="TIJORI_X=1 TIJORI_Y=2" tries gateway settings without editing the bench.
  for (const pair of process.env.BENCH_GATEWAY_ENV?.split(' ').filter(Boolean) ?? []) {
    const [key, ...value] = pair.split('=')
    env[key] = value.join('=')
  }
  if (store === 'postgres') {
    await recreateDatabase(GATEWAY_DATABASE)
    env.DATABASE_URL = databaseUrl(GATEWAY_DATABASE)
    env.TIJORI_MASTER_KEY = randomBytes(32).toString('base64')
  }
  const started = []
  const startOne = async (n) => {
    const dataDir = await mkdtemp(join(tmpdir(), `tijori-bench-${store}-`))
    // Recorded before the wait, so a process that never gets ready is still stopped and its directory removed.
    const entry = { dataDir, logFile: processLogFile(logFile, n, count) }
    started.push(entry)
    const { child, baseUrl } = await startNodeServer({
      name: count > 1 ? `gateway (${store}) ${n}/${count}` : `gateway (${store})`,
      script: cli,
      args: ['serve'],
      cwd: repoRoot,
      env: { ...env, TIJORI_DATA_DIR: dataDir },
      logFile: entry.logFile,
      onSpawn: child => { entry.child = child }
    })
    return Object.assign(entry, { child, baseUrl })
  }
  try {
    const first = await startOne(1)
    // Written by the server on its first start with an empty store.
    const credentialsFile = join(first.dataDir, 'sandbox-credentials.json')
    let credentials
    try {
      credentials = JSON.parse(await readFile(credentialsFile, 'utf8'))
    } catch (error) {
      throw new Error(`gateway answered /readyz but ${credentialsFile} is missing or not JSON (${error.message})`)
    }
    for (const field of ['merchant_id', 'api_key', 'secret_key']) {
      if (typeof credentials[field] !== 'string' || credentials[field] === '') {
        throw new Error(`${credentialsFile} has no "${field}" string`)
      }
    }
    if (policy) await applyPolicy(first.baseUrl, credentials.api_key, policy)
    await Promise.all(Array.from({ length: count - 1 }, (_, i) => startOne(i + 2)))
    return { processes: started, credentials }
  } catch (error) {
    error.startedProcesses = started
    throw error
  }
}

// Sets the sandbox key's allowlist and rate limit through the admin API, as an operator would.
async function applyPolicy (baseUrl, apiKey, policy) {
  const put = async (path, body) => {
    const res = await fetch(`${baseUrl}/admin/v1/keys/${apiKey}/${path}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body)
    })
    if (!res.ok) throw new Error(`admin PUT ${path}: HTTP ${res.status} ${await res.text()}`)
  }
  await put('ip-allowlist', { entries: policy.allowlist, mode: 'enforce' })
  await put('rate-limit', { per_minute: policy.perMinute })
}
