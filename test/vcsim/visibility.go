package main

// Which inventory objects a user's property collector returns. Follows VMware's vSphere Security
// guide, "Understanding Authorization in vSphere" / "Hierarchical Inheritance of Permissions": a
// user sees an inventory object only if they hold a permission (any role; every role includes
// System.Anonymous, System.View and System.Read) on that object or, propagated, on one of its
// ancestors; an object without such a permission is not shown to them at all. The vSphere Web
// Services API reference for PropertyCollector.RetrievePropertiesEx: the result holds the objects
// the session may see, and is unset ("null") when there is none.
//
// The simulator returns every object to every session. Here a user with a permission at the root
// (the administrator, or any global privilege, as `--user NAME:PASS:PRIVS` and
// `POST /lifeline-sim/users` "privileges" grant) sees everything, as before; a user whose
// permissions are all on single entities ("entityPrivileges") gets RetrieveProperties(Ex) results
// without the VirtualMachines outside those entities' subtrees. Only whole VirtualMachine objects
// are dropped: other object types, and references to VMs inside other objects' properties (a
// folder's childEntity, a ContainerView's view), are left as the simulator returns them.
// Sessions without a user entry (token or extension logins) keep the simulator's behaviour.

import (
	"bytes"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vim25/xml"
)

// seesEverything says whether u holds a permission at the inventory root.
func (u *user) seesEverything() bool {
	return u.admin || len(u.global) > 0
}

// sees says whether u holds a permission on the entity or one of its ancestors.
func (u *user) sees(entity types.ManagedObjectReference) bool {
	if u.seesEverything() {
		return true
	}
	ref := &entity
	for depth := 0; ref != nil && depth < 64; depth++ {
		if _, ok := u.entity[ref.Value]; ok {
			return true
		}
		e, ok := simulator.Map.Get(*ref).(mo.Entity)
		if !ok {
			break
		}
		ref = e.Entity().Parent
	}
	return false
}

// restrictedUser is the user of the request's session when their view is limited, else nil.
func (h *harness) restrictedUser(r *http.Request) *user {
	c, err := r.Cookie(soap.SessionCookieName)
	if err != nil {
		return nil
	}
	s, ok := h.session(c.Value)
	if !ok {
		return nil
	}
	u := h.users.get(s.UserName)
	if u == nil || u.seesEverything() {
		return nil
	}
	return u
}

// visibleObjects drops the VirtualMachines u does not see.
func visibleObjects(u *user, objects []types.ObjectContent) []types.ObjectContent {
	out := make([]types.ObjectContent, 0, len(objects))
	for _, o := range objects {
		if o.Obj.Type == "VirtualMachine" && !u.sees(o.Obj) {
			continue
		}
		out = append(out, o)
	}
	return out
}

func visibleResult(u *user, res *types.RetrieveResult) *types.RetrieveResult {
	if res == nil {
		return nil
	}
	objects := visibleObjects(u, res.Objects)
	if len(objects) == 0 && res.Token == "" {
		return nil
	}
	return &types.RetrieveResult{Token: res.Token, Objects: objects}
}

// undecodable answers a retrieval whose result could not be read back: a fault, never the
// unfiltered result.
func undecodable(w http.ResponseWriter, method *simulator.Method) {
	log.Printf("%s: cannot decode the simulator's result to filter it", method.Name)
	writeFault(w, "A general system error occurred.", &types.SystemError{Reason: "result not decodable"})
}

func decodeResponse(rec *httptest.ResponseRecorder, body interface{}) bool {
	dec := xml.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.TypeFunc = typeFunc
	return dec.Decode(&soap.Envelope{Body: body}) == nil
}

// serveRetrieve answers a property collector retrieval for a user whose view is limited. It
// reports false (and writes nothing) for other calls and users.
func (h *harness) serveRetrieve(w http.ResponseWriter, r *http.Request, body []byte, method *simulator.Method) bool {
	switch method.Body.(type) {
	case *types.RetrievePropertiesEx, *types.ContinueRetrievePropertiesEx, *types.RetrieveProperties:
	default:
		return false
	}
	u := h.restrictedUser(r)
	if u == nil {
		return false
	}
	rec := h.dispatch(r, body, method)
	if rec.Code != http.StatusOK {
		copyResponse(w, rec)
		return true
	}
	switch method.Body.(type) {
	case *types.RetrievePropertiesEx:
		res := &methods.RetrievePropertiesExBody{}
		if !decodeResponse(rec, res) || res.Res == nil {
			undecodable(w, method)
			return true
		}
		writeResult(w, &types.RetrievePropertiesExResponse{Returnval: visibleResult(u, res.Res.Returnval)})
	case *types.ContinueRetrievePropertiesEx:
		res := &methods.ContinueRetrievePropertiesExBody{}
		if !decodeResponse(rec, res) || res.Res == nil {
			undecodable(w, method)
			return true
		}
		out := visibleResult(u, &res.Res.Returnval)
		if out == nil {
			out = &types.RetrieveResult{}
		}
		writeResult(w, &types.ContinueRetrievePropertiesExResponse{Returnval: *out})
	case *types.RetrieveProperties:
		res := &methods.RetrievePropertiesBody{}
		if !decodeResponse(rec, res) || res.Res == nil {
			undecodable(w, method)
			return true
		}
		writeResult(w, &types.RetrievePropertiesResponse{Returnval: visibleObjects(u, res.Res.Returnval)})
	}
	return true
}
