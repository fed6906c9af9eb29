package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/rawnet/rawnet/engine"
)

// statsRecord is the JSON form of a stats or totals line. It states the
// work the server applies to each frame (--work, --work-seed), so a
// record read on its own says what was measured.
type statsRecord struct {
	Type     string       `json:"type"`
	Time     time.Time    `json:"time"`
	Work     string       `json:"work"`
	WorkSeed uint64       `json:"work_seed"`
	Stats    engine.Stats `json:"stats"`
}

// statsFormat is how stats lines are written: as text or JSON, and, in
// JSON, with the work they were measured under.
type statsFormat struct {
	asJSON   bool
	work     string // the --work spec as work.Spec.String gives it
	workSeed uint64
}

// printStats writes one stats line labelled kind ("stats" or "totals").
func printStats(w io.Writer, kind string, s engine.Stats, f statsFormat) {
	if f.asJSON {
		b, err := json.Marshal(statsRecord{Type: kind, Time: time.Now().UTC(), Work: f.work, WorkSeed: f.workSeed, Stats: s})
		if err == nil {
			fmt.Fprintf(w, "%s\n", b)
		}
		return
	}
	fmt.Fprintln(w, formatStats(kind, s))
}

// formatStats renders s as one line of key=value pairs. closed is the
// sum of the closes by reason, which the JSON form lists.
func formatStats(kind string, s engine.Stats) string {
	e := s.Errors
	return fmt.Sprintf("%s: accepted=%d active=%d closed=%d frames=%d frames_in=%d bytes_in=%d bytes_out=%d datagrams=%d"+
		" errors: frame=%d truncated=%d rate_limited=%d rejected=%d idle=%d write_timeout=%d io=%d accept=%d backpressure=%d"+
		" emfile=%d budget=%d unechoed=%d",
		kind, s.Accepted, s.Active, s.Closed.Total(), s.Frames, s.FramesIn, s.BytesIn, s.BytesOut, s.Datagrams,
		e.Frame, e.Truncated, e.RateLimited, e.Rejected, e.Idle, e.WriteTimeout, e.IO, e.Accept, e.Backpressure,
		e.EMFILE, e.Budget, e.Unechoed)
}
