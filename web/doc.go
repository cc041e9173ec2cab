// Package web is evalroom's HTTP layer: a gin server with the REST API
// (described by the embedded OpenAPI document served at
// /api/openapi.yaml), password login with a session cookie, role checks,
// the audit API, health checks, the expert pool API and the experts'
// confirmation page.
//
// A handler authenticates, parses, calls the feature with the request's
// context and maps the error (errors.go is the one place where errors
// become status codes). Errors are JSON:
//
//	{"error": {"code": "invalid", "message": "<中文说明>"}}
//
// Every route needs a logged-in user with a suitable role except login,
// the health checks, the OpenAPI document, the experts' confirmation pages
// (authorised by their signed link), the gateway callback (authorised by
// its HMAC signature), the device-token route (authorised by the edge
// recorder's Ed25519 signature), the clock exchange POST /api/clock (it
// reveals only the server's time; limited per client address) and the SFU mounted under /media/
// (authorised by media tokens, which logged-in users get from
// POST /api/sessions/{id}/media-token).
//
// CSRF: the session cookie is SameSite=Lax, and every unsafe request
// (POST, PUT, PATCH, DELETE) under /api/ except the gateway callback, the
// device-token route and the clock exchange must carry the header
// "X-Requested-With" (any value). Browsers do not let another origin set
// that header without a CORS preflight, which this server never grants,
// so a forged cross-site form or fetch is refused with 403 before it
// reaches a handler. The confirmation form at /confirm/
// is authorised by its secret link, not by a cookie, and needs no header.
//
// web is the only package that imports gin. It does not touch the database
// itself: it talks to auth, the audit log and the features through their
// APIs and narrow interfaces.
package web
