package cli

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// tokenCookie carries the --token after a browser first opened a page with
// ?token=, so that the links on the pages work without the token in them.
const tokenCookie = "sagefence_token"

// serveGuard protects the evidence pages:
//
//   - Host check (DNS rebinding): a request is answered only when its Host
//     header names the listen host, localhost, 127.0.0.1 or [::1] (any
//     port), or a name given with --allow-host. A web page on another origin
//     that rebinds its DNS name to 127.0.0.1 sends its own name as Host and
//     gets 421, never the evidence.
//   - Token (--token): when set, every request must carry it as
//     "Authorization: Bearer TOKEN", as ?token=TOKEN, or in the cookie a
//     ?token= request sets (HttpOnly, SameSite=Strict). Tokens are compared
//     in constant time. A request without it gets 401.
type serveGuard struct {
	next    http.Handler
	allowed map[string]bool // lower-case host names and IP literals, without port or brackets
	token   string
}

// newServeGuard builds the guard for a listen address ("host:port").
func newServeGuard(next http.Handler, listen string, allowHosts []string, token string) *serveGuard {
	g := &serveGuard{next: next, token: token, allowed: map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}}
	if host, _, err := net.SplitHostPort(listen); err == nil && host != "" && !isWildcard(host) {
		g.allowed[strings.ToLower(host)] = true
	}
	for _, h := range allowHosts {
		if h = strings.ToLower(strings.Trim(h, "[]")); h != "" {
			g.allowed[h] = true
		}
	}
	return g
}

func (g *serveGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if !g.allowed[host] {
		http.Error(w, fmt.Sprintf("sagefence serve: host %q is not allowed (start serve with --allow-host %s to allow it)", r.Host, host),
			http.StatusMisdirectedRequest)
		return
	}
	if g.token != "" {
		fromQuery := r.URL.Query().Get("token")
		got := fromQuery
		if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
			got = strings.TrimPrefix(auth, "Bearer ")
		} else if got == "" {
			if c, err := r.Cookie(tokenCookie); err == nil {
				got = c.Value
			}
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(g.token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sagefence"`)
			http.Error(w, "sagefence serve: a valid token is required (Authorization: Bearer TOKEN, or ?token=TOKEN)", http.StatusUnauthorized)
			return
		}
		if fromQuery != "" {
			http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: g.token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		}
	}
	g.next.ServeHTTP(w, r)
}

func isWildcard(host string) bool {
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsUnspecified()
}

// isLoopbackListen reports whether a listen address only accepts local
// connections (a loopback IP or localhost).
func isLoopbackListen(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// listenHost is the host part of a --listen address as written ("" when it
// has none), so that a name such as "evidence.internal:8080" is accepted as
// Host even though the listener reports an IP.
func listenHost(listen string) string {
	host, _, err := net.SplitHostPort(listen)
	if err != nil || isWildcard(host) {
		return ""
	}
	return host
}
