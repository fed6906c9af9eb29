package scale

import (
	"fmt"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/rawnet/rawnet/bench"
)

// mergeResults combines the results of several client processes, picked
// from each by pick, with bench.Merge: counts and rates add up and the
// latency percentiles are exact over every round trip of every process.
// It returns nil when no process has a result.
//
// The processes share the client CPUs, cores of them, so their CPU
// seconds, and the seconds their threads waited for a CPU, are put over
// those cores rather than over a core each: six processes on one core,
// each using a sixth of it, saturate it, and the merged result is then
// flagged client-bound (bench.ClientBoundAt), as it is when other
// processes kept the client waiting for its CPUs.
func mergeResults(rs []ClientResult, pick func(*ClientResult) *bench.Result, cores int) (*bench.Result, error) {
	var parts []*bench.Result
	for i := range rs {
		if r := pick(&rs[i]); r != nil {
			parts = append(parts, r)
		}
	}
	if len(parts) == 0 {
		return nil, nil
	}
	out, err := bench.Merge(parts...)
	if err != nil {
		return nil, fmt.Errorf("scale: merging the client processes' results: %w", err)
	}
	c := &out.Client
	if cores > 0 && out.Seconds > 0 {
		c.Cores = cores
		c.Utilization = (c.UserSec + c.SysSec) / out.Seconds / float64(cores)
		c.Waiting = c.WaitSec / out.Seconds / float64(cores)
		c.Bound = c.Bound || c.Utilization+c.Waiting >= bench.ClientBoundAt
	}
	return out, nil
}

// encodeHist returns h in HdrHistogram's compressed V2 encoding, the one
// its logs use, or "" for nil: how a client process sends its
// histograms to the parent, which JSON alone would leave out.
func encodeHist(h *hdrhistogram.Histogram) (string, error) {
	if h == nil {
		return "", nil
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	return string(b), err
}

// decodeHist reverses encodeHist.
func decodeHist(s string) (*hdrhistogram.Histogram, error) {
	if s == "" {
		return nil, nil
	}
	return hdrhistogram.Decode([]byte(s))
}

// encodeHists puts r's histograms into their encoded fields.
func (r *ClientResult) encodeHists() error {
	var err error
	if r.Idle != nil {
		if r.IdleHist, err = encodeHist(r.Idle.Histogram); err != nil {
			return err
		}
	}
	if r.Traffic != nil {
		r.TrafficHist, err = encodeHist(r.Traffic.Histogram)
	}
	return err
}

// decodeHists restores r's histograms from their encoded fields.
func (r *ClientResult) decodeHists() error {
	var err error
	if r.Idle != nil {
		if r.Idle.Histogram, err = decodeHist(r.IdleHist); err != nil {
			return fmt.Errorf("idle histogram: %w", err)
		}
	}
	if r.Traffic != nil {
		if r.Traffic.Histogram, err = decodeHist(r.TrafficHist); err != nil {
			return fmt.Errorf("traffic histogram: %w", err)
		}
	}
	return nil
}
