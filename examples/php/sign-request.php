<?php
/*
 * Sign requests to a Tijori gateway in plain PHP (7.4 or later, no extensions beyond the defaults: hash_hmac, and
 * an HTTP stream rather than curl, which Debian ships apart as php-curl): create an order, then read its status.
 *
 *   export TIJORI_BASE_URL=http://127.0.0.1:8080 TIJORI_API_KEY=pk_test_... TIJORI_SECRET_KEY=sk_test_...
 *   php sign-request.php [order_id]
 *
 * The signing rules are in the README ("Signing requests").
 */

/** KwikPaisa v3: hex HMAC-SHA256 of body + timestamp. */
function tijori_sign_v1(string $secret, string $body, string $timestamp): string
{
    return hash_hmac('sha256', $body . $timestamp, $secret);
}

/** v2, bound to the endpoint: hex HMAC-SHA256 of METHOD + path (with its query) + body + timestamp. */
function tijori_sign_v2(string $secret, string $method, string $path, string $body, string $timestamp): string
{
    return hash_hmac('sha256', $method . $path . $body . $timestamp, $secret);
}

/** Sends $payload signed with a fresh timestamp; returns [HTTP status, reply body]. */
function tijori_post(string $path, array $payload, string $version = '2'): array
{
    // Sign these bytes and send these bytes, never a re-encoding.
    $body = json_encode($payload, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
    $timestamp = (string) time(); // UNIX seconds, not milliseconds
    $secret = getenv('TIJORI_SECRET_KEY');
    $headers = [
        'Content-Type: application/json',
        'Accept: application/json',
        'X-API-KEY: ' . getenv('TIJORI_API_KEY'),
        'X-TIMESTAMP: ' . $timestamp,
    ];
    if ($version === '2') {
        $headers[] = 'X-SIGNATURE: ' . tijori_sign_v2($secret, 'POST', $path, $body, $timestamp);
        $headers[] = 'X-SIGNATURE-VERSION: 2';
    } else {
        $headers[] = 'X-SIGNATURE: ' . tijori_sign_v1($secret, $body, $timestamp);
    }
    $base = getenv('TIJORI_BASE_URL') ?: 'http://127.0.0.1:8080';
    $context = stream_context_create(['http' => [
        'method' => 'POST',
        'header' => implode("\r\n", $headers),
        'content' => $body,
        'ignore_errors' => true, // return 4xx and 5xx bodies too: they carry error_code and request_id
        'timeout' => 30,
    ]]);
    $reply = file_get_contents($base . $path, false, $context);
    // $http_response_header is set by file_get_contents; its first line is "HTTP/1.1 200 OK".
    preg_match('{\AHTTP/\S+ (\d{3})}', $http_response_header[0] ?? '', $m);
    return [(int) ($m[1] ?? 0), (string) $reply];
}

/**
 * --check, for the test suite: tab-separated lines on stdin, one signature a line on stdout.
 * v1 <secret> <timestamp> <body base64> | v2 <secret> <timestamp> <method> <path> <body base64>
 */
function tijori_check_vectors(): void
{
    while (($line = fgets(STDIN)) !== false) {
        $f = explode("\t", rtrim($line, "\n"));
        echo $f[0] === 'v1'
            ? tijori_sign_v1($f[1], base64_decode($f[3], true), $f[2])
            : tijori_sign_v2($f[1], $f[3], $f[4], base64_decode($f[5], true), $f[2]), "\n";
    }
}

if (($argv[1] ?? '') === '--check') {
    tijori_check_vectors();
    exit(0);
}
$orderId = $argv[1] ?? 'demo-' . time();
$order = [
    'order_id' => $orderId, 'order_amount' => '105.00', 'order_currency' => 'INR', 'service_type' => 'DIGITAL',
    'customer' => ['name' => 'Ajay', 'email' => 'dev@example.com', 'phone' => '9816512345'],
];
$replies = [
    'create' => tijori_post('/api/v3/pg/order/create', $order, '1'),
    'status' => tijori_post('/api/v3/pg/order/status', ['order_id' => $orderId]),
];
$failed = false;
foreach ($replies as $name => [$status, $text]) {
    echo "$name: $status $text\n";
    $failed = $failed || $status < 200 || $status >= 300;
}
exit($failed ? 1 : 0);
