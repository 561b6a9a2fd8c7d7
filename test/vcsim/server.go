package main

// The HTTPS server: the simulator's own handlers (SOAP /sdk, datastore /folder, ...) behind a
// front handler that adds what a real vCenter does and the simulator does not: per-user login
// and privileges, NotAuthenticated for every call without a live session, authenticated datastore
// access, CBT, the clone-ticket endpoint, and the test-only control endpoints.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type harness struct {
	opts         *options
	model        *simulator.Model
	server       *simulator.Server
	inner        http.Handler
	client       *vim25.Client
	certDER      []byte
	instanceUUID string
	url          string

	dcs []*dcInfo
	vms []createdVM

	users  *userTable
	faults *faultTable
	cbt    *cbtTracker
	nas    *nasTable
	relocs *relocationTable
}

func start(o *options, root string) (*harness, error) {
	ctx := context.Background()
	// The simulator makes each datastore directory with ioutil.TempDir("", ...): point it into
	// our own directory so that one RemoveAll cleans up everything.
	if err := os.Setenv("TMPDIR", root); err != nil {
		return nil, err
	}
	simulator.Trace = o.trace

	m := simulator.VPX()
	m.Datacenter = o.datacenters
	m.Cluster = o.clusters
	m.ClusterHost = o.hosts
	m.Host = 0
	m.Portgroup = 0
	m.Datastore = o.datastores
	m.Machine = 0
	m.Autostart = false
	// A real vCenter has its own instance UUID, and Lifeline keys vCenters by it: two simulators
	// started side by side (two sites) must differ.
	m.ServiceContent.About.InstanceUuid = uuid.New().String()
	if err := m.Create(); err != nil {
		return nil, fmt.Errorf("create model: %v", err)
	}

	h := &harness{
		opts:         o,
		model:        m,
		instanceUUID: m.ServiceContent.About.InstanceUuid,
		faults:       newFaultTable(),
		cbt:          newCbtTracker(o.cbtSpan),
		nas:          newNasTable(root),
		relocs:       newRelocationTable(),
	}
	var err error
	if h.users, err = newUserTable(o); err != nil {
		return nil, err
	}
	installExtensionManager()

	if h.client, err = vim25.NewClient(ctx, m.Service); err != nil {
		return nil, err
	}
	if h.dcs, err = listInventory(ctx, h.client); err != nil {
		return nil, err
	}
	if err = addPortgroups(ctx, h.client, h.dcs, o.portgroups); err != nil {
		return nil, err
	}
	if h.vms, err = createVMs(ctx, h.client, h.dcs, o); err != nil {
		return nil, err
	}

	cert, err := selfSignedCert()
	if err != nil {
		return nil, err
	}
	h.certDER = cert.Certificate[0]
	m.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	m.Service.Listen = &url.URL{Host: "127.0.0.1:0"}
	h.server = m.Service.NewServer()
	// Route every request through our front handler. No request can have arrived yet: the port is
	// only published by the ready line, printed after this.
	h.inner = h.server.Config.Handler
	h.server.Config.Handler = h
	addr := h.server.Listener.Addr().(*net.TCPAddr)
	h.url = fmt.Sprintf("https://127.0.0.1:%d/sdk", addr.Port)
	return h, nil
}

func (h *harness) stop() {
	done := make(chan struct{})
	go func() {
		h.server.Close()
		close(done)
	}()
	// Close waits for requests in flight; a long WaitForUpdatesEx poll must not hold up exit.
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		log.Printf("requests still in flight at shutdown; exiting anyway")
	}
	h.model.Remove()
}

