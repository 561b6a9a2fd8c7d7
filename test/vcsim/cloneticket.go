package main

// The vSphere Client's clone-ticket endpoint. A remote plugin's server receives the user's
// session token (header vmware-api-session-id) with every call from its UI, and exchanges it here
// for a clone ticket, which SessionManager.CloneSession turns into a SOAP session of that user.
// In this simulator the token is a SOAP session id (the vmware_soap_session cookie value): tests
// log in as a user over SOAP and hand that id to Lifeline as the vSphere Client would its token.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"

	"github.com/vmware/govmomi/vim25/soap"
)

var cloneTicketReturnval = regexp.MustCompile(`<returnval>([^<]+)</returnval>`)

type vapiError struct {
	ErrorType string        `json:"error_type"`
	Messages  []vapiMessage `json:"messages"`
}

type vapiMessage struct {
	ID             string `json:"id"`
	DefaultMessage string `json:"default_message"`
}

func writeVapiError(w http.ResponseWriter, status int, kind, msg string) {
	writeJSON(w, status, vapiError{ErrorType: kind, Messages: []vapiMessage{{ID: "com.vmware.vapi.std.errors." + strings.ToLower(kind), DefaultMessage: msg}}})
}

func (h *harness) serveCloneTicket(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeVapiError(w, http.StatusMethodNotAllowed, "OPERATION_NOT_FOUND", "use POST")
		return
	}
	token := strings.TrimSpace(r.Header.Get("vmware-api-session-id"))
	if token == "" {
		writeVapiError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "missing vmware-api-session-id header")
		return
	}
	if _, ok := h.session(token); !ok {
		writeVapiError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "the session is not authenticated")
		return
	}
	var req struct {
		VcGUID string `json:"vc_guid"`
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil || json.Unmarshal(data, &req) != nil {
		writeVapiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", `body must be {"vc_guid": "<vCenter instance UUID>"}`)
		return
	}
	if req.VcGUID == "" {
		writeVapiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "vc_guid is required")
		return
	}
	if !strings.EqualFold(req.VcGUID, h.instanceUUID) {
		writeVapiError(w, http.StatusNotFound, "NOT_FOUND", "no vCenter with vc_guid "+req.VcGUID)
		return
	}

	// Acquire the ticket through the simulator's own SessionManager.AcquireCloneTicket, in the
	// caller's session, so that CloneSession yields a session of the same user.
	envelope := `<?xml version="1.0" encoding="UTF-8"?>` +
		`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">` +
		`<soapenv:Body><AcquireCloneTicket xmlns="urn:vim25">` +
		`<_this type="SessionManager">` + h.model.ServiceContent.SessionManager.Value + `</_this>` +
		`</AcquireCloneTicket></soapenv:Body></soapenv:Envelope>`
	sdk := httptest.NewRequest(http.MethodPost, "/sdk", bytes.NewReader([]byte(envelope)))
	sdk.RemoteAddr = r.RemoteAddr
	sdk.Header.Set("Content-Type", "text/xml")
	sdk.AddCookie(&http.Cookie{Name: soap.SessionCookieName, Value: token})
	rec := httptest.NewRecorder()
	h.inner.ServeHTTP(rec, sdk)
	m := cloneTicketReturnval.FindSubmatch(rec.Body.Bytes())
	if rec.Code != http.StatusOK || m == nil {
		writeVapiError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "the session is not authenticated")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"session_clone_ticket": string(m[1])})
}
