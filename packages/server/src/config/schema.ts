import type { Secret } from '../lib/secret.js';

/**
 * The one configuration schema. Units are in the names. Each key is set, in
 * rising precedence, by its default, the JSON file named by TIJORI_CONFIG_FILE,
 * then the environment (TIJORI_ + the key in UPPER_SNAKE, or the conventional
 * name in `env` where one exists).
 */
export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    port: { type: 'integer', minimum: 0, maximum: 65535, default: 8080, env: 'PORT', description: 'TCP port to listen on.' },
    host: { type: 'string', minLength: 1, default: '127.0.0.1', env: 'HOST', description: 'Interface to bind.' },
    dataDir: { type: 'string', minLength: 1, default: './.tijori', description: 'Embedded database, generated keys and sandbox credentials.' },
    databaseUrl: { type: 'string', pattern: '^postgres(ql)?://', env: 'DATABASE_URL', description: 'PostgreSQL URL; unset means the embedded PGlite database in dataDir.' },
    databasePoolMax: { type: 'integer', minimum: 1, maximum: 200, default: 10, description: 'PostgreSQL connections per process.' },
    databaseConcurrentBatches: { type: 'integer', minimum: 1, maximum: 200, default: 2, description: 'Multi-row order statements of each kind in flight at once; requests arriving meanwhile join the next batch.' },
    databaseConnectTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 60, default: 5, description: 'How long opening a PostgreSQL connection (TCP and start-up) may take before it counts as failed.' },
    databaseQueryTimeoutMs: { type: 'integer', minimum: 100, maximum: 600000, default: 10000, description: 'Longest a request waits for one PostgreSQL statement, or for a transaction to begin (a free connection included); then it is refused with 503 storage_unavailable. While PostgreSQL is down, requests fail at once, well inside it.' },
    masterKey: { type: 'string', pattern: '^[A-Za-z0-9+/]{43}=$', description: 'Base64 of 32 bytes: encrypts secrets at rest. Required with databaseUrl unless masterKeyFile is set.' },
    masterKeyFile: { type: 'string', minLength: 1, description: 'File holding the base64 master key (mode 0600).' },
    previousMasterKeys: { type: 'string', pattern: '^[A-Za-z0-9+/]{43}=(,[A-Za-z0-9+/]{43}=)*$', description: 'During a KEK rotation: comma-separated base64 master keys that data keys may still be wrapped with (unwrap only).' },
    kekProvider: { type: 'string', enum: ['local', 'pkcs11'], default: 'local', description: 'Where the key-encryption key lives: local (the master key) or pkcs11 (an HSM or SoftHSM2 token; the master key, if set, stays available for unwrapping during the move).' },
    pkcs11Module: { type: 'string', minLength: 1, description: 'Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so.' },
    pkcs11TokenLabel: { type: 'string', minLength: 1, maxLength: 32, description: 'Label of the token holding the KEK.' },
    pkcs11Pin: { type: 'string', minLength: 1, maxLength: 256, description: "The token's user PIN." },
    pkcs11KeyLabel: { type: 'string', pattern: '^[\\x21-\\x7e]{1,64}$', description: 'Label of the AES-256 KEK object in the token (new wraps use it).' },
    pkcs11PreviousKeyLabels: { type: 'string', pattern: '^([\\x21-\\x2b\\x2d-\\x7e]{1,64}(,[\\x21-\\x2b\\x2d-\\x7e]{1,64})*)?$', default: '', description: 'During a KEK rotation: comma-separated labels of older KEKs in the token (unwrap only).' },
    dataKeyCacheTtlMs: { type: 'integer', minimum: 1000, maximum: 3600000, default: 300000, description: 'How long an unwrapped data key stays in memory unused; bounds how late an erased merchant\'s key still opens data in another process if its notification is lost.' },
    adminToken: { type: 'string', minLength: 32, maxLength: 512, pattern: '^[\\x21-\\x7e]+$', description: 'Bearer token for the admin API (/admin/v1). The embedded default generates one into dataDir/admin-token; with DATABASE_URL and no token the admin API is off.' },
    mode: { type: 'string', enum: ['sandbox', 'production'], default: 'sandbox', description: 'production serves HTTPS only (TLS files or a TLS-terminating trusted proxy required, plain-HTTP requests refused, HSTS sent); sandbox also answers plain HTTP.' },
    tlsCertFile: { type: 'string', minLength: 1, env: 'TLS_CERT_FILE', description: 'PEM certificate chain: serve HTTPS (TLS 1.2 or later) here. Set together with tlsKeyFile.' },
    tlsKeyFile: { type: 'string', minLength: 1, env: 'TLS_KEY_FILE', description: 'PEM private key for tlsCertFile.' },
    trustedProxies: { type: 'string', default: '', description: 'Comma-separated IPs/CIDRs of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed; empty = the socket address is the client.' },
    keyRotationWarningDays: { type: 'integer', minimum: 1, maximum: 3650, default: 90, description: 'Keys whose secret is older than this keep working but every reply carries a Tijori-Key-Warning header.' },
    keyMaxAgeDays: { type: 'integer', minimum: 1, maximum: 3650, description: 'Optional hard expiry: keys whose secret is older than this are refused (expired_api_key).' },
    orderLifetimeSeconds: { type: 'integer', minimum: 60, maximum: 2592000, default: 1800, description: 'How long a new order waits for payment before it becomes EXPIRED.' },
    webhookTimeoutMs: { type: 'integer', minimum: 1000, maximum: 60000, default: 10000, description: 'How long a webhook receiver has to answer one attempt; no answer counts as a failure.' },
    webhookRetryScheduleSeconds: { type: 'string', pattern: '^\\s*[1-9][0-9]{0,6}\\s*(,\\s*[1-9][0-9]{0,6}\\s*){0,29}$', default: '5,300,1800,7200,18000,36000,36000,86400,86400', description: 'Seconds to wait after each failed webhook attempt before the next (each stretched by up to 20 % jitter); after the last, the delivery is failed.' },
    webhookConcurrency: { type: 'integer', minimum: 1, maximum: 1000, default: 50, description: 'Webhook attempts in flight at once per process.' },
    webhookConcurrencyPerEndpoint: { type: 'integer', minimum: 1, maximum: 1000, default: 5, description: 'Webhook attempts in flight at once for any one endpoint per process: a receiver that hangs holds at most this many slots, never all of them.' },
    webhookPollIntervalMs: { type: 'integer', minimum: 50, maximum: 60000, default: 1000, description: 'How often the dispatcher looks for due deliveries (a payment in this process wakes it at once).' },
    webhookDisableAfterFailingDays: { type: 'integer', minimum: 1, maximum: 60, default: 5, description: 'An endpoint whose attempts have all failed for this long is disabled.' },
    webhookDispatcherEnabled: { type: 'boolean', default: true, description: 'Run the webhook dispatcher in this process (any number of processes may).' },
    rateLimitsEnabled: { type: 'boolean', default: true, description: 'Per-key rate limits; turn off only when something in front of the gateway enforces them.' },
    rateLimitPerMinute: { type: 'integer', minimum: 1, maximum: 100000000, default: 6000, description: 'Default requests per minute per API key (a key may override it); bursts up to the same number.' },
    authFailuresPerMinutePerIp: { type: 'integer', minimum: 1, maximum: 100000000, default: 120, description: 'Failed authentications a client address may make per minute before it is refused (429) without further checks.' },
    redisUrl: { type: 'string', pattern: '^rediss?://', env: 'REDIS_URL', description: 'Redis URL; when set, rate limits and the replay store are shared by every process using it. The replay check fails closed: while Redis is unreachable, signed requests are refused (503).' },
    publicBaseUrl: { type: 'string', pattern: '^https?://[^/]+$', description: 'Origin merchants and customers reach this server at (payment links). Default http://host:port.' },
    logLevel: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', description: 'Log level.' },
    signatureToleranceSeconds: { type: 'integer', minimum: 1, maximum: 3600, default: 300, description: 'Allowed clock difference for X-TIMESTAMP, each way.' },
    bodyLimitBytes: { type: 'integer', minimum: 1024, maximum: 10485760, default: 65536, description: 'Largest accepted request body.' },
    requestTimeoutMs: { type: 'integer', minimum: 1000, maximum: 600000, default: 30000, description: 'How long a client may take to send one whole request, headers and body; a slower one (a slow-loris attack) is answered 408 and disconnected.' },
    keyCacheTtlMs: { type: 'integer', minimum: 0, maximum: 300000, default: 5000, description: 'How long a process trusts its cached copy of an API key (bounds how late a revocation takes effect).' },
    replayFallback: { type: 'string', enum: ['none', 'postgres'], default: 'none', description: 'What the replay check does while Redis (REDIS_URL) cannot answer: none refuses signed requests with 503; postgres records claims in PostgreSQL instead, accepting that a request accepted through Redis just before it failed could run once more within the signature tolerance.' },
    replayMaxEntries: { type: 'integer', minimum: 1000, default: 5000000, description: 'Signatures the in-process replay store remembers; beyond it new requests are refused (503) rather than risk a replay.' },
    auditEnabled: { type: 'boolean', default: true, description: 'Write the audit log. For benchmarking and comparison only: an operator has no reason to turn it off.' },
    auditFlushMs: { type: 'integer', minimum: 10, maximum: 60000, default: 1000, description: 'How often buffered audit records are written (sooner when 500 are waiting); a crash loses at most this long of them.' },
    alertsEnabled: { type: 'boolean', default: true, description: 'Run the anomaly rules (security alerts, stored, logged and sent as security.alert webhooks).' },
    alertSignatureFailures: { type: 'integer', minimum: 2, maximum: 1000000, default: 10, description: 'Failed signatures for one API key within alertSignatureFailureWindowSeconds that raise signature_failures (counted across processes when REDIS_URL is set).' },
    alertSignatureFailureWindowSeconds: { type: 'integer', minimum: 1, maximum: 86400, default: 300, description: 'The window for alertSignatureFailures.' },
    alertRepeatSeconds: { type: 'integer', minimum: 60, maximum: 604800, default: 3600, description: 'A repeating anomaly (same rule, key and address) raises at most one alert per this many seconds; repeats add to its occurrences.' },
    alertNewAddress: { type: 'boolean', default: true, description: 'Raise new_address when a key is used successfully from an address it never was (the first address is the baseline).' },
    alertRateSpikeFactor: { type: 'integer', minimum: 2, maximum: 1000, default: 5, description: "request_rate_spike: a merchant's requests in one minute at least this many times its average over alertRateBaselineMinutes..." },
    alertRateSpikeMinPerMinute: { type: 'integer', minimum: 1, maximum: 100000000, default: 300, description: '...and at least this many (per gateway process).' },
    alertRateBaselineMinutes: { type: 'integer', minimum: 1, maximum: 1440, default: 15, description: 'Minutes of traffic the request-rate baseline averages (a process raises no rate alert before it has watched this long).' },
    metricsPort: { type: 'integer', minimum: 0, maximum: 65535, description: 'Serve GET /metrics without authentication on this port (bound to metricsHost) instead of behind the admin token on the main port; 0 picks a free port.' },
    metricsHost: { type: 'string', minLength: 1, default: '127.0.0.1', description: 'Interface the metrics port binds to.' },
    dashboardOrigins: { type: 'string', default: '', description: 'Comma-separated origins (scheme://host[:port]) the dashboard API accepts requests and state changes from, with CORS credentials; empty = the publicBaseUrl origin only.' },
    dashboardSignUpEnabled: { type: 'boolean', default: true, description: 'Let anyone create a merchant and its owner account at POST /dashboard/api/sign-up; off, accounts are added by owners only.' },
    dashboardSessionIdleSeconds: { type: 'integer', minimum: 60, maximum: 86400, default: 1800, description: 'A dashboard session unused for this long ends.' },
    dashboardSessionAbsoluteSeconds: { type: 'integer', minimum: 300, maximum: 604800, default: 43200, description: 'A dashboard session ends this long after sign-in, however active.' },
    dashboardSignInFailuresPerHourPerIp: { type: 'integer', minimum: 1, maximum: 1000000, default: 100, description: 'Failed dashboard sign-ins (passwords and codes) a client address may make per hour before it is refused (429).' },
    dashboardArgon2MemoryKib: { type: 'integer', minimum: 1024, maximum: 4194304, default: 19456, description: 'argon2id memory per password hash, in KiB (OWASP minimum 19456); existing hashes keep their own parameters.' },
    dashboardArgon2Iterations: { type: 'integer', minimum: 1, maximum: 100, default: 2, description: 'argon2id passes per password hash.' },
    shutdownGraceMs: { type: 'integer', minimum: 0, maximum: 600000, default: 10000, description: 'How long SIGTERM waits for in-flight requests.' },
  },
} as const;

type Props = typeof CONFIG_SCHEMA.properties;
type ValueOf<P> = P extends { type: 'integer' } ? number : P extends { type: 'boolean' } ? boolean : P extends { enum: readonly (infer E)[] } ? E : string;
type WithDefault = { [K in keyof Props]: Props[K] extends { default: unknown } ? K : never }[keyof Props];

type Plain = { [K in WithDefault]: ValueOf<Props[K]> } & { [K in Exclude<keyof Props, WithDefault>]?: ValueOf<Props[K]> };

/** The validated settings. The master keys, admin token and PKCS#11 PIN are wrapped so that logging the config cannot leak them. */
export type Config = Readonly<
  Omit<Plain, 'masterKey' | 'adminToken' | 'previousMasterKeys' | 'pkcs11Pin'> & {
    masterKey?: Secret<string>;
    adminToken?: Secret<string>;
    previousMasterKeys?: Secret<string>;
    pkcs11Pin?: Secret<string>;
  }
>;