func thumbprint(der []byte) string {
	sum := sha256.Sum256(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

func (h *harness) readyLine() (*ready, error) {
	r := &ready{
		URL:          h.url,
		Username:     h.opts.username,
		Password:     h.opts.password,
		Thumbprint:   thumbprint(h.certDER),
		Certificate:  string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: h.certDER})),
		InstanceUUID: h.instanceUUID,
		APIVersion:   h.model.ServiceContent.About.ApiVersion,
		CbtSpan:      h.opts.cbtSpan,
		CbtBlockSize: cbtBlockSize,
		Users:        h.users.describe(),
		Datastores:   []readyDatastore{},
		VMs:          []readyVM{},
	}
	for _, dc := range h.dcs {
		for _, ds := range dc.datastores {
			obj, ok := simulator.Map.Get(ds.Reference()).(*simulator.Datastore)
			if !ok {
				return nil, fmt.Errorf("datastore %s not found", ds.Reference().Value)
			}
			r.Datastores = append(r.Datastores, readyDatastore{
				Name:       obj.Name,
				Datacenter: dc.name,
				Moref:      obj.Self.Value,
				Dir:        obj.Info.GetDatastoreInfo().Url,
			})
		}
	}
	for _, c := range h.vms {
		vm, ok := simulator.Map.Get(c.ref).(*simulator.VirtualMachine)
		if !ok {
			return nil, fmt.Errorf("vm %s not found", c.ref.Value)
		}
		d, err := describeVM(vm, c.dc)
		if err != nil {
			return nil, err
		}
		r.VMs = append(r.VMs, d)
	}
	return r, nil
}

const cloneTicketPath = "/api/ui/vcenter/session/clone-ticket"

