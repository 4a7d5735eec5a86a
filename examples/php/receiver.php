<?php
/*
 * Receive and verify Tijori webhooks in plain PHP (7.4 or later, no extensions beyond the defaults).
 *
 *   TIJORI_WEBHOOK_SECRET='whsec_...' php -S localhost:8000 receiver.php   # a receiver on http://localhost:8000
 *   php receiver.php --verify < deliveries.jsonl                            # checks saved deliveries, one JSON object a line:
 *                                                                           # {"body_base64": ..., "headers": {...}, "secret": "whsec_...", "now"?: unix seconds}
 *
 * Behind a web server, route the webhook URL to this file. The guide is docs/webhooks.md.
 */

// [verify]
const TIJORI_TOLERANCE_SECONDS = 300; // 5 minutes each way, as the Standard Webhooks libraries

class TijoriWebhookVerificationError extends Exception {}

/**
 * Returns the event (decoded JSON) if the delivery is genuine; throws TijoriWebhookVerificationError if not.
 *
 * $rawBody: the request body exactly as received: file_get_contents('php://input'), never json_encode of the parsed body.
 * $headers: the request headers, name => value, in any letter case (getallheaders()).
 * $secret:  the endpoint's signing secret, "whsec_...", whole.
 * $now:     UNIX seconds; the system clock unless given (tests pass a fixed time).
 */
function tijori_verify_webhook(string $rawBody, array $headers, string $secret, ?int $now = null): array
{
    $h = array_change_key_case($headers, CASE_LOWER);
    if (strpos($secret, 'whsec_') !== 0) {
        throw new InvalidArgumentException("secret must be the endpoint's signing secret, 'whsec_...', whole");
    }

    if (!empty($h['webhook-id']) && !empty($h['webhook-timestamp']) && !empty($h['webhook-signature'])) {
        // Standard Webhooks: key = base64-decoded secret after "whsec_", message = id.timestamp.body
        $timestamp = $h['webhook-timestamp'];
        $key = base64_decode(substr($secret, strlen('whsec_')), true);
        $expected = base64_encode(hash_hmac('sha256', $h['webhook-id'] . '.' . $timestamp . '.' . $rawBody, $key, true));
        // "v1,<base64>" entries separated by spaces: two while the secret is being rolled
        $candidates = [];
        foreach (explode(' ', $h['webhook-signature']) as $entry) {
            if (strpos($entry, 'v1,') === 0) {
                $candidates[] = substr($entry, 3);
            }
        }
    } elseif (!empty($h['x-timestamp']) && (!empty($h['x-webhook-signature']) || !empty($h['x-signature']))) {
        // KwikPaisa: key = the whole secret string, message = body + timestamp
        $timestamp = $h['x-timestamp'];
        $expected = hash_hmac('sha256', $rawBody . $timestamp, $secret);
        $candidates = explode(' ', strtolower(!empty($h['x-webhook-signature']) ? $h['x-webhook-signature'] : $h['x-signature']));
    } else {
        throw new TijoriWebhookVerificationError('missing signature headers: pass the request headers unchanged');
    }

    if (!preg_match('/\A[0-9]{1,12}\z/', $timestamp)) { // \z, not $: $ would allow a trailing newline
        $hint = strlen($timestamp) === 13 ? ' (13 digits: milliseconds?)' : '';
        throw new TijoriWebhookVerificationError('the timestamp must be UNIX time in seconds' . $hint);
    }
    if (abs(($now ?? time()) - (int) $timestamp) > TIJORI_TOLERANCE_SECONDS) {
        throw new TijoriWebhookVerificationError(
            "timestamp outside the 5-minute tolerance: check this server's clock (NTP); an old delivery is a replay");
    }
    foreach ($candidates as $candidate) {
        if (hash_equals($expected, $candidate)) {
            return json_decode($rawBody, true, 512, JSON_THROW_ON_ERROR);
        }
    }
    throw new TijoriWebhookVerificationError(
        'no signature matches: verify the raw request body bytes (not re-serialised JSON) '
        . "with this endpoint's secret, in the right mode (sandbox or live)");
}
// [/verify]

/** --verify: one verdict a line on stdout; exit status 1 if any delivery was refused. */
function tijori_check_saved_deliveries(): int
{
    $refused = 0;
    while (($line = fgets(STDIN)) !== false) {
        if (trim($line) === '') {
            continue;
        }
        $delivery = json_decode($line, true, 512, JSON_THROW_ON_ERROR);
        try {
            $event = tijori_verify_webhook(
                base64_decode($delivery['body_base64'], true), $delivery['headers'], $delivery['secret'], $delivery['now'] ?? null);
            echo json_encode(['ok' => true, 'event_id' => $event['event_id'] ?? null]), "\n";
        } catch (TijoriWebhookVerificationError $error) {
            $refused++;
            echo json_encode(['ok' => false, 'error' => $error->getMessage()]), "\n";
        }
    }
    return $refused > 0 ? 1 : 0;
}

if (PHP_SAPI === 'cli') {
    if (($argv[1] ?? '') === '--verify') {
        exit(tijori_check_saved_deliveries());
    }
    fwrite(STDERR, "usage: TIJORI_WEBHOOK_SECRET='whsec_...' php -S localhost:8000 receiver.php\n"
        . "       php receiver.php --verify < deliveries.jsonl\n");
    exit(2);
}

// Serving a request (php -S, PHP-FPM, mod_php).
if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    http_response_code(405);
    exit;
}
try {
    $event = tijori_verify_webhook(file_get_contents('php://input'), getallheaders(), (string) getenv('TIJORI_WEBHOOK_SECRET'));
} catch (TijoriWebhookVerificationError $error) {
    http_response_code(400);
    echo $error->getMessage();
    exit;
}

// Deliveries are at least once: the same event_id (= webhook-id) can arrive again. Creating a file named after it
// with mode 'x' succeeds only the first time, even across processes; in production, use a unique index instead.
$seenDir = sys_get_temp_dir() . '/tijori-webhooks-seen';
@mkdir($seenDir, 0700);
$firstTime = preg_match('/\A[A-Za-z0-9_]+\z/', $event['event_id']) && ($f = @fopen("$seenDir/{$event['event_id']}", 'x')) !== false;
if ($firstTime) {
    fclose($f);
    // Queue the work (a jobs table, Redis, ...) instead of doing it here; a worker should ask the order status
    // API for the order's state before fulfilling: it is the source of truth.
    file_put_contents(sys_get_temp_dir() . '/tijori-webhooks-queue.jsonl', json_encode($event) . "\n", FILE_APPEND | LOCK_EX);
}
http_response_code(204); // answer at once: the gateway waits 10 s at most
