// Sign requests to a Tijori gateway with the Go standard library only: create an order, then read its status.
//
//	export TIJORI_BASE_URL=http://127.0.0.1:8080 TIJORI_API_KEY=pk_test_... TIJORI_SECRET_KEY=sk_test_...
//	go run ./sign-request [order_id]
//
// Go 1.19 or later. The signing rules are in the README ("Signing requests").
package main

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func hexHMAC(secret string, parts ...[]byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	for _, part := range parts {
		mac.Write(part)
	}
	return hex.EncodeToString(mac.Sum(nil))
}

// SignV1 is KwikPaisa v3: hex HMAC-SHA256 of body + timestamp.
func SignV1(secret string, body []byte, timestamp string) string {
	return hexHMAC(secret, body, []byte(timestamp))
}

// SignV2 is bound to the endpoint: hex HMAC-SHA256 of METHOD + path (with its query) + body + timestamp.
func SignV2(secret, method, path string, body []byte, timestamp string) string {
	return hexHMAC(secret, []byte(method+path), body, []byte(timestamp))
}

// post sends payload signed with a fresh timestamp and returns the HTTP status and the reply body.
func post(client *http.Client, path string, payload any, version string) (int, string, error) {
	body, err := json.Marshal(payload) // sign these bytes and send these bytes, never a re-encoding
	if err != nil {
		return 0, "", err
	}
	timestamp := strconv.FormatInt(time.Now().Unix(), 10) // UNIX seconds, not milliseconds
	base := os.Getenv("TIJORI_BASE_URL")
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	req, err := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-API-KEY", os.Getenv("TIJORI_API_KEY"))
	req.Header.Set("X-TIMESTAMP", timestamp)
	secret := os.Getenv("TIJORI_SECRET_KEY")
	if version == "2" {
		req.Header.Set("X-SIGNATURE", SignV2(secret, http.MethodPost, path, body, timestamp))
		req.Header.Set("X-SIGNATURE-VERSION", "2")
	} else {
		req.Header.Set("X-SIGNATURE", SignV1(secret, body, timestamp))
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	reply, err := io.ReadAll(res.Body) // 4xx and 5xx bodies carry error_code and request_id
	return res.StatusCode, string(reply), err
}

// checkVectors is --check, for the test suite: tab-separated lines on stdin, one signature a line on stdout.
// v1 <secret> <timestamp> <body base64> | v2 <secret> <timestamp> <method> <path> <body base64>
func checkVectors() error {
	lines := bufio.NewScanner(os.Stdin)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	for lines.Scan() {
		f := strings.Split(lines.Text(), "\t")
		body, err := base64.StdEncoding.DecodeString(f[len(f)-1])
		if err != nil {
			return err
		}
		if f[0] == "v1" {
			fmt.Println(SignV1(f[1], body, f[2]))
		} else {
			fmt.Println(SignV2(f[1], f[3], f[4], body, f[2]))
		}
	}
	return lines.Err()
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "--check" {
		if err := checkVectors(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		return
	}
	orderID := fmt.Sprintf("demo-%d", time.Now().Unix())
	if len(os.Args) > 1 {
		orderID = os.Args[1]
	}
	order := map[string]any{
		"order_id": orderID, "order_amount": "105.00", "order_currency": "INR", "service_type": "DIGITAL",
		"customer": map[string]string{"name": "Ajay", "email": "dev@example.com", "phone": "9816512345"},
	}
	client := &http.Client{Timeout: 30 * time.Second}
	failed := false
	for _, call := range []struct {
		name, path, version string
		payload             any
	}{
		{"create", "/api/v3/pg/order/create", "1", order},
		{"status", "/api/v3/pg/order/status", "2", map[string]string{"order_id": orderID}},
	} {
		status, reply, err := post(client, call.path, call.payload, call.version)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", call.name, err)
			os.Exit(1)
		}
		fmt.Printf("%s: %d %s\n", call.name, status, reply)
		failed = failed || status < 200 || status >= 300
	}
	if failed {
		os.Exit(1)
	}
}
