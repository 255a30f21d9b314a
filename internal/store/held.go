package store

import (
	"slices"
	"sort"
	"strings"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// held is the summaries an Index holds: by ID, in list order (so a page is
// a walk from the cursor that stops when the page is full), and counted
// the way the dashboard counts them, kept up to date as each summary
// changes (so a dashboard adds up a few thousand counters, not 50,000
// cases).
type held struct {
	byID  map[string]*Summary
	order []*Summary // list order: newest first, ties by ID
	// groups counts cases by groupKey; people sums the members of open
	// cases per kecamatan.
	groups map[groupKey]int64
	people map[string]int64
}

func newHeld(all []Summary) *held {
	h := &held{byID: make(map[string]*Summary, len(all)), order: make([]*Summary, 0, len(all)),
		groups: map[groupKey]int64{}, people: map[string]int64{}}
	for i := range all {
		s := &all[i]
		if old, ok := h.byID[s.ID]; ok {
			if s.Version < old.Version {
				continue
			}
			h.count(old, -1)
		}
		h.byID[s.ID] = s
		h.count(s, 1)
	}
	for _, s := range h.byID {
		h.order = append(h.order, s)
	}
	slices.SortFunc(h.order, func(a, b *Summary) int { return listOrder(*a, *b) })
	return h
}

// count adds (sign 1) or removes (sign -1) s from the counters.
func (h *held) count(s *Summary, sign int64) {
	k := keyOf(*s)
	if h.groups[k] += sign; h.groups[k] == 0 {
		delete(h.groups, k)
	}
	if s.Status == household.StatusOpen {
		h.people[s.DistrictCode] += sign * int64(s.MemberCount)
	}
}

// position is where s stands, or would stand, in list order.
func (h *held) position(s *Summary) int {
	return sort.Search(len(h.order), func(i int) bool { return listOrder(*h.order[i], *s) >= 0 })
}

// put takes s unless an older version than the one held.
func (h *held) put(s Summary) {
	old, ok := h.byID[s.ID]
	if ok && s.Version < old.Version {
		return
	}
	p := &s
	if ok {
		h.count(old, -1)
		i := h.position(old)
		if old.OpenedAt.Equal(s.OpenedAt) {
			h.order[i] = p
		} else {
			h.order = slices.Delete(h.order, i, i+1)
			ok = false
		}
	}
	if !ok {
		h.order = slices.Insert(h.order, h.position(p), p)
	}
	h.byID[s.ID] = p
	h.count(p, 1)
}

// putAll puts each of sums.
func (h *held) putAll(sums []Summary) {
	for _, s := range sums {
		h.put(s)
	}
}

// list is the page of f after the cursor.
func (h *held) list(f Filter, after *cursor) []Summary {
	start := 0
	if after != nil {
		start = sort.Search(len(h.order), func(i int) bool { return after.before(*h.order[i]) })
	}
	items := []Summary{}
	for _, s := range h.order[start:] {
		if f.matches(*s) {
			items = append(items, *s)
			if len(items) > f.Limit {
				break
			}
		}
	}
	return items
}

// dashboard counts the cases of scope (and district, if set) by groupKey,
// with the remaining people per kecamatan.
func (h *held) dashboard(scope, district string) ([]group, map[string]int64) {
	within := func(code string) bool {
		return region.Within(code, scope) && (district == "" || region.Within(code, district))
	}
	var groups []group
	people := map[string]int64{}
	if strings.Count(scope, ".") <= strings.Count("64.08.01", ".") && (district == "" || strings.Count(district, ".") <= 2) {
		// The counters are by kecamatan: any scope of a kecamatan or
		// wider is a sum of them.
		for k, n := range h.groups {
			if within(k.District) {
				groups = append(groups, group{Key: k, N: n})
			}
		}
		for code, n := range h.people {
			if within(code) {
				people[code] = n
			}
		}
		return groups, people
	}
	counts := map[groupKey]int64{}
	for _, s := range h.order {
		if within(s.VillageCode) {
			counts[keyOf(*s)]++
			if s.Status == household.StatusOpen {
				people[s.DistrictCode] += int64(s.MemberCount)
			}
		}
	}
	for k, n := range counts {
		groups = append(groups, group{Key: k, N: n})
	}
	return groups, people
}
