// Package region owns the Kemendagri region registry for Kalimantan Timur,
// compiled into the binary from the public wilayah dataset
// (Kepmendagri 300.2.2-2138/2025), with regency populations.
package region

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Level is a region's place in the hierarchy.
type Level string

// Levels, from the top.
const (
	Province Level = "province"
	Regency  Level = "regency"
	District Level = "district" // kecamatan
	Village  Level = "village"  // desa or kelurahan
)

// Levels lists the levels from the top.
var Levels = []Level{Province, Regency, District, Village}

// Region is one entry of the registry.
type Region struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Level  Level  `json:"level"`
	Parent string `json:"parent,omitempty"`
	// Population is known for the province and regencies only; 0 elsewhere.
	Population int64 `json:"population,omitempty"`
}

var (
	//go:embed data/wilayah-64-kalimantan-timur.csv
	wilayahCSV []byte
	//go:embed data/penduduk-64-kalimantan-timur.csv
	pendudukCSV []byte

	byCode   map[string]Region
	children map[string][]string
)

func init() {
	var err error
	byCode, children, err = load(wilayahCSV, pendudukCSV)
	if err != nil {
		panic(err) // the embedded data is part of the build; a bad file is a build defect
	}
}

func load(wilayah, penduduk []byte) (map[string]Region, map[string][]string, error) {
	regions := map[string]Region{}
	kids := map[string][]string{}
	err := eachRow(wilayah, 3, func(rec []string) error {
		r := Region{Code: rec[0], Name: rec[1], Level: Level(rec[2]), Parent: ParentCode(rec[0])}
		regions[r.Code] = r
		if r.Parent != "" {
			kids[r.Parent] = append(kids[r.Parent], r.Code)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("region: wilayah: %w", err)
	}
	err = eachRow(penduduk, 5, func(rec []string) error {
		total, err := strconv.ParseInt(rec[4], 10, 64)
		if err != nil {
			return fmt.Errorf("population of %s: %w", rec[0], err)
		}
		r, ok := regions[rec[0]]
		if !ok {
			return fmt.Errorf("population for unknown code %s", rec[0])
		}
		r.Population = total
		regions[rec[0]] = r
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("region: penduduk: %w", err)
	}
	for _, codes := range kids {
		sort.Strings(codes)
	}
	return regions, kids, nil
}

func eachRow(data []byte, fields int, fn func([]string) error) error {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = fields
	if _, err := r.Read(); err != nil { // header
		return err
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// ParentCode returns the code one level up ("64.08.01" → "64.08"), or "" for a province.
func ParentCode(code string) string {
	i := strings.LastIndexByte(code, '.')
	if i < 0 {
		return ""
	}
	return code[:i]
}

// Lookup returns the region with the given dotted code.
func Lookup(code string) (Region, bool) {
	r, ok := byCode[code]
	return r, ok
}

// Children returns the regions directly under code, sorted by code.
func Children(code string) []Region {
	out := make([]Region, 0, len(children[code]))
	for _, c := range children[code] {
		out = append(out, byCode[c])
	}
	return out
}

// Within reports whether code equals scope or lies under it
// ("64.08.01.2001" is within "64.08" and within "64.08.01.2001").
func Within(code, scope string) bool {
	return code == scope || strings.HasPrefix(code, scope+".")
}

// Ancestor returns the ancestor of code at the given level, or "" if code is
// above that level.
func Ancestor(code string, level Level) string {
	depth := map[Level]int{Province: 1, Regency: 2, District: 3, Village: 4}[level]
	parts := strings.Split(code, ".")
	if depth == 0 || len(parts) < depth {
		return ""
	}
	return strings.Join(parts[:depth], ".")
}

// Compact removes the dots of a code, as NIK and KK prefixes write it
// ("64.08" → "6408").
func Compact(code string) string { return strings.ReplaceAll(code, ".", "") }

// provinceCodes are the two-digit codes of Indonesia's 38 provinces; a NIK
// issued anywhere in the country starts with one.
var provinceCodes = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true, "16": true, "17": true, "18": true, "19": true,
	"21": true, "31": true, "32": true, "33": true, "34": true, "35": true, "36": true,
	"51": true, "52": true, "53": true, "61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "72": true, "73": true, "74": true, "75": true, "76": true, "81": true, "82": true,
	"91": true, "92": true, "93": true, "94": true, "95": true, "96": true,
}

// IsProvinceCode reports whether code is one of Indonesia's province codes.
func IsProvinceCode(code string) bool { return provinceCodes[code] }
