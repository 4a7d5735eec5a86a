// Verify Tijori webhooks with the Go standard library only. Copy Verify into your service; in a net/http handler:
//
//	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20)) // the raw bytes, before any json.Unmarshal
//	if err == nil {
//		err = Verify(body, r.Header, os.Getenv("TIJORI_WEBHOOK_SECRET"), time.Now())
//	}
//	if err != nil {
//		http.Error(w, err.Error(), http.StatusBadRequest)
//		return
//	}
//	w.WriteHeader(http.StatusNoContent) // answer at once, then de-duplicate on event_id and do the work
//
// The guide is docs/webhooks.md. Go 1.19 or later.
//
//	go run ./verify-webhook --check < deliveries.tsv   # for the test suite, see checkDeliveries
package main

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

const toleranceSeconds = 300 // 5 minutes each way, as the Standard Webhooks libraries

var unixSeconds = regexp.MustCompile(`^[0-9]{1,12}$`)

// Verify returns nil if the delivery is genuine, and otherwise an error that says what to check.
// rawBody is the request body exactly as received; secret is the endpoint's signing secret, "whsec_...", whole.
func Verify(rawBody []byte, header http.Header, secret string, now time.Time) error {
	if !strings.HasPrefix(secret, "whsec_") {
		return errors.New("secret must be the endpoint's signing secret, 'whsec_...', whole")
	}
	var timestamp, expected string
	var candidates []string
	id := header.Get("webhook-id")
	if id != "" && header.Get("webhook-timestamp") != "" && header.Get("webhook-signature") != "" {
		// Standard Webhooks: key = base64-decoded secret after "whsec_", message = id.timestamp.body
		timestamp = header.Get("webhook-timestamp")
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil {
			return errors.New("secret must be the endpoint's signing secret, 'whsec_...', whole")
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + timestamp + "."))
		mac.Write(rawBody)
		expected = base64.StdEncoding.EncodeToString(mac.Sum(nil))
		// "v1,<base64>" entries separated by spaces: two while the secret is being rolled
		for _, entry := range strings.Fields(header.Get("webhook-signature")) {
			if strings.HasPrefix(entry, "v1,") {
				candidates = append(candidates, entry[3:])
			}
		}
	} else if header.Get("x-timestamp") != "" && (header.Get("x-webhook-signature") != "" || header.Get("x-signature") != "") {
		// KwikPaisa: key = the whole secret string, message = body + timestamp
		timestamp = header.Get("x-timestamp")
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(rawBody)
		mac.Write([]byte(timestamp))
		expected = hex.EncodeToString(mac.Sum(nil))
		signatures := header.Get("x-webhook-signature")
		if signatures == "" {
			signatures = header.Get("x-signature")
		}
		candidates = strings.Fields(strings.ToLower(signatures))
	} else {
		return errors.New("missing signature headers: pass the request headers unchanged")
	}

	if !unixSeconds.MatchString(timestamp) {
		if len(timestamp) == 13 {
			return errors.New("the timestamp must be UNIX time in seconds (13 digits: milliseconds?)")
		}
		return errors.New("the timestamp must be UNIX time in seconds")
	}
	seconds, _ := strconv.ParseInt(timestamp, 10, 64)
	if math.Abs(float64(now.Unix()-seconds)) > toleranceSeconds {
		return errors.New("timestamp outside the 5-minute tolerance: check this server's clock (NTP); an old delivery is a replay")
	}
	for _, candidate := range candidates {
		if hmac.Equal([]byte(expected), []byte(candidate)) { // constant time
			return nil
		}
	}
	return errors.New("no signature matches: verify the raw request body bytes (not re-serialised JSON) " +
		"with this endpoint's secret, in the right mode (sandbox or live)")
}

// checkDeliveries is --check, for the test suite: one delivery a line on stdin, tab-separated:
// <now, UNIX seconds> <secret> <body base64> <header: value>..., and one verdict a line on stdout.
// The exit status is 1 if any delivery was refused.
func checkDeliveries() int {
	refused := 0
	lines := bufio.NewScanner(os.Stdin)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	for lines.Scan() {
		f := strings.Split(lines.Text(), "\t")
		now, _ := strconv.ParseInt(f[0], 10, 64)
		body, _ := base64.StdEncoding.DecodeString(f[2])
		header := http.Header{}
		for _, field := range f[3:] {
			if name, value, ok := strings.Cut(field, ": "); ok {
				header.Add(name, value)
			}
		}
		if err := Verify(body, header, f[1], time.Unix(now, 0)); err != nil {
			refused++
			fmt.Println("refused:", err)
		} else {
			fmt.Println("ok")
		}
	}
	if refused > 0 {
		return 1
	}
	return 0
}

func main() {
	if len(os.Args) != 2 || os.Args[1] != "--check" {
		fmt.Fprintln(os.Stderr, "usage: verify-webhook --check < deliveries.tsv (copy Verify into your handler)")
		os.Exit(2)
	}
	os.Exit(checkDeliveries())
}
