// Package synth makes synthetic households of Kutai Timur, or of the whole
// province, for tests and `tuntas-dev bench`: valid KKs and NIKs on real
// village codes, written as the CSV household list that imports read.
// Nothing here is a real person.
package synth

import (
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/tuntas-id/tuntas/internal/region"
)

// Household is one row of a household list.
type Household struct {
	KK, HeadNIK, HeadName, VillageCode, Address, Source string
	Desil                                               int
}

var (
	givenNames  = []string{"Siti", "Ahmad", "Nur", "Rahmat", "Dewi", "Andi", "Masnah", "Hasan", "Yuli", "Samsul", "Aminah", "Jumadi", "Ratna", "Baharuddin", "Lestari", "Syamsul"}
	familyNames = []string{"Aminah", "Yani", "Hayati", "Saputra", "Bahri", "Rahman", "Wati", "Hidayat", "Lamba", "Ingan", "Sari", "Ladjang"}
)

// Generator makes households deterministically from a seed.
type Generator struct {
	rng      *rand.Rand
	villages []string
	// Batch distinguishes the KK numbers of different runs (0–27): it is
	// the day of the KK's issue date, so batches never collide.
	Batch int
}

// New returns a generator over Kutai Timur's villages.
func New(seed uint64, batch int) *Generator {
	return over(seed, batch, []string{"64.08"})
}

// NewProvince returns a generator over the villages of every regency and
// city of Kalimantan Timur (64), so households spread over the province.
func NewProvince(seed uint64, batch int) *Generator {
	var regencies []string
	for _, r := range region.Children("64") {
		regencies = append(regencies, r.Code)
	}
	return over(seed, batch, regencies)
}

func over(seed uint64, batch int, regencies []string) *Generator {
	var villages []string
	for _, r := range regencies {
		for _, d := range region.Children(r) {
			for _, v := range region.Children(d.Code) {
				villages = append(villages, v.Code)
			}
		}
	}
	return &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), villages: villages, Batch: batch}
}

// Household returns household i (0 ≤ i < 119,988) of the generator's batch.
func (g *Generator) Household(i int) Household {
	village := g.villages[g.rng.IntN(len(g.villages))]
	district := region.Compact(region.Ancestor(village, region.District))
	// KK: district, issue date (day = batch, month and year from i), serial.
	serial := i%9999 + 1
	month := (i/9999)%12 + 1
	kk := fmt.Sprintf("%s%02d%02d%02d%04d", district, g.Batch%28+1, month, 19, serial)
	female := g.rng.IntN(2) == 0
	day := g.rng.IntN(28) + 1
	if female {
		day += 40
	}
	nik := fmt.Sprintf("%s%02d%02d%02d%04d", district, day, g.rng.IntN(12)+1, 60+g.rng.IntN(40), g.rng.IntN(9999)+1)
	name := givenNames[g.rng.IntN(len(givenNames))] + " " + familyNames[g.rng.IntN(len(familyNames))]
	source := "p3ke"
	if g.rng.IntN(3) == 0 {
		source = "dtsen"
	}
	return Household{KK: kk, HeadNIK: nik, HeadName: name, VillageCode: village,
		Address: fmt.Sprintf("RT %02d, %s", g.rng.IntN(20)+1, mustName(village)), Source: source, Desil: 1 + g.rng.IntN(2)}
}

func mustName(code string) string {
	r, _ := region.Lookup(code)
	return r.Name
}

// Columns of the household list, as imports read them.
var Columns = []string{"kk", "head_nik", "head_name", "village_code", "address", "desil", "source"}

// Spoil breaks one field of h so that an import must reject it, varying
// which field by k.
func Spoil(h Household, k int) Household {
	switch k % 4 {
	case 0:
		h.HeadNIK = h.HeadNIK[:6] + "32" + h.HeadNIK[8:] // day 32
	case 1:
		h.VillageCode = "64.08.99.2001"
	case 2:
		h.KK = h.KK[:15]
	default:
		h.Source = "survey"
	}
	return h
}

// WriteCSV writes n households of g, spoiling every badEvery-th (0: none),
// and returns the 2-based line numbers of the spoiled rows.
func WriteCSV(w io.Writer, g *Generator, n, badEvery int) ([]int, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return nil, err
	}
	var bad []int
	for i := range n {
		h := g.Household(i)
		if badEvery > 0 && i%badEvery == badEvery-1 {
			h = Spoil(h, i/badEvery)
			bad = append(bad, i+2)
		}
		if err := cw.Write([]string{h.KK, h.HeadNIK, h.HeadName, h.VillageCode, h.Address, strconv.Itoa(h.Desil), h.Source}); err != nil {
			return nil, err
		}
	}
	cw.Flush()
	return bad, cw.Error()
}

// CSV returns WriteCSV's output as a string.
func CSV(g *Generator, n, badEvery int) (string, []int) {
	var b strings.Builder
	bad, _ := WriteCSV(&b, g, n, badEvery)
	return b.String(), bad
}
