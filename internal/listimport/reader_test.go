package listimport_test

import (
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/listimport"
)

// good is a valid row of Muara Ancalong (64.08.01), by column.
var good = map[string]string{
	"kk": "6408010101190001", "head_nik": "6408014101750001", "head_name": "Siti Aminah",
	"village_code": "64.08.01.2001", "address": "RT 01, Senyiur", "desil": "2", "source": "p3ke",
}

var goodInput = household.OpenInput{KK: "6408010101190001", HeadNIK: "6408014101750001", HeadName: "Siti Aminah",
	VillageCode: "64.08.01.2001", Address: "RT 01, Senyiur", Desil: 2, Source: household.SourceP3KE}

const header = "kk,head_nik,head_name,village_code,address,desil,source\n"

// line writes row's values in the order of the header's columns; a
// column the row lacks is left empty.
func line(header string, row map[string]string) string {
	var cells []string
	for _, h := range strings.Split(strings.TrimSpace(header), ",") {
		v := row[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))]
		if strings.ContainsAny(v, ",\"\n") {
			v = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
		}
		cells = append(cells, v)
	}
	return strings.Join(cells, ",") + "\n"
}

// with returns good with some columns changed.
func with(changes map[string]string) map[string]string {
	row := map[string]string{}
	for k, v := range good {
		row[k] = v
	}
	for k, v := range changes {
		row[k] = v
	}
	return row
}

func TestReaderTakesTheHeaderInAnyOrderCaseAndWithABOM(t *testing.T) {
	tests := []struct {
		name, header string
		wantDesil    int
	}{
		{"as documented", header, 2},
		{"upper case", "KK,HEAD_NIK,Head_Name,Village_Code,ADDRESS,Desil,Source\n", 2},
		{"byte-order mark", "\ufeff" + header, 2},
		{"another order", "source,address,village_code,head_name,head_nik,kk,desil\n", 2},
		{"spaces around names", " kk , head_nik ,head_name,village_code,address,desil, source \n", 2},
		{"extra columns of the export", "no,kk,nama_kepala,head_nik,head_name,village_code,address,desil,source,keterangan\n", 2},
		{"without desil", "kk,head_nik,head_name,village_code,address,source\n", 0},
		{"windows line ends", strings.ReplaceAll(header, "\n", "\r\n"), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := listimport.NewReader(strings.NewReader(tt.header+line(tt.header, good)), "64.08.01")
			if err != nil {
				t.Fatal(err)
			}
			row, err := r.Read()
			if err != nil {
				t.Fatalf("read the good row: %v", err)
			}
			want := goodInput
			want.Desil = tt.wantDesil
			if row.Row != 2 || row.Open != want {
				t.Errorf("got row %d %+v, want row 2 %+v", row.Row, row.Open, want)
			}
			if _, err := r.Read(); err != io.EOF {
				t.Errorf("after the last row: %v, want io.EOF", err)
			}
		})
	}
}

func TestReaderRefusesAHeaderItCannotUse(t *testing.T) {
	tests := []struct {
		name, file, reason string
	}{
		{"empty file", "", "must start with a header row: kk,head_nik,head_name,village_code,address,desil,source"},
		{"header is not CSV", "kk,\"head_nik\"x\n", "must start with a header row"},
		{"data without a header", line(header, good), "the header lacks kk, head_nik, head_name, village_code, address, source"},
		{"two columns missing", "kk,head_nik,head_name,address,desil\n", "the header lacks village_code, source"},
		{"a column twice", "kk,head_nik,head_name,village_code,address,KK,source\n", "the header names kk twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := listimport.NewReader(strings.NewReader(tt.file), "64")
			var he *listimport.HeaderError
			if !errors.As(err, &he) || !strings.HasPrefix(he.Reason, tt.reason) {
				t.Fatalf("got %v, want a header error %q", err, tt.reason)
			}
		})
	}
}

func TestReaderToleratesRepeatedColumnsItDoesNotRead(t *testing.T) {
	h := "note,kk,head_nik,head_name,village_code,address,desil,source,note\n"
	r, err := listimport.NewReader(strings.NewReader(h+line(h, good)), "64")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
}

