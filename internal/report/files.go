package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// The report's words are Bahasa Indonesia: it is the document an office
// hands to the Bappeda and the province, not a page of the console.

// MeasureLabel names each measure.
var MeasureLabel = map[Measure]string{
	Listed:           "Rumah tangga terdaftar",
	InProcess:        "Masih dalam proses",
	Proposed:         "Diusulkan selama periode",
	VerifiedExtreme:  "Terverifikasi miskin ekstrem",
	Added:            "Ditetapkan miskin ekstrem selama periode",
	ExcludedNotPoor:  "Dikeluarkan: tidak miskin (exclusion error)",
	ExcludedInPeriod: "Dikeluarkan tidak miskin selama periode",
	Graduated:        "Graduasi (keluar dari miskin ekstrem)",
	GraduatedPeriod:  "Graduasi selama periode",
	StillExtreme:     "Masih miskin ekstrem",
	ClosedOther:      "Ditutup karena alasan lain",
	Overdue:          "Melewati tenggat",
	Escalated:        "Dieskalasi",
}

// ProgramLabel names each program.
var ProgramLabel = map[household.Program]string{
	household.ProgramPKH:         "PKH",
	household.ProgramSembako:     "Sembako/BPNT",
	household.ProgramPBIJKN:      "PBI-JKN",
	household.ProgramBLTDanaDesa: "BLT Dana Desa",
	household.ProgramRTLH:        "Rehabilitasi RTLH",
	household.ProgramJobTraining: "Pelatihan kerja (Disnakertrans)",
	household.ProgramCSR:         "CSR",
}

// StrategyLabel names each strategy as Inpres 4/2022 does.
var StrategyLabel = map[household.Strategy]string{
	household.StrategyLowerCosts:    "Pengurangan beban pengeluaran",
	household.StrategyRaiseIncome:   "Peningkatan pendapatan",
	household.StrategyShrinkPockets: "Penurunan jumlah kantong kemiskinan",
}

// AgeLabel names each age group.
var AgeLabel = map[household.AgeGroup]string{
	household.AgeUnder6:  "0–5 tahun",
	household.Age6To17:   "6–17 tahun",
	household.Age18To59:  "18–59 tahun",
	household.Age60Plus:  "60 tahun ke atas",
	household.AgeUnknown: "Tanggal lahir tidak diketahui",
}

// LevelLabel names each level of areas.
var LevelLabel = map[region.Level]string{
	region.Province: "Provinsi", region.Regency: "Kabupaten/Kota", region.District: "Kecamatan", region.Village: "Desa/Kelurahan",
}

// Table is one table of the report as rows of cells: strings, int64s
// (written as numbers) or float64s.
type Table struct {
	Name   string
	Header []string
	Rows   [][]any
	// Keyed is set when the first column is a machine key (a measure's
	// code), kept in the files for programs and left off the printed page.
	Keyed bool
}

// Tables are the report's tables, in the order of the workbook's sheets.
func (r Report) Tables() []Table {
	hh := Table{Name: "Rumah Tangga", Keyed: true, Header: []string{"Kode", "Uraian", "Rumah tangga", "Kepala RT laki-laki",
		"Kepala RT perempuan", "Kepala RT belum diketahui", "RT dengan anggota disabilitas", "Jiwa"}}
	for _, row := range r.Households {
		c, k := row.Count, "households."+string(row.Measure)+"."
		hh.Rows = append(hh.Rows, []any{string(row.Measure), row.Label, c.Households, r.cell(k+"headMale", c.HeadMale), r.cell(k+"headFemale", c.HeadFemale),
			r.cell(k+"headUnknown", c.HeadUnknown), r.cell(k+"withDisability", c.WithDisability), c.People})
	}
	people := Table{Name: "Jiwa", Header: []string{"Kelompok rumah tangga", "Kelompok umur", "Laki-laki", "Perempuan", "Penyandang disabilitas", "Jumlah"}}
	for _, g := range r.People {
		for _, row := range g.Rows {
			k := "people." + string(g.Of) + "." + string(row.AgeGroup) + "."
			people.Rows = append(people.Rows, []any{MeasureLabel[g.Of], AgeLabel[row.AgeGroup], r.cell(k+"male", row.Male), r.cell(k+"female", row.Female),
				r.cell(k+"disability", row.Disability), r.cell(k+"total", row.Total)})
		}
	}
	helpHeader := []string{"Ditugaskan s.d. akhir periode", "Ditugaskan selama periode", "Tersalurkan s.d. akhir periode",
		"Tersalurkan selama periode", "Ditolak", "Tersalurkan ke RT kepala laki-laki", "Tersalurkan ke RT kepala perempuan"}
	helpCells := func(k string, h Help) []any {
		return []any{h.Assigned, h.AssignedInPeriod, h.Delivered, h.DeliveredInPeriod, h.Declined,
			r.cell(k+"deliveredHeadMale", h.DeliveredHeadMale), r.cell(k+"deliveredHeadFemale", h.DeliveredHeadFemale)}
	}
	programs := Table{Name: "Program", Header: append([]string{"Program", "Strategi"}, helpHeader...)}
	for _, p := range r.Programs {
		programs.Rows = append(programs.Rows, append([]any{ProgramLabel[p.Program], StrategyLabel[p.Strategy]}, helpCells("programs."+string(p.Program)+".", p.Help)...))
	}
	strategies := Table{Name: "Strategi", Header: append([]string{"Strategi"}, helpHeader...)}
	for _, s := range r.Strategies {
		strategies.Rows = append(strategies.Rows, append([]any{StrategyLabel[s.Strategy]}, helpCells("strategies."+string(s.Strategy)+".", s.Help)...))
	}
	areas := Table{Name: "Wilayah", Header: []string{"Kode wilayah", LevelLabel[r.AreaLevel]}}
	for _, m := range Measures {
		areas.Header = append(areas.Header, MeasureLabel[m])
	}
	areas.Header = append(areas.Header, "Jiwa masih miskin ekstrem")
	for _, a := range r.Areas {
		row := []any{a.Code, a.Name}
		for _, m := range Measures {
			row = append(row, a.Counts[m])
		}
		areas.Rows = append(areas.Rows, append(row, a.StillExtremePeople))
	}
	return append([]Table{hh, people, programs, strategies, areas}, r.proposalTable()...)
}

