//go:build linux

package hostile

import (
	"fmt"
	"strings"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
)

// toxic is one toxiproxy toxic: its type, the direction it acts on
// ("upstream" is client to server) and its attributes as JSON.
type toxic struct {
	kind, stream, attrs string
}

// newFaultProxy starts a toxiproxy proxy in the test process, listening
// on a free loopback port and forwarding to upstream through toxics, and
// stops it, closing every connection it holds, when the case ends. It
// returns the address clients dial.
func newFaultProxy(t tb, upstream string, toxics ...toxic) string {
	t.Helper()
	api := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	p := toxiproxy.NewProxy(api, "hostile", "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		t.Fatalf("toxiproxy: %v", err)
	}
	t.Cleanup(p.Stop)
	for i, tx := range toxics {
		js := fmt.Sprintf(`{"name":"t%d","type":%q,"stream":%q,"attributes":%s}`, i, tx.kind, tx.stream, tx.attrs)
		if _, err := p.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
			t.Fatalf("toxiproxy toxic %s: %v", js, err)
		}
	}
	return p.Listen
}
