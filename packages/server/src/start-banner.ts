/**
 * What a newcomer sees on start: where the sandbox credentials are and a
 * request they can paste, signed with openssl. The secret itself is read from
 * the file by the command, never printed.
 */
export function startBanner(baseUrl: string, credentialsFile: string | undefined): string {
  const lines = [`Tijori is listening on ${baseUrl}  (API reference: ${baseUrl}/docs)`];
  if (credentialsFile) {
    lines.push(
      `Sandbox merchant created. Credentials (mode 0600): ${credentialsFile}`,
      'Try a signed request:',
      '',
      `  CREDS=${credentialsFile}`,
      `  KEY=$(node -p "require('$CREDS').api_key"); SECRET=$(node -p "require('$CREDS').secret_key")`,
      `  BODY='{"order_id":"demo-'$(date +%s)'","order_amount":"105.00","order_currency":"INR","service_type":"DIGITAL","customer":{"name":"Ajay","email":"dev@example.com","phone":"9816512345"}}'`,
      `  TS=$(date +%s)`,
      `  SIG=$(printf '%s%s' "$BODY" "$TS" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //')`,
      `  curl -sS ${baseUrl}/api/v3/pg/order/create -H 'Content-Type: application/json' -H 'Accept: application/json' \\`,
      `    -H "X-API-KEY: $KEY" -H "X-TIMESTAMP: $TS" -H "X-SIGNATURE: $SIG" --data "$BODY"`,
      '',
    );
  }
  return lines.join('\n') + '\n';
}
