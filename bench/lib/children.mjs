// Every process the bench starts, and the guarantee that none outlives it.
// Each child leads its own process group (detached), so stopping it by
// -pid also stops anything it spawned, and only what we spawned.
import { fork, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'

const live = new Set()
// Set once the bench is shutting down: from then on nothing new may start.
let stopping = false

function refuseWhenStopping (name) {
  if (stopping) throw new Error(`not starting ${name}: the bench is stopping`)
}

function track (child, name) {
  child.benchName = name
  live.add(child)
  child.once('exit', () => live.delete(child))
  return child
}

function signalGroup (child, signal) {
  try {
    process.kill(-child.pid, signal)
  } catch (error) {
    if (error.code !== 'ESRCH') throw error
  }
}

// A server child; its stdout and stderr go to logFile so a failure can show them.
export function startProcess ({ name, command, args, env, cwd, logFile }) {
  refuseWhenStopping(name)
  const log = createWriteStream(logFile, { flags: 'a' })
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.pipe(log)
  child.stderr.pipe(log)
  child.logFile = logFile
  return track(child, name)
}

// A Node child with an IPC channel (the load generator).
export function forkProcess ({ name, modulePath, env, cwd }) {
  refuseWhenStopping(name)
  const child = fork(modulePath, [], { cwd, env, detached: true, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return track(child, name)
}

export function hasExited (child) {
  return child.exitCode !== null || child.signalCode !== null
}

// SIGTERM, then SIGKILL after graceMs: a server that will not shut down still goes.
export async function stopProcess (child, graceMs = 5000) {
  if (hasExited(child)) {
    signalGroup(child, 'SIGKILL') // anything it left behind in its group
    return
  }
  const exited = new Promise(resolve => child.once('exit', resolve))
  signalGroup(child, 'SIGTERM')
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
  signalGroup(child, 'SIGKILL')
}

export async function stopAll () {
  await Promise.all([...live].map(child => stopProcess(child)))
}

// Last resort when the bench itself is ending: synchronous, so it works in 'exit'.
function killAllNow () {
  for (const child of live) signalGroup(child, 'SIGKILL')
}

export function installExitHandlers () {
  process.once('exit', killAllNow)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, async () => {
      stopping = true
      console.error(`\nbench: ${signal}, stopping ${live.size} child process(es)`)
      await stopAll()
      process.exit(130)
    })
  }
}

export function liveCount () {
  return live.size
}
