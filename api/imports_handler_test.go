package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/listimport"
	"github.com/tuntas-id/tuntas/workflows"
)

// importCSV is a household list: columns in another order and case, a
// byte-order mark, three good rows (lines 2, 4, 7) and three bad ones.
const importCSV = "\ufeffSource,KK,head_nik,HEAD_NAME,village_code,address,desil\n" +
	"p3ke,6408010101190001,6408014101750001,Siti Aminah,64.08.01.2001,RT 01,2\n" +
	"p3ke,6408011503190099,6408013299850001,Baharuddin,64.08.01.2001,RT 09,1\n" + // NIK day 32
	"dtsen,6408010202190002,6408010202760002,Ahmad Yani,64.08.01.2002,RT 02,\n" +
	"p3ke,6408011603190098,6408011603850002,Ratna,64.08.99.2001,RT 10,1\n" + // no such village
	"p3ke,6408011703190097,\"6408011\"703850002,Rina,64.08.01.2001,RT 11,1\n" + // not CSV
	"dtsen,6408030404190004,6408030404780004,Jumadi,64.08.03.2001,RT 04,1\n"

// upload posts a list as the admin of the province.
func (ht *handlerTest) upload(contentType string, body []byte) (int, listimport.Progress, string) {
	ht.t.Helper()
	rec := serve(ht.t, ht.h, http.MethodPost, "/v1/imports", ht.token(household.RoleAdmin, "64"), contentType, bytes.NewReader(body))
	var p listimport.Progress
	if rec.Code == http.StatusAccepted {
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			ht.t.Fatal(err)
		}
	}
	return rec.Code, p, rec.Body.String()
}