// Heading are the lines that name the report: the title, the area, the
// period and when it was produced (on the region's clock).
func (r Report) Heading() [][]string {
	z := region.Zone(r.Scope)
	area := r.ScopeName
	if r.RegencyName != "" && r.RegencyName != r.ScopeName {
		area = r.ScopeName + ", " + r.RegencyName
	}
	lines := [][]string{
		{"Laporan Triwulan Penghapusan Kemiskinan Ekstrem"},
		{"Wilayah", area + " (" + r.Scope + ")"},
		{"Periode", r.Period.From + " s.d. " + r.Period.To},
		{"Keadaan per", r.Period.End.In(z).Format("2006-01-02 15:04") + " " + zoneName(r.Scope)},
		{"Dibuat", r.GeneratedAt.In(z).Format("2006-01-02 15:04") + " " + zoneName(r.Scope)},
	}
	if note := r.suppressionNote(); note != "" {
		lines = append(lines, []string{"Catatan", note})
	}
	return lines
}

// zoneName is the name of the scope's time zone (WITA for Kalimantan Timur).
func zoneName(scope string) string {
	name, _ := time.Time{}.In(region.Zone(scope)).Zone()
	return name
}

// WriteCSV writes the report as one CSV file: the heading, then each table
// under its name, separated by an empty line.
func WriteCSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	for _, line := range r.Heading() {
		_ = cw.Write(line)
	}
	for _, t := range r.Tables() {
		_ = cw.Write(nil)
		_ = cw.Write([]string{t.Name})
		_ = cw.Write(t.Header)
		for _, row := range t.Rows {
			cells := make([]string, len(row))
			for i, v := range row {
				cells[i] = cellText(v)
			}
			_ = cw.Write(cells)
		}
	}
	cw.Flush()
	return cw.Error()
}

func cellText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case Hidden:
		return string(v)
	}
	return fmt.Sprint(v)
}

// WriteXLSX writes the report as an Excel workbook: a sheet "Keterangan"
// with the heading, then a sheet per table, numbers as numbers.
func WriteXLSX(w io.Writer, r Report) error {
	f := excelize.NewFile()
	defer f.Close()
	const first = "Keterangan"
	if err := f.SetSheetName("Sheet1", first); err != nil {
		return fmt.Errorf("report: xlsx: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("report: xlsx: %w", err)
	}
	for i, line := range r.Heading() {
		if err := setRow(f, first, i+1, strings2any(line)); err != nil {
			return err
		}
	}
	_ = f.SetColWidth(first, "A", "A", 14)
	_ = f.SetColWidth(first, "B", "B", 60)
	for _, t := range r.Tables() {
		if _, err := f.NewSheet(t.Name); err != nil {
			return fmt.Errorf("report: xlsx: %w", err)
		}
		if err := setRow(f, t.Name, 1, strings2any(t.Header)); err != nil {
			return err
		}
		last, _ := excelize.ColumnNumberToName(len(t.Header))
		_ = f.SetCellStyle(t.Name, "A1", last+"1", bold)
		_ = f.SetColWidth(t.Name, "A", "B", 34)
		_ = f.SetColWidth(t.Name, "C", last, 16)
		for i, row := range t.Rows {
			if err := setRow(f, t.Name, i+2, row); err != nil {
				return err
			}
		}
		_ = f.SetPanes(t.Name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("report: xlsx: %w", err)
	}
	return nil
}

func setRow(f *excelize.File, sheet string, n int, cells []any) error {
	cells = slices.Clone(cells)
	for i, c := range cells {
		if h, ok := c.(Hidden); ok {
			cells[i] = string(h) // a mark is text, not a number
		}
	}
	if err := f.SetSheetRow(sheet, "A"+strconv.Itoa(n), &cells); err != nil {
		return fmt.Errorf("report: xlsx %s row %d: %w", sheet, n, err)
	}
	return nil
}

func strings2any(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// FileName is the download name of r in format ext (csv or xlsx).
func FileName(r Report, ext string) string {
	return "laporan-triwulan-" + strings.ReplaceAll(r.Scope, ".", "") + "-" + r.Period.From + "-" + r.Period.To + "." + ext
}
