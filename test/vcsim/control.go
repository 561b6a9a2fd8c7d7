package main

// Test-only control endpoints under /lifeline-sim/: fault and delay injection for named SOAP
// methods, session expiry, users, guest writes into disks, CBT reset, call counts and the
// extension servers a registration sent. A real
// vCenter has none of them; Lifeline itself never calls them. See README.md.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

const controlPrefix = "/lifeline-sim/"

type faultRule struct {
	ID        int                    `json:"id"`
	Method    string                 `json:"method"`
	Moref     string                 `json:"moref,omitempty"`
	Count     int                    `json:"count"`
	Remaining int                    `json:"remaining"`
	Fault     string                 `json:"fault,omitempty"`
	Message   string                 `json:"message,omitempty"`
	Fields    map[string]interface{} `json:"fields,omitempty"`
	DelayMs   int                    `json:"delayMs,omitempty"`
	// AfterBytes, for method "HTTP PUT": the upload is cut (the connection closed) once this many
	// bytes of its body have reached the file, as a network failure halfway through an upload.
	// Moref then matches the datastore file's name (the last element of its /folder path).
	AfterBytes int64 `json:"afterBytes,omitempty"`
	// NoTask, for a *_Task method with a fault: the call itself answers with the fault (a SOAP
	// fault, no task started), as vCenter refuses a call it finds wrong before it starts a task
	// (RelocateVM_Task lists InvalidState, InvalidDatastore, ... among its faults).
	NoTask bool `json:"noTask,omitempty"`
}

type faultTable struct {
	mu     sync.Mutex
	nextID int
	rules  []*faultRule
	calls  map[string]int
	// cleared is closed (and replaced) when the rules are cleared: delayed relocations under way
	// stop waiting then, so a test ends a long delay when it has done what it needed meanwhile.
	cleared chan struct{}
}

func newFaultTable() *faultTable {
	return &faultTable{nextID: 1, calls: map[string]int{}, cleared: make(chan struct{})}
}

// clearedSignal is closed at the next clear of the rules.
func (t *faultTable) clearedSignal() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cleared
}

func (t *faultTable) add(r *faultRule) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r.ID = t.nextID
	t.nextID++
	r.Remaining = r.Count
	t.rules = append(t.rules, r)
}

// take counts the call and returns the first rule that applies to it, using up one of its
// calls. A rule with count -1 applies until cleared.
func (t *faultTable) take(method, moref string) *faultRule {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls[method]++
	for i, r := range t.rules {
		if r.Method != method || (r.Moref != "" && r.Moref != moref) {
			continue
		}
		if r.Remaining > 0 {
			r.Remaining--
			if r.Remaining == 0 {
				t.rules = append(t.rules[:i], t.rules[i+1:]...)
			}
		}
		c := *r
		return &c
	}
	return nil
}

// count counts a call that no rule was looked up for (one refused before the rules apply).
func (t *faultTable) count(method string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls[method]++
}

func (t *faultTable) list() []faultRule {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]faultRule, 0, len(t.rules))
	for _, r := range t.rules {
		out = append(out, *r)
	}
	return out
}

func (t *faultTable) clear() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(t.rules)
	t.rules = nil
	close(t.cleared)
	t.cleared = make(chan struct{})
	return n
}

func (t *faultTable) callCounts(reset bool) map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]int, len(t.calls))
	for k, v := range t.calls {
		out[k] = v
	}
	if reset {
		t.calls = map[string]int{}
	}
	return out
}

func (r *faultRule) makeFault() (types.BaseMethodFault, string, error) {
	if r.Fault == "" {
		return nil, "", nil
	}
	f, err := newFault(r.Fault)
	if err != nil {
		return nil, "", err
	}
	if err := setFaultFields(f, r.Fields); err != nil {
		return nil, "", err
	}
	msg := r.Message
	if msg == "" {
		msg = fmt.Sprintf("%s (injected by the Lifeline vCenter simulator)", r.Fault)
	}
	return f, msg, nil
}

