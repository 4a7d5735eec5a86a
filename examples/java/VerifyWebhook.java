// Verify Tijori webhooks with the JDK only (17 or later). Copy verify() into your service; in Spring, for example:
//
//   @PostMapping("/webhooks")
//   ResponseEntity<String> receive(@RequestBody byte[] rawBody, @RequestHeader Map<String, String> headers) {
//       try { VerifyWebhook.verify(rawBody, headers, secret, Instant.now()); }        // the raw bytes, not a DTO
//       catch (VerifyWebhook.VerificationException e) { return ResponseEntity.badRequest().body(e.getMessage()); }
//       ...                                             // de-duplicate on event_id, queue the work
//       return ResponseEntity.noContent().build();      // answer at once: the gateway waits 10 s at most
//   }
//
// The guide is docs/webhooks.md.
//
//   java VerifyWebhook.java --check < deliveries.tsv   # for the test suite, see checkDeliveries

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public final class VerifyWebhook {
    static final long TOLERANCE_SECONDS = 300; // 5 minutes each way, as the Standard Webhooks libraries

    public static final class VerificationException extends Exception {
        VerificationException(String message) {
            super(message);
        }
    }

    /**
     * Returns if the delivery is genuine; throws VerificationException, saying what to check, if not.
     *
     * @param rawBody the request body bytes exactly as received (never your JSON library's re-serialisation)
     * @param headers the request headers, in any letter case
     * @param secret  the endpoint's signing secret, "whsec_...", whole
     */
    public static void verify(byte[] rawBody, Map<String, String> headers, String secret, Instant now)
            throws VerificationException, GeneralSecurityException {
        Map<String, String> h = new HashMap<>();
        headers.forEach((name, value) -> h.put(name.toLowerCase(Locale.ROOT), value));
        if (!secret.startsWith("whsec_")) {
            throw new IllegalArgumentException("secret must be the endpoint's signing secret, 'whsec_...', whole");
        }

        String timestamp;
        String expected;
        List<String> candidates = new ArrayList<>();
        if (present(h, "webhook-id") && present(h, "webhook-timestamp") && present(h, "webhook-signature")) {
            // Standard Webhooks: key = base64-decoded secret after "whsec_", message = id.timestamp.body
            timestamp = h.get("webhook-timestamp");
            byte[] key = Base64.getDecoder().decode(secret.substring("whsec_".length()));
            byte[] prefix = (h.get("webhook-id") + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8);
            expected = Base64.getEncoder().encodeToString(hmac(key, prefix, rawBody));
            // "v1,<base64>" entries separated by spaces: two while the secret is being rolled
            for (String entry : h.get("webhook-signature").trim().split(" +")) {
                if (entry.startsWith("v1,")) candidates.add(entry.substring(3));
            }
        } else if (present(h, "x-timestamp") && (present(h, "x-webhook-signature") || present(h, "x-signature"))) {
            // KwikPaisa: key = the whole secret string, message = body + timestamp
            timestamp = h.get("x-timestamp");
            byte[] key = secret.getBytes(StandardCharsets.UTF_8);
            expected = HexFormat.of().formatHex(hmac(key, rawBody, timestamp.getBytes(StandardCharsets.UTF_8)));
            String signatures = present(h, "x-webhook-signature") ? h.get("x-webhook-signature") : h.get("x-signature");
            candidates = List.of(signatures.trim().toLowerCase(Locale.ROOT).split(" +"));
        } else {
            throw new VerificationException("missing signature headers: pass the request headers unchanged");
        }

        if (!timestamp.matches("[0-9]{1,12}")) {
            String hint = timestamp.length() == 13 ? " (13 digits: milliseconds?)" : "";
            throw new VerificationException("the timestamp must be UNIX time in seconds" + hint);
        }
        if (Math.abs(now.getEpochSecond() - Long.parseLong(timestamp)) > TOLERANCE_SECONDS) {
            throw new VerificationException(
                    "timestamp outside the 5-minute tolerance: check this server's clock (NTP); an old delivery is a replay");
        }
        for (String candidate : candidates) {
            // MessageDigest.isEqual takes the same time wherever the first difference is
            if (MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), candidate.getBytes(StandardCharsets.UTF_8))) return;
        }
        throw new VerificationException("no signature matches: verify the raw request body bytes (not re-serialised JSON) "
                + "with this endpoint's secret, in the right mode (sandbox or live)");
    }

    private static boolean present(Map<String, String> h, String name) {
        return h.get(name) != null && !h.get(name).isEmpty();
    }

    private static byte[] hmac(byte[] key, byte[]... parts) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        for (byte[] part : parts) mac.update(part);
        return mac.doFinal();
    }

    // --check, for the test suite: one delivery a line on stdin, tab-separated:
    // <now, UNIX seconds> <secret> <body base64> <header: value>..., and one verdict a line on stdout.
    // The exit status is 1 if any delivery was refused.
    static int checkDeliveries() throws Exception {
        int refused = 0;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.split("\t", -1);
            Map<String, String> headers = new HashMap<>();
            for (int i = 3; i < f.length; i++) {
                int colon = f[i].indexOf(": ");
                if (colon > 0) headers.put(f[i].substring(0, colon), f[i].substring(colon + 2));
            }
            try {
                verify(Base64.getDecoder().decode(f[2]), headers, f[1], Instant.ofEpochSecond(Long.parseLong(f[0])));
                System.out.println("ok");
            } catch (VerificationException e) {
                refused++;
                System.out.println("refused: " + e.getMessage());
            }
        }
        return refused > 0 ? 1 : 0;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1 || !args[0].equals("--check")) {
            System.err.println("usage: java VerifyWebhook.java --check < deliveries.tsv (copy verify() into your service)");
            System.exit(2);
        }
        System.exit(checkDeliveries());
    }
}
