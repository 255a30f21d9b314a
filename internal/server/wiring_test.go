package server

import "testing"

func TestOnThisHost(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:7233", true},
		{"[::1]:7233", true},
		{"localhost:7233", true},
		{"temporal:7233", false},
		{"10.0.0.5:7233", false},
		{"127.0.0.1", false}, // no port: not an address the SDK dials
	} {
		if got := onThisHost(tc.addr); got != tc.want {
			t.Errorf("onThisHost(%q) = %t, want %t", tc.addr, got, tc.want)
		}
	}
}