// applyRule serves a call that a rule matched. A task method fails the way a vCenter task fails:
// the call returns a task that ends in error. A delayed task method returns its task at once,
// running, and does the work when the delay is over, so a client sees a slow task, not a slow
// call.
func (h *harness) applyRule(w http.ResponseWriter, r *http.Request, body []byte, method *simulator.Method, rule *faultRule) {
	fault, msg, err := rule.makeFault()
	if err != nil {
		writeFault(w, err.Error(), &types.SystemError{Reason: err.Error()})
		return
	}
	delay := time.Duration(rule.DelayMs) * time.Millisecond
	isTask := strings.HasSuffix(method.Name, "_Task")
	if rule.NoTask {
		writeFault(w, msg, fault)
		return
	}

	// A delayed Storage vMotion (disk locators) is the harness's own relocation (relocate.go),
	// which copies a disk through NFS from an NFS datastore, started late: its task runs, with its
	// progress moving and cancelable, for the delay before the copy, as a relocation of a large
	// disk takes time.
	if req, ok := method.Body.(*types.RelocateVM_Task); ok && fault == nil && delay > 0 && len(req.Spec.Disk) > 0 {
		h.relocateDisksAfter(w, req, delay)
		return
	}

	if isTask && (delay > 0 || fault != nil) {
		task := newTask(method.Name, method.This)
		startTask(task)
		res := taskResponse(method.Name, task.Self)
		run := func(req *http.Request) {
			time.Sleep(delay)
			if fault != nil {
				finishTask(task, nil, fault, msg)
				return
			}
			rec := h.dispatch(req, body, method)
			if rec.Code != http.StatusOK {
				m, f, err := decodeFault(rec.Body.Bytes())
				if err != nil {
					f = &types.SystemError{Reason: err.Error()}
				}
				finishTask(task, nil, f, m)
				return
			}
			inner := finishedTask(rec.Body.Bytes())
			switch {
			case inner == nil:
				finishTask(task, nil, &types.SystemError{Reason: "no task"}, "")
			case inner.Info.Error != nil:
				finishTask(task, nil, inner.Info.Error.Fault, inner.Info.Error.LocalizedMessage)
			default:
				finishTask(task, inner.Info.Result, nil, "")
			}
		}
		if delay > 0 {
			go run(r.Clone(r.Context()))
		} else {
			run(r)
		}
		writeResult(w, res)
		return
	}

	time.Sleep(delay)
	if fault != nil {
		writeFault(w, msg, fault)
		return
	}
	h.answer(w, r, body, method)
}

