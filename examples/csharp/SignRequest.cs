// Sign requests to a Tijori gateway with the .NET base library only: create an order, then read its status.
//
//   export TIJORI_BASE_URL=http://127.0.0.1:8080 TIJORI_API_KEY=pk_test_... TIJORI_SECRET_KEY=sk_test_...
//   dotnet run -- [order_id]                       # in a console project holding this file (.NET 6 or later), or
//   mcs -r:System.Net.Http SignRequest.cs && mono SignRequest.exe [order_id]     # Mono 6
//
// The signing rules are in the README ("Signing requests").
using System;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;

public static class SignRequest
{
    /// <summary>KwikPaisa v3: hex HMAC-SHA256 of body + timestamp.</summary>
    public static string SignV1(string secret, string body, string timestamp) => HexHmac(secret, body + timestamp);

    /// <summary>v2, bound to the endpoint: hex HMAC-SHA256 of METHOD + path (with its query) + body + timestamp.</summary>
    public static string SignV2(string secret, string method, string path, string body, string timestamp) =>
        HexHmac(secret, method + path + body + timestamp);

    static string HexHmac(string secret, string message)
    {
        using (var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret)))
        {
            byte[] mac = hmac.ComputeHash(Encoding.UTF8.GetBytes(message));
            return BitConverter.ToString(mac).Replace("-", "").ToLowerInvariant(); // Convert.ToHexString on .NET 5+
        }
    }

    static readonly HttpClient Client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Sends body signed with a fresh timestamp; returns the HTTP status and the reply body.</summary>
    static async Task<(int Status, string Body)> Post(string path, string body, string version)
    {
        string timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(); // UNIX seconds, not milliseconds
        string secret = Environment.GetEnvironmentVariable("TIJORI_SECRET_KEY") ?? throw new InvalidOperationException("set TIJORI_SECRET_KEY");
        string baseUrl = Environment.GetEnvironmentVariable("TIJORI_BASE_URL") ?? "http://127.0.0.1:8080";
        var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + path)
        {
            // StringContent sends the string as UTF-8 without a byte order mark: the bytes that were signed
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Accept", "application/json");
        request.Headers.Add("X-API-KEY", Environment.GetEnvironmentVariable("TIJORI_API_KEY") ?? throw new InvalidOperationException("set TIJORI_API_KEY"));
        request.Headers.Add("X-TIMESTAMP", timestamp);
        if (version == "2")
        {
            request.Headers.Add("X-SIGNATURE", SignV2(secret, "POST", path, body, timestamp));
            request.Headers.Add("X-SIGNATURE-VERSION", "2");
        }
        else
        {
            request.Headers.Add("X-SIGNATURE", SignV1(secret, body, timestamp));
        }
        using (HttpResponseMessage reply = await Client.SendAsync(request)) // 4xx bodies carry error_code and request_id
        {
            string text = await reply.Content.ReadAsStringAsync();
            return ((int)reply.StatusCode, text);
        }
    }

    // --check, for the test suite: tab-separated lines on stdin, one signature a line on stdout.
    // v1 <secret> <timestamp> <body base64> | v2 <secret> <timestamp> <method> <path> <body base64>
    static void CheckVectors()
    {
        for (string line; (line = Console.In.ReadLine()) != null; )
        {
            string[] f = line.Split('\t');
            string body = Encoding.UTF8.GetString(Convert.FromBase64String(f[f.Length - 1]));
            Console.WriteLine(f[0] == "v1" ? SignV1(f[1], body, f[2]) : SignV2(f[1], f[3], f[4], body, f[2]));
        }
    }

    static async Task<int> Run(string orderId)
    {
        // The gateway's order_id alphabet needs no JSON escaping, so a template is safe here; build anything with
        // free text in it (order_note, customer) with System.Text.Json or your JSON library instead.
        if (!Regex.IsMatch(orderId, @"\A[A-Za-z0-9_.:/#-]{1,64}\z")) throw new ArgumentException("order_id: 1-64 of A-Z a-z 0-9 _ . : / # -");
        string order = "{\"order_id\":\"" + orderId + "\",\"order_amount\":\"105.00\",\"order_currency\":\"INR\",\"service_type\":\"DIGITAL\","
            + "\"customer\":{\"name\":\"Ajay\",\"email\":\"dev@example.com\",\"phone\":\"9816512345\"}}";
        var created = await Post("/api/v3/pg/order/create", order, "1");
        Console.WriteLine($"create: {created.Status} {created.Body}");
        var status = await Post("/api/v3/pg/order/status", "{\"order_id\":\"" + orderId + "\"}", "2");
        Console.WriteLine($"status: {status.Status} {status.Body}");
        return created.Status / 100 == 2 && status.Status / 100 == 2 ? 0 : 1;
    }

    public static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] == "--check")
        {
            CheckVectors();
            return 0;
        }
        return Run(args.Length > 0 ? args[0] : "demo-" + DateTimeOffset.UtcNow.ToUnixTimeSeconds()).GetAwaiter().GetResult();
    }
}
