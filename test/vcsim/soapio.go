package main

// Encoding and decoding of SOAP envelopes for the methods Lifeline's simulator answers itself.
// The envelope shape is the simulator's own (and a real vCenter's): soapenv prefix, the vim25
// namespace on the response element, and "<Type>Fault" detail elements with xsi:type.

import (
	"bytes"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vim25/xml"
)

var vimTypes = types.TypeFunc()

// typeFunc resolves vim25 type names, also when a client left a namespace prefix on an xsi:type
// ("ns1:TraversalSpec"), as the simulator does.
func typeFunc(name string) (reflect.Type, bool) {
	if t, ok := vimTypes(name); ok {
		return t, true
	}
	if parts := strings.SplitN(name, ":", 2); len(parts) == 2 {
		return vimTypes(parts[1])
	}
	return nil, false
}

func decodeRequest(body []byte) (*simulator.Method, error) {
	return simulator.UnmarshalBody(typeFunc, body)
}

type envelope struct {
	XMLName xml.Name    `xml:"soapenv:Envelope"`
	Enc     string      `xml:"xmlns:soapenc,attr"`
	Env     string      `xml:"xmlns:soapenv,attr"`
	XSD     string      `xml:"xmlns:xsd,attr"`
	XSI     string      `xml:"xmlns:xsi,attr"`
	Body    interface{} `xml:"soapenv:Body"`
}

type faultDetail struct {
	Fault types.AnyType
}

func (d *faultDetail) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	kind := reflect.TypeOf(d.Fault).Elem().Name()
	start.Name.Local = kind + "Fault"
	start.Attr = append(start.Attr,
		xml.Attr{Name: xml.Name{Local: "xmlns"}, Value: "urn:" + vim25.Namespace},
		xml.Attr{Name: xml.Name{Local: "xsi:type"}, Value: kind})
	return e.EncodeElement(d.Fault, start)
}

type faultBody struct {
	Fault struct {
		XMLName xml.Name `xml:"soapenv:Fault"`
		Code    string   `xml:"faultcode"`
		String  string   `xml:"faultstring"`
		Detail  struct {
			Fault *faultDetail
		} `xml:"detail"`
	}
}

// responseBody wraps a method's result ("<Name>Response" struct) in the vim25 namespace.
type responseBody struct {
	Res interface{}
}

func (r *responseBody) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	name := reflect.ValueOf(r.Res).Elem().Type().Name()
	if n, ok := r.Res.(*namedResponse); ok {
		name = n.name
	}
	res := xml.StartElement{Name: xml.Name{Space: "urn:" + vim25.Namespace, Local: name}}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if err := e.EncodeElement(r.Res, res); err != nil {
		return err
	}
	return e.EncodeToken(start.End())
}

func encodeEnvelope(body interface{}) ([]byte, error) {
	var out bytes.Buffer
	fmt.Fprint(&out, xml.Header)
	e := xml.NewEncoder(&out)
	err := e.Encode(&envelope{
		Enc:  "http://schemas.xmlsoap.org/soap/encoding/",
		Env:  "http://schemas.xmlsoap.org/soap/envelope/",
		XSD:  "http://www.w3.org/2001/XMLSchema",
		XSI:  "http://www.w3.org/2001/XMLSchema-instance",
		Body: body,
	})
	if err == nil {
		err = e.Flush()
	}
	return out.Bytes(), err
}

func writeXML(w http.ResponseWriter, status int, data []byte) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// writeResult answers a SOAP call with res, a *types.<Method>Response.
func writeResult(w http.ResponseWriter, res interface{}) {
	data, err := encodeEnvelope(&responseBody{Res: res})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeXML(w, http.StatusOK, data)
}

// writeFault answers a SOAP call with a vim25 fault, as a vCenter does: HTTP 500 and a
// ServerFaultCode soap fault whose detail names the fault type.
func writeFault(w http.ResponseWriter, msg string, fault types.BaseMethodFault) {
	var b faultBody
	b.Fault.Code = "ServerFaultCode"
	b.Fault.String = msg
	b.Fault.Detail.Fault = &faultDetail{Fault: fault}
	data, err := encodeEnvelope(&b)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeXML(w, http.StatusInternalServerError, data)
}

// decodeFault reads a SOAP fault response (as the simulator writes it) back into a vim25 fault.
func decodeFault(data []byte) (string, types.BaseMethodFault, error) {
	var body struct {
		Fault *soap.Fault `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault,omitempty"`
	}
	env := soap.Envelope{Body: &body}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.TypeFunc = typeFunc
	if err := dec.Decode(&env); err != nil {
		return "", nil, err
	}
	if body.Fault == nil {
		return "", nil, fmt.Errorf("no fault in response")
	}
	if f, ok := body.Fault.Detail.Fault.(types.BaseMethodFault); ok {
		return body.Fault.String, f, nil
	}
	return body.Fault.String, &types.SystemError{Reason: body.Fault.String}, nil
}

// newFault makes an empty vim25 fault of the given type name ("InvalidState", "NotFound", ...).
func newFault(name string) (types.BaseMethodFault, error) {
	t, ok := vimTypes(name)
	if !ok {
		return nil, fmt.Errorf("unknown fault type %q", name)
	}
	f, ok := reflect.New(t).Interface().(types.BaseMethodFault)
	if !ok {
		return nil, fmt.Errorf("%q is not a vim25 fault type", name)
	}
	return f, nil
}

// setFaultFields sets string, bool and integer fields of a fault by their XML (camelCase) or Go
// name, so tests can shape a fault such as FileFault{file} or InvalidArgument{invalidProperty}.
func setFaultFields(f types.BaseMethodFault, fields map[string]interface{}) error {
	v := reflect.ValueOf(f).Elem()
	for name, val := range fields {
		field, ok := findField(v, name)
		if !ok {
			return fmt.Errorf("fault %s has no field %q", v.Type().Name(), name)
		}
		switch field.Kind() {
		case reflect.String:
			s, ok := val.(string)
			if !ok {
				return fmt.Errorf("field %q wants a string", name)
			}
			field.SetString(s)
		case reflect.Bool:
			b, ok := val.(bool)
			if !ok {
				return fmt.Errorf("field %q wants a boolean", name)
			}
			field.SetBool(b)
		case reflect.Int, reflect.Int32, reflect.Int64:
			n, ok := val.(float64)
			if !ok {
				return fmt.Errorf("field %q wants a number", name)
			}
			field.SetInt(int64(n))
		default:
			return fmt.Errorf("field %q of type %s cannot be set", name, field.Type())
		}
	}
	return nil
}

func findField(v reflect.Value, name string) (reflect.Value, bool) {
	for i := 0; i < v.NumField(); i++ {
		sf := v.Type().Field(i)
		if sf.Anonymous && v.Field(i).Kind() == reflect.Struct {
			if f, ok := findField(v.Field(i), name); ok {
				return f, true
			}
			continue
		}
		tag := strings.Split(sf.Tag.Get("xml"), ",")[0]
		if strings.EqualFold(sf.Name, name) || tag == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}
