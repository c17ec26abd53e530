package uforge

import "time"

// OpStatus is the XSD type OpStatus (element <status>). Primitive object to describe the status of the
// parent object it is attached to.
type OpStatus struct {
	Object
	BytesLoaded      *int64     `uforge:"bytesLoaded"`
	BytesTotal       *int64     `uforge:"bytesTotal"`
	Cancelled        *bool      `uforge:"cancelled"`
	Complete         *bool      `uforge:"complete"`
	DetailedError    *bool      `uforge:"detailedError"`
	DetailedErrorMsg *string    `uforge:"detailedErrorMsg"`
	Error            *bool      `uforge:"error"`
	ErrorMessage     *string    `uforge:"errorMessage"`
	ETA              *time.Time `uforge:"eta"`
	Message          *string    `uforge:"message"`
	ParentURI        *string    `uforge:"parentUri"`
	Percentage       *int       `uforge:"percentage"`
	Published        *bool      `uforge:"published"`
	TotalTime        *time.Time `uforge:"totalTime"`
	URI              *string    `uforge:"uri"`
}

// RootName implements Root.
func (OpStatus) RootName() string { return "status" }

// OpStatuses is the XSD type OpStatuses (element <statuses>). Provides a list of :ref:`status-object`
// objects.
type OpStatuses struct {
	Objects
	Statuses []OpStatus `uforge:"statuses,list=status"`
}

// RootName implements Root.
func (OpStatuses) RootName() string { return "statuses" }

// ServiceStatus is the XSD type ServiceStatus (element <serviceStatus>). Provides the status of the
// platform.
type ServiceStatus struct {
	Object
	Alive       *bool   `uforge:"alive"`
	Version     *string `uforge:"version"`
	ServiceLoad *int    `uforge:"serviceLoad"`
}

// RootName implements Root.
func (ServiceStatus) RootName() string { return "serviceStatus" }

// UForgeError is the XSD type UForgeError (element <uforgeError>). Holds information on a platform
// error.
type UForgeError struct {
	LocalizedErrorMsg *LocalizedMessage `uforge:"localizedErrorMsg"`
	RequestMethod     *string           `uforge:"requestMethod"`
	RequestURI        *string           `uforge:"requestUri"`
	StatusCode        *int              `uforge:"statusCode"`
	Timestamp         *time.Time        `uforge:"timestamp"`
}

// RootName implements Root.
func (UForgeError) RootName() string { return "uforgeError" }

// LocalizedMessage is the XSD type LocalizedMessage. Localized message returned by the platform.
type LocalizedMessage struct {
	Message    *string  `uforge:"message"`
	MessageID  *string  `uforge:"messageId"`
	Parameters []string `uforge:"parameters,list=parameter"`
}
