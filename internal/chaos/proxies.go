package chaos

import (
	"fmt"

	"github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
)

// proxies stand between the workers and APIs and the servers, so that the
// run can cut every connection to one store while the processes run on.
type proxies struct {
	temporal, mongo *toxiproxy.Proxy
}

func newProxies(temporalAddr, mongoAddr string) (*proxies, error) {
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	p := &proxies{
		temporal: toxiproxy.NewProxy(srv, "temporal", "127.0.0.1:0", temporalAddr),
		mongo:    toxiproxy.NewProxy(srv, "mongodb", "127.0.0.1:0", mongoAddr),
	}
	for _, px := range []*toxiproxy.Proxy{p.temporal, p.mongo} {
		if err := px.Start(); err != nil {
			p.close()
			return nil, fmt.Errorf("proxy %s: %w", px.Name, err)
		}
	}
	return p, nil
}

// cut closes every connection through px and refuses new ones, until
// restore.
func cut(px *toxiproxy.Proxy) { px.Stop() }

// restore lets connections through px again, on the address it had.
func restore(px *toxiproxy.Proxy) error {
	if err := px.Start(); err != nil {
		return fmt.Errorf("restore proxy %s: %w", px.Name, err)
	}
	return nil
}

func (p *proxies) close() {
	for _, px := range []*toxiproxy.Proxy{p.temporal, p.mongo} {
		if px != nil {
			px.Stop()
		}
	}
}
