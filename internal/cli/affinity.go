package cli

import (
	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/internal/cpuset"
)

// affinityField is the listening line's " cpu-affinity=LIST" when the
// engine's threads are pinned, and nothing otherwise.
func affinityField(cfg engine.Config) string {
	if len(cfg.CPUAffinity) == 0 {
		return ""
	}
	return " cpu-affinity=" + cpuset.Format(cfg.CPUAffinity)
}