// TestAnImportStoresValidRowsAndRowErrorsThenStartsItsWorkflow: the list is
// read as a stream and checked row by row with the rules of opening a
// case; the workflow that opens the cases starts once the file is stored.
func TestAnImportStoresValidRowsAndRowErrorsThenStartsItsWorkflow(t *testing.T) {
	ht := newHandlerTest(t)
	status, prog, body := ht.upload("text/csv", []byte(importCSV))
	if status != http.StatusAccepted {
		t.Fatalf("= %d, want 202: %s", status, body)
	}
	if prog.RowsRead != 6 || prog.Valid != 3 || prog.Rejected != 3 || prog.Chunks != 1 || prog.Status != listimport.Running || prog.CreatedBy == "" {
		t.Errorf("progress %+v, want 6 rows read, 3 valid in one chunk, 3 rejected, running", prog)
	}
	var lines []int
	for _, r := range ht.imports.chunks[prog.ID][0] {
		lines = append(lines, r.Row)
	}
	if !slices.Equal(lines, []int{2, 4, 7}) {
		t.Errorf("stored lines %v, want 2, 4, 7", lines)
	}
	if got := ht.imports.chunks[prog.ID][0][1].Open; got.KK != "6408010202190002" || got.Source != household.SourceDTSEN || got.Desil != 0 {
		t.Errorf("line 4 stored as %+v, want its columns and no desil", got)
	}
	var rejected []string
	for _, e := range ht.imports.errs {
		rejected = append(rejected, fmt.Sprintf("%d:%s", e.Row, e.Field))
	}
	if !slices.Equal(rejected, []string{"3:head_nik", "5:village_code", "6:(row)"}) {
		t.Errorf("row errors %v, want line 3 head_nik, line 5 village_code, line 6 (row)", rejected)
	}
	sent := ht.temporal.sent()
	if len(sent) != 1 || sent[0].kind != "start" || sent[0].workflowID != workflows.ImportWorkflowID(prog.ID) {
		t.Fatalf("sent %+v, want the start of %s", sent, workflows.ImportWorkflowID(prog.ID))
	}
	if in, ok := sent[0].args[0].(workflows.ImportInput); !ok || in.Progress.ID != prog.ID || in.Actor.Role != household.RoleAdmin {
		t.Errorf("the import workflow starts with %+v", sent[0].args)
	}

	rec := ht.do(http.MethodGet, "/v1/imports/"+prog.ID, ht.token(household.RoleAdmin, "64"), nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"errorsShown":3`) {
		t.Errorf("GET the import = %d: %s", rec.Code, rec.Body)
	}
	if rec := ht.do(http.MethodGet, "/v1/imports/imp-none", ht.token(household.RoleAdmin, "64"), nil); rec.Code != http.StatusNotFound {
		t.Errorf("GET a missing import = %d, want 404", rec.Code)
	}
}

// TestAnImportReportsRepeatedRowsAsFlagsBesideRowErrors: a row repeating
// an earlier row's KK is valid, stored to be opened and counted as
// flagged; GET /v1/imports/{id} lists its flag with the row errors, told
// apart by kind, as the document describes.
func TestAnImportReportsRepeatedRowsAsFlagsBesideRowErrors(t *testing.T) {
	ht := newHandlerTest(t)
	list := importCSV + "p3ke,6408010101190001,6408014101750009,Siti Aminah,64.08.01.2001,RT 01,2\n" // line 8 repeats line 2's KK
	status, prog, body := ht.upload("text/csv", []byte(list))
	if status != http.StatusAccepted || prog.Valid != 4 || prog.Rejected != 3 || prog.Flagged != 1 {
		t.Fatalf("= %d %+v: %s", status, prog, body)
	}
	rec := ht.do(http.MethodGet, "/v1/imports/"+prog.ID, ht.token(household.RoleAdmin, "64"), nil)
	var rep listimport.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("GET the import = %d: %s", rec.Code, rec.Body)
	}
	var flags, errs []string
	for _, e := range rep.Errors {
		if e.IsFlag() {
			flags = append(flags, fmt.Sprintf("%d:%s:%s", e.Row, e.Field, e.Message))
		} else {
			errs = append(errs, fmt.Sprintf("%d:%s", e.Row, e.Field))
		}
	}
	if !slices.Equal(flags, []string{"8:kk:kk also on line 2"}) || len(errs) != 3 || rep.Import.Flagged != 1 || rep.ErrorsShown != 4 {
		t.Errorf("report: flags %q, errors %q, %+v", flags, errs, rep.Import)
	}
	if strings.Contains(rec.Body.String(), `"kind":"error"`) || !strings.Contains(rec.Body.String(), `"kind":"flag"`) {
		t.Errorf("row errors carry no kind, flags carry kind flag: %s", rec.Body)
	}
}

func TestAnImportKeepsValidRowsInChunksOf250(t *testing.T) {
	ht := newHandlerTest(t)
	var b strings.Builder
	b.WriteString("kk,head_nik,head_name,village_code,address,source\n")
	for i := range 251 {
		fmt.Fprintf(&b, "640801010120%04d,6408014101850001,Kepala %d,64.08.01.2001,RT 01,p3ke\n", i+1, i+1)
	}
	status, prog, body := ht.upload("text/csv", []byte(b.String()))
	if status != http.StatusAccepted || prog.Valid != 251 || prog.Chunks != 2 {
		t.Fatalf("= %d %+v: %s", status, prog, body)
	}
	if c := ht.imports.chunks[prog.ID]; len(c) != 2 || len(c[0]) != listimport.ChunkSize || len(c[1]) != 1 || c[1][0].Row != 252 {
		t.Errorf("chunks of %d rows, want 250 then 1 (line 252)", len(c))
	}
}

func TestAListWithoutValidRowsIsDoneWithoutAWorkflow(t *testing.T) {
	ht := newHandlerTest(t)
	status, prog, body := ht.upload("text/csv", []byte("kk,head_nik,head_name,village_code,address,source\n1,2,3,4,5,6\n"))
	if status != http.StatusAccepted || prog.Status != listimport.Done || prog.Rejected != 1 || prog.FinishedAt.IsZero() {
		t.Fatalf("= %d %+v: %s", status, prog, body)
	}
	if sent := ht.temporal.sent(); len(sent) != 0 {
		t.Errorf("sent %+v for a list with nothing to open", sent)
	}
}

func TestAnImportTakesTheFilePartOfAMultipartForm(t *testing.T) {
	ht := newHandlerTest(t)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("note", "ignored"); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("file", "p3ke-muara-ancalong.csv")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(importCSV))
	mw.Close()
	status, prog, raw := ht.upload(mw.FormDataContentType(), body.Bytes())
	if status != http.StatusAccepted || prog.FileName != "p3ke-muara-ancalong.csv" || prog.Valid != 3 {
		t.Fatalf("= %d %+v: %s", status, prog, raw)
	}
}

func TestAnImportIsRefusedBeforeAnythingIsStored(t *testing.T) {
	var noFile bytes.Buffer
	mw := multipart.NewWriter(&noFile)
	mw.WriteField("note", "no file here")
	mw.Close()
	tests := []struct {
		name        string
		role        household.Role
		region      string
		contentType string
		body        string
		status      int
	}{
		{"by a supervisor", household.RoleSupervisor, "64.08", "text/csv", importCSV, http.StatusForbidden},
		{"by a caseworker", household.RoleCaseworker, "64.08.01", "text/csv", importCSV, http.StatusForbidden},
		{"as JSON", household.RoleAdmin, "64", "application/json", `{"rows":1}`, http.StatusUnsupportedMediaType},
		{"without a header row", household.RoleAdmin, "64", "text/csv", "", http.StatusUnprocessableEntity},
		{"with a header lacking columns", household.RoleAdmin, "64", "text/csv", "kk,head_nik\n1,2\n", http.StatusUnprocessableEntity},
		{"as a form without a file", household.RoleAdmin, "64", mw.FormDataContentType(), noFile.String(), http.StatusUnprocessableEntity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ht := newHandlerTest(t)
			rec := serve(t, ht.h, http.MethodPost, "/v1/imports", ht.token(tt.role, tt.region), tt.contentType, strings.NewReader(tt.body))
			if rec.Code != tt.status {
				t.Fatalf("= %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			problemOf(t, rec)
			if len(ht.imports.progress) != 0 || len(ht.temporal.sent()) != 0 {
				t.Error("a refused import was stored or started")
			}
		})
	}
}
