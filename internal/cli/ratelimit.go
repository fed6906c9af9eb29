package cli

import (
	"fmt"
	"math"

	"github.com/spf13/pflag"

	"github.com/rawnet/rawnet/engine"
)

// addRateLimitFlags defines echo-udp's --rate-limit and --rate-burst on
// fs, bound to c.
func addRateLimitFlags(fs *pflag.FlagSet, c *engine.Config) {
	fs.Float64Var(&c.UDPRateLimit, "rate-limit", 0,
		"most datagrams per second echoed to one source address, the rest dropped and counted (rate_limited); "+
			"caps what a spoofed source can reflect at a victim, so set it on any address beyond loopback (0: off)")
	fs.IntVar(&c.UDPRateBurst, "rate-burst", 0,
		"datagrams one source address may send at once before --rate-limit paces it (0: one second's worth, the rate rounded up)")
}

// checkRateLimit checks --rate-limit and --rate-burst, naming the flag at
// fault.
func checkRateLimit(rate float64, burst int) error {
	switch {
	case math.IsNaN(rate) || rate < 0:
		return fmt.Errorf("--rate-limit: %g is not a rate; give datagrams per second, or 0 for no limit", rate)
	case rate != 0 && (rate < engine.MinUDPRateLimit || rate > engine.MaxUDPRateLimit):
		return fmt.Errorf("--rate-limit: %g is out of range: 0 (off) or %g to %g datagrams per second",
			rate, float64(engine.MinUDPRateLimit), float64(engine.MaxUDPRateLimit))
	case burst < 0 || burst > engine.MaxUDPRateBurst:
		return fmt.Errorf("--rate-burst: %d is out of range: 0 (default) or 1 to %d", burst, engine.MaxUDPRateBurst)
	case burst != 0 && rate == 0:
		return fmt.Errorf("--rate-burst: needs --rate-limit, the rate it lets a source exceed for a moment")
	}
	return nil
}

// rateLimitFields is the part of the listening line that states the
// rate limit of a normalized config, or "" when it is off.
func rateLimitFields(cfg engine.Config) string {
	if cfg.UDPRateLimit == 0 {
		return ""
	}
	return fmt.Sprintf(" rate-limit=%g/s rate-burst=%d", cfg.UDPRateLimit, cfg.UDPRateBurst)
}

// reflectionWarning is the warning logged when echo-udp binds beyond
// loopback: what an open UDP echo risks, and what --rate-limit does
// about it.
func reflectionWarning(cfg engine.Config) string {
	if cfg.UDPRateLimit == 0 {
		return "UDP echo bound beyond loopback: anyone who can reach it can spoof a source address and use it for reflection attacks; " +
			"set --rate-limit to cap what one source address is sent, and filter it upstream"
	}
	return fmt.Sprintf("UDP echo bound beyond loopback: reflection towards a spoofed source address is capped by --rate-limit "+
		"at %g datagrams/s (burst %d) per address, but not prevented; filter it upstream", cfg.UDPRateLimit, cfg.UDPRateBurst)
}
