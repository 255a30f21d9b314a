package photos_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/devstack/ferret/ferrettest"
	"github.com/tuntas-id/tuntas/internal/photos"
)

func TestMain(m *testing.M) { os.Exit(ferrettest.Main(m)) }

// newStore returns the photos of a fresh database, set up as `tuntas dev`
// sets up its own: the collection, then the SQLite _id index.
func newStore(t *testing.T) *photos.Store {
	t.Helper()
	db := ferrettest.Database(t)
	st := photos.New(db)
	if err := st.EnsureCollection(context.Background()); err != nil {
		t.Fatal(err)
	}
	ferrettest.IndexIDs(t, db.Name())
	return st
}

func photo(caseID, fill string) photos.Photo {
	return photos.Photo{CaseID: caseID, ID: strings.Repeat(fill, 64), Bytes: bytes.Repeat([]byte(fill), 150_000),
		Width: 640, Height: 480, By: "cw-1", At: time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)}
}

func TestAPhotoIsStoredOnceAndReadBackWholeUnderItsCase(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	p := photo("case-1", "a")
	if isNew, err := st.Put(ctx, p); err != nil || !isNew {
		t.Fatalf("first Put = %t, %v", isNew, err)
	}
	again := p
	again.By = "cw-2"
	if isNew, err := st.Put(ctx, again); err != nil || isNew {
		t.Fatalf("second Put = %t, %v; want stored once, no error", isNew, err)
	}
	got, err := st.Get(ctx, "case-1", p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes, p.Bytes) || got.By != "cw-1" || got.Width != 640 || !got.At.Equal(p.At) {
		t.Errorf("read back %d bytes by %s, %d px wide, at %v", len(got.Bytes), got.By, got.Width, got.At)
	}
	if has, err := st.Has(ctx, "case-1", p.ID); err != nil || !has {
		t.Errorf("Has = %t, %v", has, err)
	}
	// The same bytes under another case are that case's only once uploaded there.
	if _, err := st.Get(ctx, "case-2", p.ID); !errors.Is(err, photos.ErrNotFound) {
		t.Errorf("Get under another case = %v; want ErrNotFound", err)
	}
	if has, err := st.Has(ctx, "case-2", p.ID); err != nil || has {
		t.Errorf("Has under another case = %t, %v", has, err)
	}
}

func TestPhotosSentAtOnceAreStoredOnce(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	p := photo("case-1", "b")
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	news := make(chan bool, 4)
	for range 4 {
		wg.Go(func() {
			isNew, err := st.Put(ctx, p)
			errs <- err
			news <- isNew
		})
	}
	wg.Wait()
	close(errs)
	close(news)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	n := 0
	for isNew := range news {
		if isNew {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d of 4 concurrent puts stored the photo; want 1", n)
	}
}
