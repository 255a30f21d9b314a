package oidcprovider

import (
	"context"
	"html/template"
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// sessionCookie names the login page's browser session.
const sessionCookie = "devsso"

// login is the provider's login page: a name and a password, or "Tolak"
// (the person refuses to sign in to the application).
type login struct {
	store    *storage
	callback func(context.Context, string) string
	provider *op.Provider
}

var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Masuk · penyedia identitas pengembangan</title></head>
<body>
<main>
<h1>Masuk</h1>
<p>Penyedia identitas untuk pengembangan dan pengujian Tuntas. Setiap orang contoh memakai sandi <code>tuntas</code>.</p>
{{if .Error}}<p role="alert" id="login-error">{{.Error}}</p>{{end}}
<form method="post" action="/login" id="login-form">
<input type="hidden" name="authRequestID" value="{{.ID}}">
<p><label for="username">Nama pengguna</label><br><input id="username" name="username" value="{{.Username}}" autocomplete="username" required></p>
<p><label for="password">Sandi</label><br><input id="password" name="password" type="password" autocomplete="current-password"></p>
<p><button type="submit" name="action" value="signin" id="login-submit">Masuk</button>
<button type="submit" name="action" value="deny" id="login-deny" formnovalidate>Tolak</button></p>
</form>
</main>
</body></html>`))

var signedOutPage = template.Must(template.New("out").Parse(`<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><title>Keluar</title></head>
<body><main><h1 id="signed-out">Anda sudah keluar.</h1></main></body></html>`))

type loginData struct {
	ID, Username, Error string
}

func render(w http.ResponseWriter, t *template.Template, status int, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = t.Execute(w, data)
}

// page shows the login form, or, for a browser signed in here already
// (and a request that does not insist on a fresh login), completes the
// request at once: single sign-on, which the client's sign-out must end.
func (l *login) page(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("authRequestID")
	req, err := l.store.AuthRequestByID(r.Context(), id)
	if err != nil {
		http.Error(w, "permintaan masuk tidak dikenal atau kedaluwarsa", http.StatusBadRequest)
		return
	}
	if ck, err := r.Cookie(sessionCookie); err == nil && !req.(*authRequest).forceAuth {
		if user := l.store.session(ck.Value); user != "" && l.store.complete(id, user) == nil {
			http.Redirect(w, r, l.callback(r.Context(), id), http.StatusFound)
			return
		}
	}
	render(w, loginPage, http.StatusOK, loginData{ID: id})
}

// submit checks the name and password, or refuses the request for the
// person (access_denied back at the client).
func (l *login) submit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "formulir tidak terbaca", http.StatusBadRequest)
		return
	}
	id := r.PostForm.Get("authRequestID")
	req, err := l.store.AuthRequestByID(r.Context(), id)
	if err != nil {
		http.Error(w, "permintaan masuk tidak dikenal atau kedaluwarsa", http.StatusBadRequest)
		return
	}
	if r.PostForm.Get("action") == "deny" {
		_ = l.store.DeleteAuthRequest(r.Context(), id)
		op.AuthRequestError(w, r, req, oidc.ErrAccessDenied().WithDescription("the person refused"), l.provider)
		return
	}
	user := r.PostForm.Get("username")
	if !l.store.checkPassword(user, r.PostForm.Get("password")) {
		render(w, loginPage, http.StatusUnauthorized, loginData{ID: id, Username: user, Error: "Nama pengguna atau sandi salah."})
		return
	}
	if err := l.store.complete(id, user); err != nil {
		http.Error(w, "permintaan masuk tidak dikenal atau kedaluwarsa", http.StatusBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: l.store.startSession(user), Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, l.callback(r.Context(), id), http.StatusFound)
}

// signedOut is where a sign-out without a client's own page ends.
func signedOut(w http.ResponseWriter, _ *http.Request) {
	render(w, signedOutPage, http.StatusOK, nil)
}
