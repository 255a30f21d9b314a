package deploy

import (
	"testing"

	"go.temporal.io/server/common/dynamicconfig"
)

// Temporal's own loader (what `temporal-server validate-dynamic-config`
// runs) takes every key of the file, with a value of its type: a key
// misspelt or of a newer server would be ignored in service, silently.
func TestTheDynamicConfigIsTemporalsOwn(t *testing.T) {
	lr := dynamicconfig.LoadYamlFile(TemporalDynamicConfig)
	if err := lr.Err(); err != nil {
		t.Fatalf("Temporal refuses deploy/temporal-dynamicconfig.yaml: %v", err)
	}
	if len(lr.Warnings) > 0 {
		t.Fatalf("Temporal warns of deploy/temporal-dynamicconfig.yaml: %v", lr.Warnings)
	}
	for _, key := range []string{"history.maxInFlightUpdates", "matching.numTaskqueueReadPartitions", "matching.numTaskqueueWritePartitions"} {
		if len(lr.Map[dynamicconfig.MakeKey(key)]) == 0 {
			t.Errorf("%s is not set", key)
		}
	}
}
