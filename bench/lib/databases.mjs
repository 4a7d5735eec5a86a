// Fresh PostgreSQL databases for each case, so no case inherits another's rows,
// bloat or cache, and a re-run never meets the last run's order ids.
import postgres from 'postgres'

export const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres'

export function databaseUrl (name) {
  return `postgres://postgres@127.0.0.1:5432/${name}`
}

function adminConnection () {
  return postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 })
}

export async function recreateDatabase (name) {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name ${name}`)
  const sql = adminConnection()
  try {
    // WITH (FORCE) (PostgreSQL 13+) ends sessions a killed server may have left behind.
    await sql.unsafe(`drop database if exists ${name} with (force)`)
    await sql.unsafe(`create database ${name}`)
    // Flush the previous case's dirty pages now, so the checkpointer does not
    // compete with this case for the two cores.
    await sql.unsafe('checkpoint')
  } finally {
    await sql.end({ timeout: 5 })
  }
}

export async function postgresVersion () {
  const sql = adminConnection()
  try {
    const [row] = await sql`select version() as version`
    return row.version
  } finally {
    await sql.end({ timeout: 5 })
  }
}