func TestReaderRejectsBadRowsNamingTheColumns(t *testing.T) {
	tests := []struct {
		name    string
		changes map[string]string
		scope   string
		columns []string // of the row errors, in order; none: valid
		desil   int
	}{
		{"valid", nil, "64.08.01", nil, 2},
		{"kk too short", map[string]string{"kk": "640801010119001"}, "64", []string{"kk"}, 0},
		{"kk of no regency", map[string]string{"kk": "6499010101190001"}, "64", []string{"kk"}, 0},
		{"head_nik with day 32", map[string]string{"head_nik": "6408013201750001"}, "64", []string{"head_nik"}, 0},
		{"head_name empty", map[string]string{"head_name": "  "}, "64", []string{"head_name"}, 0},
		{"head_name too long", map[string]string{"head_name": strings.Repeat("a", household.MaxName+1)}, "64", []string{"head_name"}, 0},
		{"village not in the registry", map[string]string{"village_code": "64.08.99.2001"}, "64", []string{"village_code"}, 0},
		{"village outside the importer's region", map[string]string{"village_code": "64.08.03.2001"}, "64.08.01", []string{"village_code"}, 0},
		{"address empty", map[string]string{"address": ""}, "64", []string{"address"}, 0},
		{"NUL in head_name", map[string]string{"head_name": "Siti\x00Aminah"}, "64", []string{"head_name"}, 0},
		{"escape sequence in address", map[string]string{"address": "RT 01\x1b[2J"}, "64", []string{"address"}, 0},
		{"invalid UTF-8 in head_name", map[string]string{"head_name": "Siti \xff"}, "64", []string{"head_name"}, 0},
		{"unknown source", map[string]string{"source": "survey"}, "64", []string{"source"}, 0},
		{"desil empty is none", map[string]string{"desil": ""}, "64", nil, 0},
		{"desil 1", map[string]string{"desil": "1"}, "64", nil, 1},
		{"desil 10 with spaces", map[string]string{"desil": " 10 "}, "64", nil, 10},
		{"desil 0 written out", map[string]string{"desil": "0"}, "64", []string{"desil"}, 0},
		{"desil 11", map[string]string{"desil": "11"}, "64", []string{"desil"}, 0},
		{"desil negative", map[string]string{"desil": "-1"}, "64", []string{"desil"}, 0},
		{"desil not a number", map[string]string{"desil": "dua"}, "64", []string{"desil"}, 0},
		{"desil a fraction", map[string]string{"desil": "2.5"}, "64", []string{"desil"}, 0},
		{"several, ordered by column", map[string]string{"source": "x", "kk": "1", "desil": "x", "address": ""}, "64",
			[]string{"address", "desil", "kk", "source"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := listimport.NewReader(strings.NewReader(header+line(header, with(tt.changes))), tt.scope)
			if err != nil {
				t.Fatal(err)
			}
			row, err := r.Read()
			var rejected listimport.RowErrors
			if errors.As(err, &rejected) {
				var columns []string
				for _, e := range rejected {
					if e.Row != 2 || e.Message == "" {
						t.Errorf("row error %+v, want row 2 and a reason", e)
					}
					columns = append(columns, e.Field)
				}
				if !slices.Equal(columns, tt.columns) {
					t.Fatalf("rejected %v (%v), want %v", columns, rejected, tt.columns)
				}
				return
			}
			if err != nil || tt.columns != nil {
				t.Fatalf("got %+v, %v; want rejected %v", row, err, tt.columns)
			}
			if row.Open.Desil != tt.desil {
				t.Errorf("desil %d, want %d", row.Open.Desil, tt.desil)
			}
		})
	}
}

func TestReaderGivesEachRowItsLineInTheFileAndReadsOnPastBadOnes(t *testing.T) {
	file := header +
		line(header, good) + // line 2
		"\n" + // a blank line 3 is skipped
		line(header, with(map[string]string{"address": "RT 01,\nSenyiur"})) + // lines 4-5
		"6408010101190001,\"bad\"quote,x,y,z,1,p3ke\n" + // line 6 is not CSV
		"6408010101190001,6408014101750001\n" + // line 7 is short
		line(header, good) // line 8
	r, err := listimport.NewReader(strings.NewReader(file), "64")
	if err != nil {
		t.Fatal(err)
	}
	type seen struct {
		row    int
		fields []string
	}
	var got []seen
	for {
		row, err := r.Read()
		var rejected listimport.RowErrors
		switch {
		case err == io.EOF:
			want := []seen{
				{2, nil},
				{4, nil},
				{6, []string{"(row)"}},
				{7, []string{"address", "head_name", "source", "village_code"}},
				{8, nil},
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("read %v, want %v", got, want)
			}
			return
		case errors.As(err, &rejected):
			s := seen{row: rejected[0].Row}
			for _, e := range rejected {
				s.fields = append(s.fields, e.Field)
			}
			got = append(got, s)
		case err != nil:
			t.Fatal(err)
		default:
			got = append(got, seen{row: row.Row})
		}
	}
}

func TestReaderStopsOnAFailingSource(t *testing.T) {
	boom := errors.New("connection reset")
	r, err := listimport.NewReader(io.MultiReader(strings.NewReader(header), iotest.ErrReader(boom)), "64")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(); !errors.Is(err, boom) {
		t.Fatalf("got %v, want the source's error", err)
	}
}
