// Sign requests to a Tijori gateway with the JDK only (17 or later): create an order, then read its status.
//
//   export TIJORI_BASE_URL=http://127.0.0.1:8080 TIJORI_API_KEY=pk_test_... TIJORI_SECRET_KEY=sk_test_...
//   java SignRequest.java [order_id]
//
// The signing rules are in the README ("Signing requests").

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public final class SignRequest {
    /** KwikPaisa v3: hex HMAC-SHA256 of body + timestamp. */
    static String signV1(String secret, String body, String timestamp) throws GeneralSecurityException {
        return hexHmac(secret, body + timestamp);
    }

    /** v2, bound to the endpoint: hex HMAC-SHA256 of METHOD + path (with its query) + body + timestamp. */
    static String signV2(String secret, String method, String path, String body, String timestamp) throws GeneralSecurityException {
        return hexHmac(secret, method + path + body + timestamp);
    }

    private static String hexHmac(String secret, String message) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
    }

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** Sends body signed with a fresh timestamp; returns the reply, whatever its status (4xx bodies carry error_code). */
    static HttpResponse<String> post(String path, String body, String version) throws Exception {
        String timestamp = Long.toString(Instant.now().getEpochSecond()); // UNIX seconds, not milliseconds
        String secret = Objects.requireNonNull(System.getenv("TIJORI_SECRET_KEY"), "set TIJORI_SECRET_KEY");
        String base = Objects.requireNonNullElse(System.getenv("TIJORI_BASE_URL"), "http://127.0.0.1:8080");
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .header("X-API-KEY", Objects.requireNonNull(System.getenv("TIJORI_API_KEY"), "set TIJORI_API_KEY"))
                .header("X-TIMESTAMP", timestamp)
                // ofString sends the string as UTF-8: the bytes that were signed
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (version.equals("2")) {
            request.header("X-SIGNATURE", signV2(secret, "POST", path, body, timestamp)).header("X-SIGNATURE-VERSION", "2");
        } else {
            request.header("X-SIGNATURE", signV1(secret, body, timestamp));
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    // --check, for the test suite: tab-separated lines on stdin, one signature a line on stdout.
    // v1 <secret> <timestamp> <body base64> | v2 <secret> <timestamp> <method> <path> <body base64>
    static void checkVectors() throws IOException, GeneralSecurityException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.split("\t", -1);
            String body = new String(Base64.getDecoder().decode(f[f.length - 1]), StandardCharsets.UTF_8);
            System.out.println(f[0].equals("v1") ? signV1(f[1], body, f[2]) : signV2(f[1], f[3], f[4], body, f[2]));
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("--check")) {
            checkVectors();
            return;
        }
        String orderId = args.length > 0 ? args[0] : "demo-" + Instant.now().getEpochSecond();
        // The gateway's order_id alphabet needs no JSON escaping, so a template is safe here; build anything with
        // free text in it (order_note, customer) with your JSON library (Jackson, Gson) instead.
        if (!orderId.matches("[A-Za-z0-9_.:/#-]{1,64}")) throw new IllegalArgumentException("order_id: 1-64 of A-Z a-z 0-9 _ . : / # -");
        String order = """
                {"order_id":"%s","order_amount":"105.00","order_currency":"INR","service_type":"DIGITAL",\
                "customer":{"name":"Ajay","email":"dev@example.com","phone":"9816512345"}}""".formatted(orderId);
        HttpResponse<String> created = post("/api/v3/pg/order/create", order, "1");
        System.out.println("create: " + created.statusCode() + " " + created.body());
        HttpResponse<String> status = post("/api/v3/pg/order/status", "{\"order_id\":\"%s\"}".formatted(orderId), "2");
        System.out.println("status: " + status.statusCode() + " " + status.body());
        boolean ok = created.statusCode() / 100 == 2 && status.statusCode() / 100 == 2;
        System.exit(ok ? 0 : 1);
    }
}