func writeJSON(w http.ResponseWriter, status int, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func readJSON(r *http.Request, v interface{}) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

type problem struct {
	Error string `json:"error"`
}

func (h *harness) serveControl(w http.ResponseWriter, r *http.Request) {
	route := strings.TrimPrefix(r.URL.Path, controlPrefix)
	switch {
	case route == "faults" && r.Method == http.MethodPost:
		var rule faultRule
		if err := readJSON(r, &rule); err != nil {
			writeJSON(w, http.StatusBadRequest, problem{err.Error()})
			return
		}
		if rule.Method == "" || (rule.Fault == "" && rule.DelayMs <= 0 && rule.AfterBytes <= 0) {
			writeJSON(w, http.StatusBadRequest, problem{"method and one of fault, delayMs (> 0) or afterBytes (> 0) are required"})
			return
		}
		if rule.AfterBytes != 0 && (rule.Method != uploadMethod || rule.AfterBytes < 0 || rule.Fault != "") {
			writeJSON(w, http.StatusBadRequest, problem{"afterBytes (> 0) applies only to method \"" + uploadMethod + "\", without a fault"})
			return
		}
		if rule.NoTask && (rule.Fault == "" || !strings.HasSuffix(rule.Method, "_Task")) {
			writeJSON(w, http.StatusBadRequest, problem{"noTask applies only to a *_Task method with a fault"})
			return
		}
		if rule.Count == 0 {
			rule.Count = 1
		}
		if rule.Count < -1 || rule.DelayMs < 0 {
			writeJSON(w, http.StatusBadRequest, problem{"count must be -1 (always) or positive; delayMs must not be negative"})
			return
		}
		if _, _, err := rule.makeFault(); err != nil {
			writeJSON(w, http.StatusBadRequest, problem{err.Error()})
			return
		}
		h.faults.add(&rule)
		writeJSON(w, http.StatusCreated, rule)
	case route == "faults" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, h.faults.list())
	case route == "faults" && r.Method == http.MethodDelete:
		writeJSON(w, http.StatusOK, map[string]int{"cleared": h.faults.clear()})
	case strings.HasPrefix(route, "extensions/") && strings.HasSuffix(route, "/servers") && r.Method == http.MethodGet:
		key := strings.TrimSuffix(strings.TrimPrefix(route, "extensions/"), "/servers")
		servers, ok := receivedExtensionServers(key)
		if !ok {
			writeJSON(w, http.StatusNotFound, problem{"no RegisterExtension or UpdateExtension for " + key})
			return
		}
		writeJSON(w, http.StatusOK, servers)
	case route == "calls" && (r.Method == http.MethodGet || r.Method == http.MethodDelete):
		writeJSON(w, http.StatusOK, h.faults.callCounts(r.Method == http.MethodDelete))
	case route == "sessions" && r.Method == http.MethodGet:
		type sess struct {
			Key      string `json:"key"`
			UserName string `json:"userName"`
		}
		out := []sess{}
		for _, s := range h.sessions() {
			out = append(out, sess{s.Key, s.UserName})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
		writeJSON(w, http.StatusOK, out)
	case route == "sessions/expire" && r.Method == http.MethodPost:
		var req struct {
			Username string `json:"username"`
		}
		if err := readJSON(r, &req); err != nil {
			writeJSON(w, http.StatusBadRequest, problem{err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"expired": h.expireSessions(req.Username)})
	case route == "users" && r.Method == http.MethodPost:
		var req struct {
			Username         string              `json:"username"`
			Password         string              `json:"password"`
			Admin            bool                `json:"admin"`
			Privileges       []string            `json:"privileges"`
			EntityPrivileges map[string][]string `json:"entityPrivileges"`
		}
		if err := readJSON(r, &req); err != nil {
			writeJSON(w, http.StatusBadRequest, problem{err.Error()})
			return
		}
		if req.Username == "" || req.Password == "" {
			writeJSON(w, http.StatusBadRequest, problem{"username and password are required"})
			return
		}
		u := &user{name: req.Username, password: req.Password, admin: req.Admin,
			global: map[string]bool{}, entity: map[string]map[string]bool{}}
		for _, p := range req.Privileges {
			u.global[p] = true
		}
		for moref, privs := range req.EntityPrivileges {
			u.entity[moref] = map[string]bool{}
			for _, p := range privs {
				u.entity[moref][p] = true
			}
		}
		h.users.put(u)
		writeJSON(w, http.StatusCreated, map[string]string{"username": req.Username})
	case route == "disks/write" && r.Method == http.MethodPost:
		h.serveDiskWrite(w, r)
	case route == "disks/read" && r.Method == http.MethodGet:
		h.serveDiskRead(w, r)
	case route == "cbt/reset" && r.Method == http.MethodPost:
		var req struct {
			VM string `json:"vm"`
		}
		if err := readJSON(r, &req); err != nil || req.VM == "" {
			writeJSON(w, http.StatusBadRequest, problem{"body must be {\"vm\": \"<moref>\"}"})
			return
		}
		ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: req.VM}
		if _, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine); !ok {
			writeJSON(w, http.StatusNotFound, problem{"no such VM: " + req.VM})
			return
		}
		h.cbt.reset(ref)
		writeJSON(w, http.StatusOK, map[string]string{"vm": req.VM})
	case route == "vms/tools" && r.Method == http.MethodPost:
		h.serveTools(w, r)
	case route == "health":
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	default:
		writeJSON(w, http.StatusNotFound, problem{fmt.Sprintf("no control endpoint %s %s", r.Method, r.URL.Path)})
	}
}
