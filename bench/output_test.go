package bench

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

func sampleResult() *Result {
	return &Result{Network: "udp", Addr: "127.0.0.1:9001", Framing: "raw", Conns: 2, Depth: 1, Sizes: "64",
		Seconds: 2, Messages: 1000, Bytes: 64000, MsgsPerSec: 500, MBPerSec: 0.032,
		Latency: Latency{P50: 10, P90: 20, P99: 30, P999: 40, Max: 50, Mean: 12},
		UDP:     &UDPStats{Sent: 1001, Received: 1000, Lost: 1, LossPercent: 0.0999},
		Client:  ClientCPU{Cores: 1, Utilization: 0.95, UsPerMsg: 3.5, WaitSec: 0.1, Waiting: 0.05, Bound: true}}
}

func TestResultJSONRoundTrip(t *testing.T) {
	r := sampleResult()
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Latency != r.Latency || *back.UDP != *r.UDP || back.Client != r.Client || back.Messages != r.Messages {
		t.Fatalf("round trip changed the result:\n%+v\n%+v", r, back)
	}
	for _, key := range []string{`"p99_us"`, `"msgs_per_sec"`, `"client_bound"`, `"loss_percent"`} {
		if !strings.Contains(buf.String(), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

func TestResultCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleResult().WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || len(rows[0]) != len(rows[1]) {
		t.Fatalf("want header and one record of equal width, got %v", rows)
	}
	col := map[string]string{}
	for i, h := range rows[0] {
		col[h] = rows[1][i]
	}
	if col["msgs_per_sec"] != "500" || col["udp_lost"] != "1" || col["client_bound"] != "true" || col["p99_us"] != "30" {
		t.Fatalf("CSV columns wrong: %v", col)
	}
}

func TestResultText(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleResult().WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"500 msgs/s", "p99 30.0", "lost 1", "CLIENT-BOUND", "workers waited for a CPU 5% of the time"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, buf.String())
		}
	}
}