func (h *harness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == vim25.Path || p == vim25.Path+"/vimService":
		h.serveSDK(w, r)
	case p == cloneTicketPath:
		h.serveCloneTicket(w, r)
	case strings.HasPrefix(p, controlPrefix):
		h.serveControl(w, r)
	case strings.HasPrefix(p, "/folder"):
		// A vCenter serves datastore files only to an authenticated session (or HTTP basic auth),
		// so a client that forgets its session cookie must fail here as it would there.
		if !h.httpAuthenticated(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="VMware HTTP server"`)
			http.Error(w, "not authenticated", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPut {
			if rule := h.faults.take(uploadMethod, path.Base(r.URL.Path)); rule != nil {
				h.cutUpload(w, r, rule)
				return
			}
		}
		if h.serveNasFolder(w, r) || h.serveFolderPut(w, r) || h.serveFolderRange(w, r) {
			return
		}
		h.inner.ServeHTTP(w, r)
	default:
		h.inner.ServeHTTP(w, r)
	}
}

// The name uploads go by in fault rules and call counts.
const uploadMethod = "HTTP PUT"

// cutUpload serves an upload that a fault rule matched: with afterBytes, the first bytes of the
// body reach the file as usual and then the connection is closed without an answer, so the client
// sees the upload fail halfway and the datastore keeps a partial file, as after a network failure;
// otherwise the upload is refused with 500 before any byte is written.
func (h *harness) cutUpload(w http.ResponseWriter, r *http.Request, rule *faultRule) {
	time.Sleep(time.Duration(rule.DelayMs) * time.Millisecond)
	if rule.AfterBytes <= 0 {
		http.Error(w, fmt.Sprintf("%s (injected by the Lifeline vCenter simulator)", rule.Fault), http.StatusInternalServerError)
		return
	}
	partial := r.Clone(r.Context())
	partial.Body = ioutil.NopCloser(io.LimitReader(r.Body, rule.AfterBytes))
	h.inner.ServeHTTP(httptest.NewRecorder(), partial)
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func (h *harness) httpAuthenticated(r *http.Request) bool {
	if user, pass, ok := r.BasicAuth(); ok {
		return h.users.check(user, pass) != nil
	}
	if c, err := r.Cookie(soap.SessionCookieName); err == nil {
		_, ok := h.session(c.Value)
		return ok
	}
	return false
}

// Methods a vCenter answers without a session. The simulator also lets RetrieveProperties(Ex)
// through unauthenticated; a vCenter does not, and a client's re-login logic must see that.
var unauthenticatedMethods = map[string]bool{
	"RetrieveServiceContent":      true,
	"Login":                       true,
	"LoginByToken":                true,
	"LoginExtensionByCertificate": true,
	"LoginExtensionBySubjectName": true,
	"CloneSession":                true,
	"PbmRetrieveServiceContent":   true,
}

func (h *harness) serveSDK(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		h.inner.ServeHTTP(w, r)
		return
	}
	body, err := ioutil.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	method, err := decodeRequest(body)
	if err != nil {
		// Let the simulator produce its usual fault for a request it cannot decode.
		copyResponse(w, h.invoke(r, body))
		return
	}

	var sess *types.UserSession
	if c, err := r.Cookie(soap.SessionCookieName); err == nil {
		if s, ok := h.session(c.Value); ok {
			sess = &s
		}
	}
	if sess == nil && !unauthenticatedMethods[method.Name] {
		writeFault(w, "The session is not authenticated.", &types.NotAuthenticated{
			NoPermission: types.NoPermission{Object: method.This, PrivilegeId: "System.View"},
		})
		return
	}
	if method.Name == "Login" {
		req := method.Body.(*types.Login)
		if h.users.check(req.UserName, req.Password) == nil {
			writeFault(w, "Cannot complete login due to an incorrect user name or password.", &types.InvalidLogin{})
			return
		}
	}
	if sess != nil {
		if fault := h.checkMethodPrivilege(sess.UserName, method); fault != nil {
			writeFault(w, fmt.Sprintf("Permission to perform this operation was denied."), fault)
			return
		}
	}

	// A VM whose disks are moving refuses other operations before any rule applies, as vCenter.
	if h.refuseBusy(w, method) {
		return
	}
	if rule := h.faults.take(method.Name, method.This.Value); rule != nil {
		h.applyRule(w, r, body, method, rule)
		return
	}
	if method.Name == "RegisterExtension" || method.Name == "UpdateExtension" {
		recordExtensionServers(body)
	}
	h.answer(w, r, body, method)
}

// answer serves a decoded call: methods Lifeline's simulator implements itself, else the
// simulator's own, with the CBT bookkeeping that some of them need.
func (h *harness) answer(w http.ResponseWriter, r *http.Request, body []byte, method *simulator.Method) {
	switch req := method.Body.(type) {
	case *types.QueryChangedDiskAreas:
		res, msg, fault := h.cbt.query(req)
		if fault != nil {
			writeFault(w, msg, fault)
			return
		}
		writeResult(w, &types.QueryChangedDiskAreasResponse{Returnval: *res})
		return
	case *types.HasPrivilegeOnEntities:
		writeResult(w, &types.HasPrivilegeOnEntitiesResponse{Returnval: h.hasPrivilegeOnEntities(req)})
		return
	case *types.HasPrivilegeOnEntity:
		res := h.hasPrivilegeOnEntities(&types.HasPrivilegeOnEntities{
			Entity: []types.ManagedObjectReference{req.Entity}, SessionId: req.SessionId, PrivId: req.PrivId,
		})
		granted := make([]bool, len(req.PrivId))
		if len(res) == 1 {
			for i, p := range res[0].PrivAvailability {
				granted[i] = p.IsGranted
			}
		}
		writeResult(w, &types.HasPrivilegeOnEntityResponse{Returnval: granted})
		return
	case *types.CreateNasDatastore:
		h.createNasDatastore(w, r, body, req)
		return
	case *types.RemoveDatastore:
		h.removeDatastore(w, r, req)
		return
	case *types.SearchDatastore_Task:
		if h.searchNas(w, method.Name, req.This, req.DatastorePath, req.SearchSpec, false) {
			return
		}
	case *types.SearchDatastoreSubFolders_Task:
		if h.searchNas(w, method.Name, req.This, req.DatastorePath, req.SearchSpec, true) {
			return
		}
	case *types.ShutdownGuest:
		if h.shutdownGuest(w, req) {
			return
		}
	case *types.PowerOnVM_Task:
		if h.powerOnNas(w, req) {
			return
		}
	case *types.ReconfigVM_Task:
		if h.reconfigNas(w, req) {
			return
		}
	case *types.RelocateVM_Task:
		if h.relocateDisks(w, req) {
			return
		}
	case *types.CancelTask:
		h.cancelTask(w, req)
		return
	}
	if h.serveRetrieve(w, r, body, method) {
		return
	}
	copyResponse(w, h.dispatch(r, body, method))
}

// dispatch runs a call through the simulator and then the bookkeeping that follows it.
func (h *harness) dispatch(r *http.Request, body []byte, method *simulator.Method) *httptest.ResponseRecorder {
	rec := h.invoke(r, body)
	if rec.Code != http.StatusOK {
		return rec
	}
	switch req := method.Body.(type) {
	case *types.CreateSnapshot_Task:
		// The simulator runs tasks before it answers, so the task has finished here and the
		// client cannot see it finish before the changeIds exist.
		if task := finishedTask(rec.Body.Bytes()); task != nil && task.Info.State == types.TaskInfoStateSuccess {
			if snap, ok := task.Info.Result.(types.ManagedObjectReference); ok {
				if err := h.cbt.onSnapshot(req.This, snap); err != nil {
					log.Printf("CBT bookkeeping for snapshot %s: %v", snap.Value, err)
				}
			}
		}
	case *types.ReconfigVM_Task:
		if req.Spec.ChangeTrackingEnabled != nil && !*req.Spec.ChangeTrackingEnabled {
			h.cbt.reset(req.This)
		}
	}
	return rec
}

func (h *harness) invoke(r *http.Request, body []byte) *httptest.ResponseRecorder {
	req := r.Clone(context.Background())
	req.Body = ioutil.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	rec := httptest.NewRecorder()
	h.inner.ServeHTTP(rec, req)
	return rec
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

var taskReturnval = regexp.MustCompile(`<returnval type="Task">([^<]+)</returnval>`)

func finishedTask(response []byte) *simulator.Task {
	m := taskReturnval.FindSubmatch(response)
	if m == nil {
		return nil
	}
	task, _ := simulator.Map.Get(types.ManagedObjectReference{Type: "Task", Value: string(m[1])}).(*simulator.Task)
	return task
}

// sessions lists the live sessions. The simulator keeps them private; its per-session view of
// the SessionManager (what a client's property collector reads as sessionList) exposes them.
func (h *harness) sessions() []types.UserSession {
	s := &simulator.Session{Registry: simulator.NewRegistry()}
	sm, ok := s.Get(*h.model.ServiceContent.SessionManager).(*simulator.SessionManager)
	if !ok {
		return nil
	}
	return sm.SessionList
}

func (h *harness) session(key string) (types.UserSession, bool) {
	for _, s := range h.sessions() {
		if s.Key == key {
			return s, true
		}
	}
	return types.UserSession{}, false
}

// expireSessions ends every live session (optionally only one user's), as a vCenter does when
// sessions time out or the vpxd service restarts.
func (h *harness) expireSessions(username string) int {
	sm := simulator.Map.SessionManager()
	ctx := &simulator.Context{
		Context: context.Background(),
		Map:     simulator.Map,
		Session: &simulator.Session{UserSession: types.UserSession{Key: "lifeline-sim-control"}},
	}
	n := 0
	for _, s := range h.sessions() {
		if username != "" && !strings.EqualFold(s.UserName, username) {
			continue
		}
		res := sm.TerminateSession(ctx, &types.TerminateSession{This: sm.Self, SessionId: []string{s.Key}})
		if res.Fault() == nil {
			n++
		}
	}
	return n
}

// taskResponse builds "<Method>Response{returnval: task}" for any *_Task method.
func taskResponse(method string, task types.ManagedObjectReference) interface{} {
	return &namedResponse{name: method + "Response", Returnval: task}
}

type namedResponse struct {
	name      string
	Returnval types.ManagedObjectReference `xml:"returnval"`
}

func lcFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// newTask registers a queued task for a *_Task call on this, named like the simulator's own
// tasks ("VirtualMachine.createSnapshot").
func newTask(method string, this types.ManagedObjectReference) *simulator.Task {
	base := strings.TrimSuffix(method, "_Task")
	return simulator.CreateTask(this, lcFirst(base)+"Task", nil)
}

func startTask(t *simulator.Task) {
	simulator.Map.Update(t, []types.PropertyChange{
		{Name: "info.startTime", Val: time.Now()},
		{Name: "info.state", Val: types.TaskInfoStateRunning},
	})
}

func finishTask(t *simulator.Task, result types.AnyType, fault types.BaseMethodFault, msg string) {
	state := types.TaskInfoStateSuccess
	var lf interface{}
	if fault != nil {
		state = types.TaskInfoStateError
		if msg == "" {
			msg = reflect.TypeOf(fault).Elem().Name()
		}
		lf = types.LocalizedMethodFault{Fault: fault, LocalizedMessage: msg}
	}
	simulator.Map.Update(t, []types.PropertyChange{
		{Name: "info.completeTime", Val: time.Now()},
		{Name: "info.state", Val: state},
		{Name: "info.result", Val: result},
		{Name: "info.error", Val: lf},
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
