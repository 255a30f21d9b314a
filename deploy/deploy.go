// Package deploy holds the files that production's deployment
// (docker-compose.yml) and the cluster launcher (internal/cluster) share,
// so that both run Temporal configured alike.
package deploy

import _ "embed"

// TemporalDynamicConfig is Temporal's dynamic configuration for Tuntas
// (temporal-dynamicconfig.yaml), as the Temporal server's file of it.
//
//go:embed temporal-dynamicconfig.yaml
var TemporalDynamicConfig []byte
