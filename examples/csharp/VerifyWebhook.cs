// Verify Tijori webhooks with the .NET base library only. Copy Verify into your service; in ASP.NET Core, for example:
//
//   app.MapPost("/webhooks", async (HttpRequest request) =>
//   {
//       using var buffer = new MemoryStream();
//       await request.Body.CopyToAsync(buffer);                     // the raw bytes, before any model binding
//       var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString());
//       try { VerifyWebhook.Verify(buffer.ToArray(), headers, secret, DateTimeOffset.UtcNow); }
//       catch (WebhookVerificationException e) { return Results.BadRequest(e.Message); }
//       return Results.NoContent();                                 // answer at once, de-duplicate on event_id
//   });
//
// The guide is docs/webhooks.md.
//
//   mcs VerifyWebhook.cs && mono VerifyWebhook.exe --check < deliveries.tsv   # for the test suite, see CheckDeliveries
using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

public class WebhookVerificationException : Exception
{
    public WebhookVerificationException(string message) : base(message) { }
}

public static class VerifyWebhook
{
    const long ToleranceSeconds = 300; // 5 minutes each way, as the Standard Webhooks libraries

    /// <summary>Returns if the delivery is genuine; throws WebhookVerificationException, saying what to check, if not.</summary>
    /// <param name="rawBody">The request body bytes exactly as received (never a re-serialisation of the parsed JSON).</param>
    /// <param name="headers">The request headers, in any letter case.</param>
    /// <param name="secret">The endpoint's signing secret, "whsec_...", whole.</param>
    public static void Verify(byte[] rawBody, IDictionary<string, string> headers, string secret, DateTimeOffset now)
    {
        var h = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in headers) h[header.Key] = header.Value;
        Func<string, string> Get = name => h.TryGetValue(name, out string value) && value != "" ? value : null;
        if (!secret.StartsWith("whsec_", StringComparison.Ordinal))
            throw new ArgumentException("secret must be the endpoint's signing secret, 'whsec_...', whole");

        string timestamp, expected;
        string[] candidates;
        if (Get("webhook-id") != null && Get("webhook-timestamp") != null && Get("webhook-signature") != null)
        {
            // Standard Webhooks: key = base64-decoded secret after "whsec_", message = id.timestamp.body
            timestamp = Get("webhook-timestamp");
            byte[] key = Convert.FromBase64String(secret.Substring("whsec_".Length));
            byte[] message = Encoding.UTF8.GetBytes(Get("webhook-id") + "." + timestamp + ".").Concat(rawBody).ToArray();
            using (var hmac = new HMACSHA256(key)) expected = Convert.ToBase64String(hmac.ComputeHash(message));
            // "v1,<base64>" entries separated by spaces: two while the secret is being rolled
            candidates = Get("webhook-signature").Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries)
                .Where(entry => entry.StartsWith("v1,", StringComparison.Ordinal)).Select(entry => entry.Substring(3)).ToArray();
        }
        else if (Get("x-timestamp") != null && (Get("x-webhook-signature") ?? Get("x-signature")) != null)
        {
            // KwikPaisa: key = the whole secret string, message = body + timestamp
            timestamp = Get("x-timestamp");
            byte[] message = rawBody.Concat(Encoding.UTF8.GetBytes(timestamp)).ToArray();
            using (var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret)))
                expected = BitConverter.ToString(hmac.ComputeHash(message)).Replace("-", "").ToLowerInvariant();
            candidates = (Get("x-webhook-signature") ?? Get("x-signature")).ToLowerInvariant()
                .Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
        }
        else
        {
            throw new WebhookVerificationException("missing signature headers: pass the request headers unchanged");
        }

        if (!Regex.IsMatch(timestamp, @"\A[0-9]{1,12}\z"))
            throw new WebhookVerificationException(
                "the timestamp must be UNIX time in seconds" + (timestamp.Length == 13 ? " (13 digits: milliseconds?)" : ""));
        if (Math.Abs(now.ToUnixTimeSeconds() - long.Parse(timestamp)) > ToleranceSeconds)
            throw new WebhookVerificationException(
                "timestamp outside the 5-minute tolerance: check this server's clock (NTP); an old delivery is a replay");
        byte[] expectedBytes = Encoding.UTF8.GetBytes(expected);
        // FixedTimeEquals takes the same time wherever the first difference is
        if (candidates.Any(c => CryptographicOperations.FixedTimeEquals(expectedBytes, Encoding.UTF8.GetBytes(c)))) return;
        throw new WebhookVerificationException("no signature matches: verify the raw request body bytes (not re-serialised JSON) "
            + "with this endpoint's secret, in the right mode (sandbox or live)");
    }

    // --check, for the test suite: one delivery a line on stdin, tab-separated:
    // <now, UNIX seconds> <secret> <body base64> <header: value>..., and one verdict a line on stdout.
    // The exit status is 1 if any delivery was refused.
    static int CheckDeliveries()
    {
        int refused = 0;
        for (string line; (line = Console.In.ReadLine()) != null; )
        {
            string[] f = line.Split('\t');
            var headers = f.Skip(3).Select(field => field.Split(new[] { ": " }, 2, StringSplitOptions.None))
                .Where(pair => pair.Length == 2).ToDictionary(pair => pair[0], pair => pair[1]);
            try
            {
                Verify(Convert.FromBase64String(f[2]), headers, f[1], DateTimeOffset.FromUnixTimeSeconds(long.Parse(f[0])));
                Console.WriteLine("ok");
            }
            catch (WebhookVerificationException e)
            {
                refused++;
                Console.WriteLine("refused: " + e.Message);
            }
        }
        return refused > 0 ? 1 : 0;
    }

    public static int Main(string[] args)
    {
        if (args.Length != 1 || args[0] != "--check")
        {
            Console.Error.WriteLine("usage: mono VerifyWebhook.exe --check < deliveries.tsv (copy Verify into your service)");
            return 2;
        }
        return CheckDeliveries();
    }
}
